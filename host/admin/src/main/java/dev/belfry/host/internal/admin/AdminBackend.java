package dev.belfry.host.internal.admin;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.JobsAtAGlance;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the admin API needs from the host; the host implements it. */
public interface AdminBackend {

    /** @return every job */
    List<JobSnapshot> jobs();

    /**
     * @param horizon only fires before this
     * @param max     how many fires at most
     * @return the jobs counted by status and their first fires before the horizon; a host on its own has them without
     *         reading every job
     */
    default JobsAtAGlance atAGlance(Instant horizon, int max) {
        return JobsAtAGlance.of(jobs().stream().map(JobSnapshot::record).toList(), horizon, max);
    }

    /**
     * @return every job's name in order, the same list until a job is added or removed, so that a page of the list
     *         by name costs what it shows; empty where only {@link #jobs()} knows every job (a cluster)
     */
    default Optional<List<QName>> names() {
        return Optional.empty();
    }

    /**
     * @param qnames jobs' names, a page's worth
     * @return those of the jobs that exist, in the order asked
     */
    default List<JobSnapshot> jobs(List<QName> qnames) {
        return qnames.stream().map(this::job).flatMap(Optional::stream).toList();
    }

    /** @param qname a job @return the job, if it exists */
    Optional<JobSnapshot> job(QName qname);

    /** @param qname a job @return its last runs, newest first */
    List<RunResult> runs(QName qname);

    /** @param qname a job @return what triggering it did */
    TriggerOutcome trigger(QName qname);

    /** @param qname the job to pause */
    void pause(QName qname);

    /** @param qname the job to resume */
    void resume(QName qname);

    /** @param qname the job to cancel */
    void cancel(QName qname);

    /** @return the plugins the host knows, as JSON-ready maps (id, version, state, file, dependencies) */
    List<Map<String, Object>> plugins();

    /**
     * Stops and starts a plugin again from its file.
     *
     * @param pluginId the plugin
     * @return whether it was running and, if it did not start again, why
     */
    PluginSupervisor.ReloadOutcome reload(String pluginId);

    /** @return the health of engine, state writer and graph mirror, as JSON-ready maps */
    Map<String, Object> health();

    /** @return the metrics in Prometheus text format */
    String metrics();

    /**
     * @return why the host is not ready to do its work, in a few words each (starting, the state store failing, no
     *         cluster lease); empty when it is ready
     */
    List<String> notReady();
}
