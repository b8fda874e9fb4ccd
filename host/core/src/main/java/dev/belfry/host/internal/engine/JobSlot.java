package dev.belfry.host.internal.engine;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the engine knows about one job: the persisted part ({@link #record()}) and the live facts its status
 * is derived from. The facts fall into groups, each changed by one part of the engine only, through the methods
 * under its heading here (docs/architecture.md has the table). They stay in one object, not one per part, because
 * there is a slot per job and the heap a registered job costs is budgeted (docs/benchmarks.md).
 *
 * <p>Guarded by the engine lock; {@code record} is also read by the job's own run (its checkpoint), hence volatile.
 */
final class JobSlot {
    final QName qname;
    final String pluginId;

    // JobTable: the persisted record and the sink's ticket of its last change (0: none yet from this engine).
    private volatile JobRecord record;
    private long lastTicket;

    // PluginJobs: what provides the job. Spec and code are null while no plugin provides it (pending, orphaned).
    private JobSpec spec;
    private BackgroundJob code;
    private boolean dynamic;
    private boolean orphaned;
    private Instant orphanedAt;
    /** Orphaned because its plugin stopped while this host ran (a reload, an upgrade), not found missing at start. */
    private boolean orphanedByStop;
    /** The fire a crash cut off, to be retried once the job's code is back. */
    private Instant crashedFire;

    /**
     * In cluster mode, another host owns the job's shard: the job is known here (its code, for when the shard comes
     * here) but neither fires nor retries here. Always false on a single host.
     */
    private boolean elsewhere;

    // Operations: an operator's pause and cancel.
    private boolean paused;
    private boolean cancelled;

    // RunDispatcher (as runs end) and PluginJobs (as a schedule changes or a cut-off fire is given up): outcomes.
    /** A Once job that succeeded. */
    private boolean completed;
    /** A Once or Manual job whose last fire failed with no retries left. */
    private boolean failed;

    // Arming: the next regular fire, armed or (while paused or pending) remembered, and a retry waiting for its time.
    private Instant nextFire;
    private Timer fireTimer;
    private Timer retryTimer;
    private Instant retryFor;
    private int retryAttempt;
    /** The retry is a fire whose start could not be made durable, not a failed run's: the job has not failed. */
    private boolean retryIsStartAgain;
    /** Its start could not be made durable and no run of it has started since: warned once per outage. */
    private boolean startStalled;

    // RunDispatcher: runs and fires of this job in flight.
    /**
     * Runs executing now, not counting abandoned ones. A job that is not running (almost every job, almost always)
     * holds the shared empty list rather than a list of its own.
     */
    private List<Run> runs = List.of();
    /** Fires waiting for a free worker. */
    private int waitingForWorker;
    /**
     * Runs given up on (timed out, or their plugin stopped) whose code has not returned yet. They no longer count as
     * running or against the worker cap, but they still count for the job's overlap policy: a job that hangs and
     * ignores interrupts must not get a new thread at every fire.
     */
    private int abandonedStillRunning;
    /** QUEUE_ONE: the fire waiting for the running one to finish. */
    private Instant queuedFor;
    /** FIRE_ALL: missed fires still to run, oldest first; null when there are none (the usual case). */
    private ArrayDeque<Instant> backlog;

    JobSlot(JobRecord record) {
        this.qname = record.qname();
        this.pluginId = record.pluginId();
        this.record = record;
        this.paused = record.paused();
        this.nextFire = record.nextFireAt().orElse(null);
        this.orphaned = record.status() == JobStatus.ORPHANED;
        this.orphanedAt = record.orphanedAt().orElse(null);
        this.dynamic = record.dynamic();
        this.cancelled = record.status() == JobStatus.CANCELLED;
        this.completed = record.status() == JobStatus.COMPLETED;
        this.failed = record.status() == JobStatus.FAILED;
    }

    // ---------------------------------------------------------------- read by every part

    JobRecord record() {
        return record;
    }

    JobSpec spec() {
        return spec;
    }

    BackgroundJob code() {
        return code;
    }

    boolean dynamic() {
        return dynamic;
    }

    boolean orphaned() {
        return orphaned;
    }

    boolean elsewhere() {
        return elsewhere;
    }

    void setElsewhere(boolean elsewhere) {
        this.elsewhere = elsewhere;
    }

    Instant orphanedAt() {
        return orphanedAt;
    }

    boolean paused() {
        return paused;
    }

    boolean cancelled() {
        return cancelled;
    }

    boolean completed() {
        return completed;
    }

    boolean failed() {
        return failed;
    }

    Instant nextFire() {
        return nextFire;
    }

    /** @return the runs executing now; read-only */
    List<Run> runs() {
        return runs;
    }

    /**
     * @return whether a plugin (or the application) provides code, nobody cancelled the job and (in cluster mode)
     *         this host owns it
     */
    boolean runnable() {
        return code != null && !orphaned && !cancelled && !elsewhere;
    }

    /** @return whether the job's fires and retries may be armed */
    boolean armable() {
        return runnable() && !paused && !completed;
    }

    /** @return whether a fire of this job is executing (abandoned runs included) or waiting for a worker */
    boolean busy() {
        return !runs.isEmpty() || waitingForWorker > 0 || abandonedStillRunning > 0;
    }

    /** @return fires of this job waiting: for a worker, or (QUEUE_ONE) for its running fire */
    int waitingFires() {
        return waitingForWorker + (queuedFor == null ? 0 : 1);
    }

    /** The status these facts amount to; the one place a status is decided. */
    JobStatus derivedStatus() {
        if (!runs.isEmpty()) {
            return JobStatus.RUNNING;
        }
        // Cancelled before orphaned: the status is what keeps a cancel across a restart or a move to another host
        // (nothing else records it), and an operator's cancel must outlive its plugin's absence.
        if (cancelled) {
            return JobStatus.CANCELLED;
        }
        if (orphaned) {
            return JobStatus.ORPHANED;
        }
        if (completed) {
            return JobStatus.COMPLETED;
        }
        if (code == null) {
            return JobStatus.PENDING;
        }
        if (paused) {
            return JobStatus.PAUSED;
        }
        if (retryTimer != null) {
            return retryIsStartAgain ? JobStatus.SCHEDULED : JobStatus.FAILED_RETRYING;
        }
        if (failed) {
            return JobStatus.FAILED;
        }
        return nextFire != null ? JobStatus.SCHEDULED : JobStatus.IDLE;
    }

    // ---------------------------------------------------------------- JobTable

    long lastTicket() {
        return lastTicket;
    }

    /** A new record not handed to the sink yet: the next commit hands it on with the status it leads to. */
    void stage(JobRecord next) {
        record = next;
    }

    /** The staged record went to the sink, with this ticket. */
    void committed(long ticket) {
        lastTicket = ticket;
    }

    // ---------------------------------------------------------------- PluginJobs

    boolean orphanedByStop() {
        return orphanedByStop;
    }

    Instant crashedFire() {
        return crashedFire;
    }

    /** The job's code is (back) from its plugin or the application: no longer orphaned. */
    void provide(JobSpec spec, BackgroundJob code, boolean dynamic) {
        this.spec = spec;
        this.code = code;
        this.dynamic = dynamic;
        this.orphaned = false;
        this.orphanedByStop = false;
        this.orphanedAt = null;
    }

    /** Its plugin is stopping: nothing new starts from here on. */
    void withdrawCode() {
        code = null;
    }

    void orphan(Instant at) {
        orphaned = true;
        orphanedAt = at;
        code = null;
    }

    /** Orphaned because its plugin stopped while this host ran; the spec goes with the plugin. */
    void orphanByStop(Instant at) {
        orphan(at);
        orphanedByStop = true;
        spec = null;
    }

    /** Restored as orphaned from a sidecar written before orphaned_at existed: the retention counts from now. */
    void dateOrphan(Instant at) {
        if (orphaned && orphanedAt == null) {
            orphanedAt = at;
        }
    }

    void crashedDuring(Instant fire) {
        crashedFire = fire;
    }

    /** The fire a crash cut off is dealt with: retried, or given up. */
    void crashedFireHandled() {
        crashedFire = null;
    }

    /** A new schedule: what the old one completed or failed no longer holds. */
    void scheduleChanged() {
        completed = false;
        failed = false;
    }

    // ---------------------------------------------------------------- Operations

    void setPaused(boolean paused) {
        this.paused = paused;
    }

    void setCancelled(boolean cancelled) {
        this.cancelled = cancelled;
    }

    // ---------------------------------------------------------------- RunDispatcher (and PluginJobs: setFailed)

    void succeeded(boolean onceFireDone) {
        failed = false;
        if (onceFireDone) {
            completed = true;
        }
    }

    void setFailed(boolean failed) {
        this.failed = failed;
    }

    void addRun(Run run) {
        if (runs.isEmpty()) {
            runs = new ArrayList<>(1);
        }
        runs.add(run);
    }

    /** @return whether the run was one of this job's runs */
    boolean removeRun(Run run) {
        if (runs.isEmpty() || !runs.remove(run)) {
            return false;
        }
        if (runs.isEmpty()) {
            runs = List.of();
        }
        return true;
    }

    void waitForWorker() {
        waitingForWorker++;
    }

    void stopWaitingForWorker() {
        waitingForWorker--;
    }

    void abandonRun() {
        abandonedStillRunning++;
    }

    void abandonedRunReturned() {
        abandonedStillRunning--;
    }

    Instant queuedFor() {
        return queuedFor;
    }

    void queue(Instant fire) {
        queuedFor = fire;
    }

    void addToBacklog(List<Instant> fires) {
        if (fires.isEmpty()) {
            return;
        }
        if (backlog == null) {
            backlog = new ArrayDeque<>(fires.size());
        }
        backlog.addAll(fires);
    }

    /** @return the oldest fire of the backlog, taken off it, or null if there is none */
    Instant pollBacklog() {
        if (backlog == null) {
            return null;
        }
        Instant next = backlog.poll();
        if (backlog.isEmpty()) {
            backlog = null;
        }
        return next;
    }

    boolean hasBacklog() {
        return backlog != null;
    }

    /** Forgets the fires waiting for this job's running one (QUEUE_ONE) and missed fires still to run (FIRE_ALL). */
    void dropWaitingFires() {
        queuedFor = null;
        backlog = null;
    }

    // ---------------------------------------------------------------- Arming

    Timer fireTimer() {
        return fireTimer;
    }

    void setNextFire(Instant next, Timer timer) {
        nextFire = next;
        fireTimer = timer;
    }

    void setFireTimer(Timer timer) {
        fireTimer = timer;
    }

    Timer retryTimer() {
        return retryTimer;
    }

    Instant retryFor() {
        return retryFor;
    }

    int retryAttempt() {
        return retryAttempt;
    }

    void setRetry(Timer timer, Instant fire, int attempt) {
        retryTimer = timer;
        retryFor = fire;
        retryAttempt = attempt;
        retryIsStartAgain = false;
    }

    /** Marks the retry just set as a fire to start again, its start having failed to reach disk. */
    void retryIsStartAgain() {
        retryIsStartAgain = true;
    }

    boolean startStalled() {
        return startStalled;
    }

    void setStartStalled(boolean stalled) {
        startStalled = stalled;
    }

    void setRetryTimer(Timer timer) {
        retryTimer = timer;
    }
}
