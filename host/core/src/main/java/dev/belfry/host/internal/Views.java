package dev.belfry.host.internal;

import dev.belfry.host.JobView;
import dev.belfry.host.PluginProblemView;
import dev.belfry.host.PluginView;
import dev.belfry.host.RunView;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.plugins.LoadedPlugin;
import dev.belfry.host.internal.plugins.PluginProblem;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.RunLogRecords;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Turns the engine's and the state file's types into the public views, so that no internal type leaks out. */
public final class Views {
    private Views() {
    }

    /**
     * @param snapshot a job as the engine holds it
     * @return its public view
     */
    public static JobView job(JobSnapshot snapshot) {
        return job(snapshot.record(), snapshot.running().stream().map(r -> new JobView.Running(r.id(),
                r.scheduledFor(), r.firedAt(), r.attempt(), r.progress(), r.message())).toList(),
                snapshot.retryAt());
    }

    /**
     * @param r       a job's committed state
     * @param running its runs executing now
     * @param retryAt when a failed run is retried, while a retry is planned
     * @return its public view
     */
    public static JobView job(JobRecord r, List<JobView.Running> running, Optional<Instant> retryAt) {
        return new JobView(r.qname(), r.pluginId(), r.schedule(), JobView.Status.valueOf(r.status().name()),
                firesNextAt(r), r.lastStartedAt(), r.lastFinishedAt(),
                r.lastOutcome().map(o -> new JobView.LastRun(o.success(), o.message(), o.duration())),
                r.consecutiveFailures(), r.runCount(), r.failureCount(), r.paused(), r.orphanedAt(), r.dynamic(),
                r.checkpoint(), running, retryAt);
    }

    /**
     * When a job will fire next, as every view shows it. A paused job, or one without its code (pending, orphaned),
     * keeps the fire it would have had, to pick up from on resume or reattach, but will not fire then: it has no
     * next fire.
     *
     * @param r a job's committed state
     * @return its next fire, if it will fire
     */
    public static Optional<Instant> firesNextAt(JobRecord r) {
        boolean cannotFire = r.paused() || r.status() == JobStatus.ORPHANED || r.status() == JobStatus.PENDING;
        return cannotFire ? Optional.empty() : r.nextFireAt();
    }

    /**
     * @param r a run from the run history
     * @return the run as the engine reported it
     */
    public static RunResult result(RunLogRecords.Run r) {
        return new RunResult(r.job(), r.runId(), r.scheduledFor(), r.startedAt(), r.finishedAt(), r.attempt(),
                r.error());
    }

    /**
     * @param r a run from the run history
     * @return its public view
     */
    public static RunView run(RunLogRecords.Run r) {
        return run(result(r));
    }

    /**
     * @param r how a run ended
     * @return its public view
     */
    public static RunView run(RunResult r) {
        return new RunView(r.job(), r.runId(), r.scheduledFor(), r.firedAt(), r.finishedAt(), r.attempt(), r.error(),
                RunView.Outcome.valueOf(r.kind().name()));
    }

    /**
     * @param p a loaded plugin
     * @return its public view
     */
    public static PluginView plugin(LoadedPlugin p) {
        return new PluginView(p.id(), p.version(), p.file(), p.dependencies());
    }

    /**
     * @param p a running plugin
     * @return its public view
     */
    public static PluginView plugin(PluginSupervisor.RunningPlugin p) {
        return new PluginView(p.id(), p.version(), p.file(), p.dependencies());
    }

    /**
     * @param p a plugin problem
     * @return its public view
     */
    public static PluginProblemView problem(PluginProblem p) {
        return new PluginProblemView(p.file(), p.pluginId(), p.jobName(), p.message(), p.toString());
    }
}
