package dev.belfry.host.internal.admin.ui;

import dev.belfry.host.internal.admin.AdminBackend;
import dev.belfry.host.internal.engine.JobSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The host's job list as the list pages read it: one snapshot shared by every page drawn within {@link #FRESH}.
 * A snapshot of every job is taken under the engine's lock, so twenty open dashboards refreshing their lists must
 * not each take one; a job's own page reads its job fresh.
 */
final class JobList {
    /** How old a shared snapshot may be. */
    static final Duration FRESH = Duration.ofSeconds(1);

    private final AdminBackend host;
    private final LongSupplier nanoTime;
    private List<JobSnapshot> jobs;
    private long takenAt;

    /**
     * @param host     the host
     * @param nanoTime a monotonic clock in nanoseconds
     */
    JobList(AdminBackend host, LongSupplier nanoTime) {
        this.host = host;
        this.nanoTime = nanoTime;
    }

    /** @return every job, as of at most {@link #FRESH} ago */
    synchronized List<JobSnapshot> jobs() {
        long now = nanoTime.getAsLong();
        if (jobs == null || now - takenAt >= FRESH.toNanos()) {
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
