package dev.belfry.bench.lagplugin;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts fire lags in microseconds from many worker threads without a lock or garbage: 1 µs buckets up to 10 ms,
 * 100 µs buckets up to 10 s, one bucket beyond. Negative lags (none expected: the host never fires early) count as
 * zero. Counts only grow; a report takes two snapshots and reads their difference.
 */
final class LagHistogram {
    static final LagHistogram INSTANCE = new LagHistogram();

    private static final int FINE = 10_000;
    private static final int COARSE = 100_000;
    private static final int COARSE_STEP = 100;
    private static final int BUCKETS = FINE + (COARSE - FINE / COARSE_STEP) + 1;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final AtomicLong max = new AtomicLong();
    private volatile boolean started;

    void started() {
        started = true;
    }

    boolean isStarted() {
        return started;
    }

    void record(long micros) {
        long v = Math.max(0, micros);
        int bucket;
        if (v < FINE) {
            bucket = (int) v;
        } else if (v < (long) COARSE * COARSE_STEP) {
            bucket = FINE + (int) (v / COARSE_STEP) - FINE / COARSE_STEP;
        } else {
            bucket = BUCKETS - 1;
        }
        counts.incrementAndGet(bucket);
        long m;
        while (v > (m = max.get()) && !max.compareAndSet(m, v)) {
            Thread.onSpinWait();
        }
    }

    long[] snapshot() {
        long[] s = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            s[i] = counts.get(i);
        }
        return s;
    }

    long max() {
        return max.get();
    }

    /** @return the upper bound in microseconds of the bucket holding the given percentile of {@code now - before} */
    static long percentile(long[] before, long[] now, double percentile) {
        long total = count(before, now);
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(percentile / 100.0 * total);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += now[i] - before[i];
            if (seen >= rank) {
                return i < FINE ? i : (long) (i - FINE + FINE / COARSE_STEP + 1) * COARSE_STEP;
            }
        }
        return Long.MAX_VALUE;
    }

    static long count(long[] before, long[] now) {
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            total += now[i] - before[i];
        }
        return total;
    }
}
