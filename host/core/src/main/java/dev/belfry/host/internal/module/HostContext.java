package dev.belfry.host.internal.module;

import dev.belfry.api.QName;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.JobsAtAGlance;
import dev.belfry.host.internal.engine.EngineStats;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.RunLogRecords;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What a module sees of its host. Reads never block on I/O. */
public interface HostContext {

    /** @return the data directory, which the host has locked */
    Path dataDir();

    /** @return the host's clock */
    Clock clock();

    /** @return the id this data directory's host keeps across restarts */
    String hostId();

    /** @return every job with its running runs */
    List<JobSnapshot> jobs();

    /** @param qname a job @return the job, if it exists */
    Optional<JobSnapshot> job(QName qname);

    /**
     * @param horizon only fires before this
     * @param max     how many fires at most
     * @return the jobs as {@link #jobs()} lists them, counted by status, and their first fires before the horizon;
     *         on a host on its own from what the engine keeps, without reading every job
     */
    JobsAtAGlance atAGlance(Instant horizon, int max);

    /**
     * @return every job's name in order, the same list until a job is added or removed; empty in a cluster, where
     *         only {@link #jobs()} knows every job
     */
    Optional<List<QName>> names();

    /**
     * @param qnames jobs' names, a page's worth
     * @return those of the jobs that exist, in the order asked
     */
    List<JobSnapshot> jobs(List<QName> qnames);

    /** @return every job's state as last committed, for a module that copies it elsewhere */
    List<JobRecord> committedJobs();

    /**
     * @return whether this host shares its jobs with other hosts (cluster mode): {@link #committedJobs()} and
     *         {@link #jobs()} are then the whole cluster's, of which this host {@link #owns} some
     */
    default boolean clustered() {
        return false;
    }

    /**
     * @param qname a job
     * @return whether this host owns the job (fires it and writes its changes); a host on its own owns every job
     */
    default boolean owns(QName qname) {
        return true;
    }

    /** @return when this host process started, to the millisecond: with the host id it names a life of the host */
    Instant startedAt();

    /** @param qname a job @return its last runs, newest first, from this life and earlier ones */
    List<RunLogRecords.Run> runs(QName qname);

    /** @param qname the job to fire now @return what happened */
    TriggerOutcome trigger(QName qname);

    /** @param qname the job to pause */
    void pause(QName qname);

    /** @param qname the job to resume */
    void resume(QName qname);

    /** @param qname the job to cancel */
    void cancel(QName qname);

    /** @return the running plugins, in start order */
    List<PluginSupervisor.RunningPlugin> plugins();

    /** @param pluginId the plugin to stop and load again from its file @return what happened */
    PluginSupervisor.ReloadOutcome reload(String pluginId);

    /** @return the engine's figures */
    EngineStats engineStats();

    /** @return the state store's health */
    StateStore.Health stateHealth();

    /**
     * @return why the host is not ready to do its work, in a few words each: still starting, its state store
     *         failing to commit, no current cluster lease (or the cluster's database out of reach); empty when ready
     */
    List<String> notReady();

    /** @return how many jobs are in each status, by the status's JSON name */
    Map<String, Long> jobsByStatus();

    /** @return the whole host's health: status, version, engine, state, each module's section, plugins, problems */
    Map<String, Object> health();

    /** @return every module's figures, by module name */
    Map<String, Map<String, Double>> gauges();
}
