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
 * Everything the engine knows about one job. The persisted part is {@link #record}; the rest is the live state it
 * is derived from. All fields are guarded by the engine's lock; {@code record} is also read by the job's own run
 * (its checkpoint), hence volatile.
 */
final class JobSlot {
    final QName qname;
    final String pluginId;
    volatile JobRecord record;

    /** The job's spec and code; both null while no plugin provides it (pending or orphaned). */
    JobSpec spec;
    BackgroundJob code;
    boolean dynamic;

    boolean orphaned;
    Instant orphanedAt;
    /** Orphaned because its plugin stopped while this host ran (a reload, an upgrade), not found missing at start. */
    boolean orphanedByStop;
    boolean cancelled;
    boolean paused;
    /** A Once job that succeeded. */
    boolean completed;
    /** A Once or Manual job whose last fire failed with no retries left. */
    boolean failed;

    /** The next regular fire, armed or (while paused or pending) remembered. */
    Instant nextFire;
    Timer fireTimer;

    /** A retry waiting for its time: the fire it retries and the attempt it will be. */
    Timer retryTimer;
    Instant retryFor;
    int retryAttempt;

    /**
     * Runs executing now, not counting abandoned ones; read-only, changed through {@link #addRun} and
     * {@link #removeRun}. A job that is not running (almost every job, almost always) holds the shared empty list
     * rather than a list of its own.
     */
    private List<Run> runs = List.of();
    /** Fires waiting for a free worker. */
    int waitingForWorker;
    /**
     * Runs given up on (timed out, or their plugin stopped) whose code has not returned yet. They no longer count as
     * running or against the worker cap, but they still count for the job's overlap policy: a job that hangs and
     * ignores interrupts must not get a new thread at every fire.
     */
    int abandonedStillRunning;
    /** The fire a crash cut off, to be retried once the job's code is back. */
    Instant crashedFire;
    /** The sink's ticket of the last committed change (0: none yet from this engine). */
    long lastTicket;

    /** QUEUE_ONE: the fire waiting for the running one to finish. */
    Instant queuedFor;
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

    /** @return the runs executing now; read-only */
    List<Run> runs() {
        return runs;
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

    void clearBacklog() {
        backlog = null;
    }

    /** @return whether a fire of this job is executing (abandoned runs included) or waiting for a worker */
    boolean busy() {
        return !runs.isEmpty() || waitingForWorker > 0 || abandonedStillRunning > 0;
    }

    /** The status these facts amount to; the one place a status is decided. */
    JobStatus derivedStatus() {
        if (!runs.isEmpty()) {
            return JobStatus.RUNNING;
        }
        if (orphaned) {
            return JobStatus.ORPHANED;
        }
        if (cancelled) {
            return JobStatus.CANCELLED;
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
            return JobStatus.FAILED_RETRYING;
        }
        if (failed) {
            return JobStatus.FAILED;
        }
        return nextFire != null ? JobStatus.SCHEDULED : JobStatus.IDLE;
    }
}
