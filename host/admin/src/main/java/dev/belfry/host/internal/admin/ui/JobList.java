package dev.belfry.host.internal.admin.ui;

import dev.belfry.host.internal.admin.AdminBackend;
import dev.belfry.host.internal.engine.JobSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The host's job list as the list pages read it: one snapshot shared by every page drawn within {@link #FRESH}
 * ({@link #FRESH_WHEN_BUSY} on a busy host).
 * A snapshot of every job is taken under the engine's lock, so twenty open dashboards refreshing their lists must
 * not each take one; a job's own page reads its job fresh.
 */
final class JobList {
    /** How old a shared snapshot may be. */
    static final Duration FRESH = Duration.ofSeconds(1);
    /**
     * How old it may be on a busy host: its pages reload every 15 s or more then, and each new snapshot of every job
     * (and each list drawn from it) takes the cores the host fires on.
     */
    static final Duration FRESH_WHEN_BUSY = Duration.ofSeconds(5);

    private final AdminBackend host;
    private final LongSupplier nanoTime;
    private final BooleanSupplier busy;
    private List<JobSnapshot> jobs;
    private long takenAt;

    /**
     * @param host     the host
     * @param nanoTime a monotonic clock in nanoseconds
     * @param busy     whether the host is busy (see {@link EventHub#busy()})
     */
    JobList(AdminBackend host, LongSupplier nanoTime, BooleanSupplier busy) {
        this.host = host;
        this.nanoTime = nanoTime;
        this.busy = busy;
    }

    /** @return every job, as of at most {@link #FRESH} ago ({@link #FRESH_WHEN_BUSY} on a busy host) */
    synchronized List<JobSnapshot> jobs() {
        long now = nanoTime.getAsLong();
        Duration fresh = busy.getAsBoolean() ? FRESH_WHEN_BUSY : FRESH;
        if (jobs == null || now - takenAt >= fresh.toNanos()) {
            jobs = host.jobs();
            takenAt = now;
        }
        return jobs;
    }

    /** Drops the shared snapshot: after an operator's action the next list shows its effect. */
    synchronized void changed() {
        jobs = null;
    }
}
