package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.module.PluginNode;
import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JobRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the graph has not seen yet, bounded: at most one entry per job (the newest record, or its removal), a
 * capped queue of runs (the oldest dropped on overflow), and the latest plugin list. Callers hold the lock only
 * to touch memory; the mirror thread takes a batch out, writes it, and gives it back if the write failed.
 *
 * <p>The mirror thread is the only taker. A batch taken and not yet written or given back still counts in depth and
 * lag; at most one of each kind is out at a time.
 */
final class MirrorQueue {

    /**
     * A job's pending change.
     *
     * @param qname       the job
     * @param record      its newest record; empty for a removal
     * @param removeFirst delete the node before writing the record: the job was removed and came back, and its
     *                    versions may have started again below the graph's
     * @param since       when the oldest change this entry stands for was made
     */
    record JobChange(QName qname, Optional<JobRecord> record, boolean removeFirst, Instant since) {
        boolean isRemoval() {
            return record.isEmpty();
        }

        long version() {
            return record.map(JobRecord::version).orElse(-1L);
        }
    }

    /**
     * A finished run waiting to be written.
     *
     * @param result the run
     * @param since  when it was handed over
     */
    record RunChange(RunResult result, Instant since) {
    }

    /**
     * Runs taken for writing.
     *
     * @param runs      the runs, oldest first
     * @param jobsAhead how many job changes waited when they were taken. A run's job may be among them, new to the
     *                  graph, and a run of a job the graph does not have is skipped: the mirror writes that many job
     *                  changes (the queue's first ones) before the runs.
     */
    record RunBatch(List<RunChange> runs, int jobsAhead) {
    }

    /** A batch out for writing. */
    private static final class Out {
        int count;
        Instant since;     // null when nothing is out

        void set(int count, Optional<Instant> since) {
            this.count = count;
            this.since = since.orElse(null);
        }

        void clear() {
            set(0, Optional.empty());
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final int runCapacity;
    private final LinkedHashMap<QName, JobChange> jobs = new LinkedHashMap<>();
    private final ArrayDeque<RunChange> runs = new ArrayDeque<>();
    private List<PluginNode> plugins;          // pending list, null if none
    private Instant pluginsSince;
    private List<PluginNode> knownPlugins;     // the latest list ever handed over, null if none
    private long runsDropped;
    private final Out jobsOut = new Out();
    private final Out runsOut = new Out();
    private final Out pluginsOut = new Out();
    private boolean closed;

    /** @param runCapacity how many runs may wait; beyond it the oldest are dropped */
    MirrorQueue(int runCapacity) {
        if (runCapacity < 1) {
            throw new IllegalArgumentException("run capacity must be positive: " + runCapacity);
        }
        this.runCapacity = runCapacity;
    }

    /** Keeps the record unless an entry with a higher version waits already. */
    void jobChanged(JobRecord record, Instant now) {
        lock.lock();
        try {
            JobChange old = jobs.get(record.qname());
            if (old == null) {
                jobs.put(record.qname(), new JobChange(record.qname(), Optional.of(record), false, now));
            } else if (old.isRemoval()) {
                jobs.put(record.qname(), new JobChange(record.qname(), Optional.of(record), true, old.since()));
            } else if (record.version() >= old.version()) {
                jobs.put(record.qname(), new JobChange(record.qname(), Optional.of(record), old.removeFirst(),
                        old.since()));
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void jobRemoved(QName qname, Instant now) {
        lock.lock();
        try {
            JobChange old = jobs.get(qname);
            jobs.put(qname, new JobChange(qname, Optional.empty(), false, old == null ? now : old.since()));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void runFinished(RunResult result, Instant now) {
        lock.lock();
        try {
            if (runs.size() >= runCapacity) {
                runs.pollFirst();
                runsDropped++;
            }
            runs.addLast(new RunChange(result, now));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void pluginsChanged(List<PluginNode> list, Instant now) {
        List<PluginNode> copy = List.copyOf(list);
        lock.lock();
        try {
            if (plugins == null) {
                pluginsSince = now;
            }
            plugins = copy;
            knownPlugins = copy;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** @return the latest plugin list handed over, written or not; empty if the host has reported none */
    Optional<List<PluginNode>> knownPlugins() {
        lock.lock();
        try {
            return Optional.ofNullable(knownPlugins);
        } finally {
            lock.unlock();
        }
    }

    /** Takes up to {@code max} job changes, oldest first. Give them back with {@link #giveBackJobs} on failure. */
    List<JobChange> takeJobs(int max) {
        lock.lock();
        try {
            List<JobChange> out = new ArrayList<>(Math.min(max, jobs.size()));
            Iterator<JobChange> it = jobs.values().iterator();
            while (it.hasNext() && out.size() < max) {
                JobChange c = it.next();
                it.remove();
                out.add(c);
            }
            jobsOut.set(out.size(), out.stream().map(JobChange::since).min(Instant::compareTo));
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Merges changes that failed to be written back in, without losing anything newer, and in front: they are
     * older than everything that waits, and the queue is kept oldest first.
     */
    void giveBackJobs(List<JobChange> failed) {
        lock.lock();
        try {
            LinkedHashMap<QName, JobChange> waiting = new LinkedHashMap<>(jobs);
            jobs.clear();
            for (JobChange f : failed) {
                JobChange now = waiting.remove(f.qname());
                if (now == null) {
                    jobs.put(f.qname(), f);
                    continue;
                }
                Instant since = f.since().isBefore(now.since()) ? f.since() : now.since();
                if (now.isRemoval()) {
                    jobs.put(f.qname(), new JobChange(f.qname(), Optional.empty(), false, since));
                } else {
                    // The failed entry's removal (or its own removeFirst) has not reached the graph yet.
                    boolean removeFirst = now.removeFirst() || f.isRemoval() || f.removeFirst();
                    // Versions compare only within one incarnation: a waiting removeFirst entry is the job come
                    // back after a removal, newer than anything failed, whose versions may have started again at 0.
                    boolean failedIsNewer = !now.removeFirst() && !f.isRemoval() && f.version() > now.version();
                    Optional<JobRecord> record = failedIsNewer ? f.record() : now.record();
                    jobs.put(f.qname(), new JobChange(f.qname(), record, removeFirst, since));
                }
            }
            jobs.putAll(waiting);
            jobsOut.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Takes up to {@code max} runs, oldest first, with the number of job changes waiting ahead of them. */
    RunBatch takeRuns(int max) {
        lock.lock();
        try {
            List<RunChange> out = new ArrayList<>(Math.min(max, runs.size()));
            while (!runs.isEmpty() && out.size() < max) {
                out.add(runs.pollFirst());
            }
            runsOut.set(out.size(), out.isEmpty() ? Optional.empty() : Optional.of(out.get(0).since()));
            return new RunBatch(out, jobs.size());
        } finally {
            lock.unlock();
        }
    }

    /** Puts runs that failed to be written back in front, dropping the oldest if that overflows the cap. */
    void giveBackRuns(List<RunChange> failed) {
        lock.lock();
        try {
            for (int i = failed.size() - 1; i >= 0; i--) {
                runs.addFirst(failed.get(i));
            }
            while (runs.size() > runCapacity) {
                runs.pollFirst();
                runsDropped++;
            }
            runsOut.clear();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A plugin list waiting to be written.
     *
     * @param plugins the complete list
     * @param since   when the oldest unwritten list was handed over
     */
    record PluginsChange(List<PluginNode> plugins, Instant since) {
    }

    /** Takes the pending plugin list, if any. */
    Optional<PluginsChange> takePlugins() {
        lock.lock();
        try {
            if (plugins == null) {
                return Optional.empty();
            }
            PluginsChange out = new PluginsChange(plugins, pluginsSince);
            pluginsOut.set(1, Optional.of(pluginsSince));
            plugins = null;
            pluginsSince = null;
            return Optional.of(out);
        } finally {
            lock.unlock();
        }
    }

    /** Gives a plugin list back unless a newer one arrived meanwhile (keeping the older time for the lag). */
    void giveBackPlugins(PluginsChange failed) {
        lock.lock();
        try {
            if (plugins == null) {
                plugins = failed.plugins();
                pluginsSince = failed.since();
            } else if (failed.since().isBefore(pluginsSince)) {
                pluginsSince = failed.since();
            }
            pluginsOut.clear();
        } finally {
            lock.unlock();
        }
    }

    /** The job batch that was out is in the graph. */
    void jobsWritten() {
        cleared(jobsOut);
    }

    /** The runs that were out are in the graph (or deliberately dropped). */
    void runsWritten() {
        cleared(runsOut);
    }

    /** The plugin list that was out is in the graph. */
    void pluginsWritten() {
        cleared(pluginsOut);
    }

    private void cleared(Out out) {
        lock.lock();
        try {
            out.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Counts runs dropped by the mirror thread itself (a batch Neo4j refused). */
    void dropped(int count) {
        lock.lock();
        try {
            runsDropped += count;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until something is pending or the queue is closed.
     *
     * @return whether something is pending
     */
    boolean awaitWork(Duration max) throws InterruptedException {
        lock.lock();
        try {
            long nanos = max.toNanos();
            while (!hasWork() && !closed && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            return hasWork();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the waiting mirror thread for good. */
    void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** @return changes not yet in the graph, including the batch being written */
    int depth() {
        lock.lock();
        try {
            return jobs.size() + runs.size() + (plugins == null ? 0 : 1)
                    + jobsOut.count + runsOut.count + pluginsOut.count;
        } finally {
            lock.unlock();
        }
    }

    /** @return when the oldest change not yet in the graph was made */
    Optional<Instant> oldest() {
        lock.lock();
        try {
            Instant oldest = null;
            for (Out out : List.of(jobsOut, runsOut, pluginsOut)) {
                if (out.since != null) {
                    oldest = min(oldest, out.since);
                }
            }
            // The jobs wait oldest first: a new change goes last, coalescing keeps an entry's place and its first
            // time, and a failed batch comes back in front. The first entry is the oldest (the whole queue is not
            // scanned: the engine waits on this lock, and a host may have 100,000 jobs waiting).
            if (!jobs.isEmpty()) {
                oldest = min(oldest, jobs.values().iterator().next().since());
            }
            if (!runs.isEmpty()) {
                oldest = min(oldest, runs.peekFirst().since());
            }
            if (plugins != null) {
                oldest = min(oldest, pluginsSince);
            }
            return Optional.ofNullable(oldest);
        } finally {
            lock.unlock();
        }
    }

    /** @return runs dropped because too many waited, or because Neo4j refused them */
    long runsDropped() {
        lock.lock();
        try {
            return runsDropped;
        } finally {
            lock.unlock();
        }
    }

    /** For tests: the pending job entries by name. */
    Map<QName, JobChange> pendingJobs() {
        lock.lock();
        try {
            return Map.copyOf(jobs);
        } finally {
            lock.unlock();
        }
    }

    private boolean hasWork() {
        return !jobs.isEmpty() || !runs.isEmpty() || plugins != null;
    }

    private static Instant min(Instant a, Instant b) {
        return a == null || b.isBefore(a) ? b : a;
    }
}
