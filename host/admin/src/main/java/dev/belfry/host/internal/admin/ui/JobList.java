package dev.belfry.host.internal.admin.ui;

import dev.belfry.host.internal.admin.AdminBackend;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.sidecar.JobRecord;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The host's jobs as the list pages read them, shared by every page drawn within {@link #FRESH}
 * ({@link #FRESH_WHEN_BUSY} on a busy host): the records (for counts and next fires) and, for filtered and sorted
 * lists, snapshots of every job. Either is taken under the engine's lock, so twenty open dashboards refreshing
 * their pages must not each take one; a job's own page, and a page of the list by name, read their jobs fresh.
 */
final class JobList {
    /** How old a shared list may be. */
    static final Duration FRESH = Duration.ofSeconds(1);
    /**
     * How old it may be on a busy host: its pages reload every 15 s or more then, and each new list of every job
     * (and each page drawn from it) takes the cores the host fires on.
     */
    static final Duration FRESH_WHEN_BUSY = Duration.ofSeconds(5);

    private final LongSupplier nanoTime;
    private final BooleanSupplier busy;
    private final Shared<List<JobSnapshot>> jobs;
    private final Shared<List<JobRecord>> records;
    private List<JobRecord> pluginsOf;
    private SortedSet<String> plugins;

    /**
     * @param host     the host
     * @param nanoTime a monotonic clock in nanoseconds
     * @param busy     whether the host is busy (see {@link EventHub#busy()})
     */
    JobList(AdminBackend host, LongSupplier nanoTime, BooleanSupplier busy) {
        this.nanoTime = nanoTime;
        this.busy = busy;
        this.jobs = new Shared<>(host::jobs);
        this.records = new Shared<>(host::records);
    }

    /** @return every job, by name, as of at most {@link #FRESH} ago ({@link #FRESH_WHEN_BUSY} on a busy host) */
    List<JobSnapshot> jobs() {
        return jobs.get();
    }

    /** @return every job's record, in no order, as fresh as {@link #jobs()} */
    List<JobRecord> records() {
        return records.get();
    }

    /** @return the plugins that have jobs, as of {@link #records()} */
    synchronized SortedSet<String> plugins() {
        List<JobRecord> current = records();
        if (current != pluginsOf) {
            TreeSet<String> ids = new TreeSet<>();
            current.forEach(r -> ids.add(r.pluginId()));
            plugins = Collections.unmodifiableSortedSet(ids);
            pluginsOf = current;
        }
        return plugins;
    }

    /** Drops the shared lists: after an operator's action the next page shows its effect. */
    void changed() {
        jobs.drop();
        records.drop();
    }

    /** One shared list and when it was taken. */
    private final class Shared<T> {
        private final Supplier<T> take;
        private T value;
        private long takenAt;

        Shared(Supplier<T> take) {
            this.take = take;
        }

        synchronized T get() {
            long now = nanoTime.getAsLong();
            Duration fresh = busy.getAsBoolean() ? FRESH_WHEN_BUSY : FRESH;
            if (value == null || now - takenAt >= fresh.toNanos()) {
                value = take.get();
                takenAt = now;
            }
            return value;
        }

        synchronized void drop() {
            value = null;
        }
    }
}
