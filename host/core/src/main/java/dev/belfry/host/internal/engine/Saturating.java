package dev.belfry.host.internal.engine;

import java.time.Instant;

/**
 * Arithmetic that holds at the edges: counters read from a file may already be at their maximum, and instants may
 * be centuries apart. Values stay at the bound rather than overflow.
 */
final class Saturating {
    private Saturating() {
    }

    static int increment(int n) {
        return n == Integer.MAX_VALUE ? n : n + 1;
    }

    static long increment(long n) {
        return n == Long.MAX_VALUE ? n : n + 1;
    }

    /** @return {@code a + b} for two counts (never negative), at most {@link Long#MAX_VALUE} */
    static long add(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /**
     * @return the nanoseconds from {@code now} until {@code due}, 0 if it has come, at most {@code capNanos}: a due
     *         instant centuries away does not fit in a long of nanoseconds
     */
    static long nanosUntil(Instant now, Instant due, long capNanos) {
        if (!due.isAfter(now)) {
            return 0;
        }
        // Computed from the fields rather than through Duration.between: the timer loop asks at every wake-up.
        long seconds = due.getEpochSecond() - now.getEpochSecond();
        if (seconds >= Long.MAX_VALUE / 1_000_000_000L) {
            return capNanos; // over 292 years: more than any cap, and not a long of nanoseconds
        }
        return Math.min(seconds * 1_000_000_000L + (due.getNano() - now.getNano()), capNanos);
    }
}
