package dev.belfry.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How often a failed run is retried and how long the host waits between attempts: exponential backoff with
 * jitter. The delay before retry {@code n} (the first retry is {@code n = 1}) is
 * {@code min(maxBackoff, initialBackoff * multiplier^(n-1))}, then spread uniformly by {@code ±jitter} of itself.
 *
 * @param maxAttempts    total attempts per fire including the first; 1 means no retries
 * @param initialBackoff delay before the first retry
 * @param multiplier     growth factor of the delay, at least 1
 * @param maxBackoff     cap on the delay before jitter
 * @param jitter         fraction of the delay to randomise, from 0 to 1
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, double multiplier, Duration maxBackoff,
                          double jitter) {
    /** The most attempts accepted. */
    public static final int MAX_ATTEMPTS = 1_000;
    /** The longest delay between attempts accepted. */
    public static final Duration MAX_BACKOFF = Duration.ofDays(365);

    private static final RetryPolicy NONE = new RetryPolicy(1, Duration.ofSeconds(1), 2.0, Duration.ofSeconds(1), 0);

    /**
     * Validates every value.
     *
     * @param maxAttempts    attempts
     * @param initialBackoff first delay
     * @param multiplier     growth
     * @param maxBackoff     cap
     * @param jitter         spread
     * @throws IllegalArgumentException quoting the value that is out of range
     * @throws NullPointerException     if a duration is null
     */
    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS) {
            throw new IllegalArgumentException("retry maxAttempts must be between 1 and " + MAX_ATTEMPTS + ": "
                    + maxAttempts);
        }
        if (initialBackoff.isNegative() || initialBackoff.isZero()) {
            throw new IllegalArgumentException("retry initialBackoff must be positive: " + initialBackoff);
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("retry multiplier must be a finite number >= 1: " + multiplier);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("retry maxBackoff must be >= initialBackoff (" + initialBackoff
                    + "): " + maxBackoff);
        }
        if (maxBackoff.compareTo(MAX_BACKOFF) > 0) {
            throw new IllegalArgumentException("retry maxBackoff must be at most " + MAX_BACKOFF + ": " + maxBackoff);
        }
        if (!(jitter >= 0.0 && jitter <= 1.0)) {
            throw new IllegalArgumentException("retry jitter must be between 0 and 1: " + jitter);
        }
    }

    /**
     * No retries: a failed run waits for the job's next regular fire.
     *
     * @return the policy with one attempt
     */
    public static RetryPolicy none() {
        return NONE;
    }

    /**
     * Exponential backoff doubling from {@code initialBackoff}, capped at one hour, with 20% jitter.
     *
     * @param maxAttempts    total attempts including the first
     * @param initialBackoff delay before the first retry
     * @return the policy
     * @throws IllegalArgumentException if a value is out of range
     */
    public static RetryPolicy exponential(int maxAttempts, Duration initialBackoff) {
        Duration cap = Duration.ofHours(1);
        return new RetryPolicy(maxAttempts, initialBackoff, 2.0,
                initialBackoff.compareTo(cap) > 0 ? initialBackoff : cap, 0.2);
    }

    /**
     * @param newMultiplier the growth factor for the copy
     * @return a copy with another multiplier
     */
    public RetryPolicy withMultiplier(double newMultiplier) {
        return new RetryPolicy(maxAttempts, initialBackoff, newMultiplier, maxBackoff, jitter);
    }

    /**
     * @param newMaxBackoff the cap for the copy
     * @return a copy with another cap on the delay
     */
    public RetryPolicy withMaxBackoff(Duration newMaxBackoff) {
        return new RetryPolicy(maxAttempts, initialBackoff, multiplier, newMaxBackoff, jitter);
    }

    /**
     * @param newJitter the spread for the copy, from 0 to 1
     * @return a copy with another jitter
     */
    public RetryPolicy withJitter(double newJitter) {
        return new RetryPolicy(maxAttempts, initialBackoff, multiplier, maxBackoff, newJitter);
    }

    /**
     * The delay before retry {@code retry}, a pure function of its arguments.
     *
     * @param retry      which retry, starting at 1
     * @param randomUnit a uniformly distributed number in {@code [0, 1)} that picks the jitter
     * @return the delay, never negative
     * @throws IllegalArgumentException if {@code retry < 1} or {@code randomUnit} is outside {@code [0, 1)}
     */
    public Duration delayBeforeRetry(int retry, double randomUnit) {
        if (retry < 1) {
            throw new IllegalArgumentException("retry number must be >= 1: " + retry);
        }
        if (!(randomUnit >= 0.0 && randomUnit < 1.0)) {
            throw new IllegalArgumentException("randomUnit must be in [0, 1): " + randomUnit);
        }
        double base = initialBackoff.toNanos() * Math.pow(multiplier, retry - 1);
        double capped = Math.min(base, (double) maxBackoff.toNanos());
        double spread = capped * jitter * (2 * randomUnit - 1);
        return Duration.ofNanos(Math.max(0L, (long) (capped + spread)));
    }
}
