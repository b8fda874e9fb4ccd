package dev.belfry.host.internal.admin.ui;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs, failures and fire lag per minute over the last 24 hours, for the overview's charts: a ring of 1,440 slots,
 * each a minute's counts and a lag histogram, fed as runs end. Memory is fixed (about 200 KB) whatever the load.
 */
public final class MinuteCounts {
    /** Minutes kept. */
    public static final int MINUTES = 24 * 60;
    /** Lag histogram bounds, milliseconds; the last bucket holds everything above the last bound. */
    static final long[] LAG_BOUNDS_MS = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 5_000, 30_000, 300_000};

    private final long[] minute = new long[MINUTES];
    private final long[] runs = new long[MINUTES];
    private final long[] failures = new long[MINUTES];
    private final long[][] lag = new long[MINUTES][LAG_BOUNDS_MS.length + 1];

    /**
     * One minute's figures.
     *
     * @param start    the minute
     * @param runs     runs that ended in it
     * @param failures of those, the failed ones
     * @param lagP99   the 99th percentile of their fire lag (a histogram bucket's upper bound), if any ran
     */
    public record Minute(Instant start, long runs, long failures, java.util.Optional<Duration> lagP99) {
    }

    /**
     * @param endedAt when the run ended
     * @param failed  whether it failed
     * @param late    how late it started
     */
    public synchronized void record(Instant endedAt, boolean failed, Duration late) {
        long m = Math.floorDiv(endedAt.getEpochSecond(), 60);
        int slot = slot(m);
        if (minute[slot] != m) {
            minute[slot] = m;
            runs[slot] = 0;
            failures[slot] = 0;
            java.util.Arrays.fill(lag[slot], 0);
        }
        runs[slot]++;
        if (failed) {
            failures[slot]++;
        }
        long ms = late.isNegative() ? 0 : late.toMillis();
        int b = 0;
        while (b < LAG_BOUNDS_MS.length && ms > LAG_BOUNDS_MS[b]) {
            b++;
        }
        lag[slot][b]++;
    }

    /**
     * @param now   the present
     * @param count how many minutes, up to {@link #MINUTES}
     * @return the last {@code count} minutes up to and including the present one, oldest first
     */
    public synchronized List<Minute> last(Instant now, int count) {
        long current = Math.floorDiv(now.getEpochSecond(), 60);
        List<Minute> out = new ArrayList<>(count);
        for (long m = current - count + 1; m <= current; m++) {
            int slot = slot(m);
            Instant start = Instant.ofEpochSecond(m * 60);
            if (minute[slot] != m || runs[slot] == 0) {
                out.add(new Minute(start, 0, 0, java.util.Optional.empty()));
            } else {
                out.add(new Minute(start, runs[slot], failures[slot], java.util.Optional.of(p99(lag[slot],
                        runs[slot]))));
            }
        }
        return out;
    }

    private static Duration p99(long[] buckets, long total) {
        long rank = (long) Math.ceil(total * 0.99);
        long seen = 0;
        for (int b = 0; b < buckets.length; b++) {
            seen += buckets[b];
            if (seen >= rank) {
                return b < LAG_BOUNDS_MS.length ? Duration.ofMillis(LAG_BOUNDS_MS[b])
                        : Duration.ofMillis(LAG_BOUNDS_MS[LAG_BOUNDS_MS.length - 1]);
            }
        }
        return Duration.ofMillis(LAG_BOUNDS_MS[LAG_BOUNDS_MS.length - 1]);
    }

    private static int slot(long minute) {
        return (int) Math.floorMod(minute, (long) MINUTES);
    }
}
