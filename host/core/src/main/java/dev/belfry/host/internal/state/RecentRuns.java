package dev.belfry.host.internal.state;

import dev.belfry.api.QName;
import dev.belfry.sidecar.RunLogRecords;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The last runs of every job, in memory: a ring per job, bounded by the runs kept per job. Every run gets a
 * sequence number, so the writer can tell which runs it has taken. Not thread-safe: the {@link RunLog} that owns it
 * guards it with its own monitor.
 */
final class RecentRuns {
    private final int perJob;
    private final Map<QName, Ring> jobs = new HashMap<>();
    /** The host processes runs belong to, by start; a run keeps the index of its own. */
    private final List<Instant> lives = new ArrayList<>();
    private long nextSeq = 1;
    private long size;

    RecentRuns(int perJob) {
        this.perJob = perJob;
    }

    /**
     * Keeps a run, dropping the job's oldest run once it has as many as are kept. {@code life} is the run's host
     * process, as {@link #lifeIndex} numbers it; {@code error} is null for a run that succeeded.
     *
     * @return the run's sequence number
     */
    long add(QName job, long runId, Instant scheduled, Instant started, Instant finished, int attempt, String error,
             int life) {
        Ring r = jobs.get(job);
        if (r == null) {
            r = new Ring(Math.min(perJob, 4));
            jobs.put(job, r);
        }
        long seq = nextSeq++;
        size += r.add(perJob, seq, runId, scheduled, started, finished, attempt, error, life);
        return seq;
    }

    /** Forgets a job's runs. */
    void forget(QName job) {
        Ring r = jobs.remove(job);
        if (r != null) {
            size -= r.size;
        }
    }

    /** @return a sequence number for something other than a run (a drop), so it is ordered among the runs */
    long nextSeq() {
        return nextSeq++;
    }

    /** @return the last sequence number given out, 0 before the first */
    long lastSeq() {
        return nextSeq - 1;
    }

    /** @return the index runs of the host process started {@code at} keep */
    int lifeIndex(Instant at) {
        int i = lives.indexOf(at);
        if (i < 0) {
            lives.add(at);
            i = lives.size() - 1;
        }
        return i;
    }

    /** @return the job's runs, newest first; none for a job without runs */
    List<RunLogRecords.Run> runs(QName job) {
        Ring r = jobs.get(job);
        if (r == null) {
            return List.of();
        }
        List<RunLogRecords.Run> out = new ArrayList<>(r.size);
        for (int i = r.size - 1; i >= 0; i--) {
            out.add(r.run(job, i, lives));
        }
        return out;
    }

    /** Adds the job's runs numbered {@code seq} or lower to {@code out}, oldest first. */
    void runsUpTo(QName job, long seq, List<RunLogRecords.Run> out) {
        Ring r = jobs.get(job);
        for (int i = 0; r != null && i < r.size; i++) {
            if (r.seq(i) <= seq) {
                out.add(r.run(job, i, lives));
            }
        }
    }

    /** @return every job that has runs, in no order */
    List<QName> jobs() {
        return List.copyOf(jobs.keySet());
    }

    /** @return how many runs are kept, all jobs together */
    long size() {
        return size;
    }

    /**
     * One job's last runs: a ring of parallel primitive arrays, a few dozen bytes a run, where a deque of run
     * objects would cost three times as much. Grows to the bound as runs come.
     */
    private static final class Ring {
        private static final int LONGS = 5;
        private static final int INTS = 5;
        /** seq, run id, scheduled seconds, started seconds, finished seconds. */
        long[] longs;
        /** scheduled nanos, started nanos, finished nanos, attempt, life. */
        int[] ints;
        /** Allocated with the first failed run. */
        String[] errors;
        int head;
        int size;

        Ring(int capacity) {
            longs = new long[capacity * LONGS];
            ints = new int[capacity * INTS];
        }

        int capacity() {
            return ints.length / INTS;
        }

        /** @return how many runs were added, net: 1, or 0 when the oldest was dropped for it */
        int add(int bound, long seq, long runId, Instant scheduled, Instant started, Instant finished, int attempt,
                String error, int lifeIndex) {
            if (size == capacity() && size < bound) {
                grow(Math.min(bound, Math.max(4, size * 2)));
            }
            int slot;
            int added;
            if (size == capacity()) {
                slot = head;
                head = (head + 1) % capacity();
                added = 0;
            } else {
                slot = (head + size) % capacity();
                size++;
                added = 1;
            }
            int l = slot * LONGS;
            longs[l] = seq;
            longs[l + 1] = runId;
            longs[l + 2] = scheduled.getEpochSecond();
            longs[l + 3] = started.getEpochSecond();
            longs[l + 4] = finished.getEpochSecond();
            int n = slot * INTS;
            ints[n] = scheduled.getNano();
            ints[n + 1] = started.getNano();
            ints[n + 2] = finished.getNano();
            ints[n + 3] = attempt;
            ints[n + 4] = lifeIndex;
            if (error != null && errors == null) {
                errors = new String[capacity()];
            }
            if (errors != null) {
                errors[slot] = error;
            }
            return added;
        }

        private void grow(int capacity) {
            long[] l = new long[capacity * LONGS];
            int[] n = new int[capacity * INTS];
            String[] e = errors == null ? null : new String[capacity];
            for (int i = 0; i < size; i++) {
                int from = (head + i) % capacity();
                System.arraycopy(longs, from * LONGS, l, i * LONGS, LONGS);
                System.arraycopy(ints, from * INTS, n, i * INTS, INTS);
                if (e != null) {
                    e[i] = errors[from];
                }
            }
            longs = l;
            ints = n;
            errors = e;
            head = 0;
        }

        /** @param i 0 for the oldest */
        long seq(int i) {
            return longs[((head + i) % capacity()) * LONGS];
        }

        RunLogRecords.Run run(QName job, int i, List<Instant> lives) {
            int slot = (head + i) % capacity();
            int l = slot * LONGS;
            int n = slot * INTS;
            return new RunLogRecords.Run(job, lives.get(ints[n + 4]), longs[l + 1],
                    Instant.ofEpochSecond(longs[l + 2], ints[n]), Instant.ofEpochSecond(longs[l + 3], ints[n + 1]),
                    Instant.ofEpochSecond(longs[l + 4], ints[n + 2]), ints[n + 3],
                    Optional.ofNullable(errors == null ? null : errors[slot]));
        }
    }
}
