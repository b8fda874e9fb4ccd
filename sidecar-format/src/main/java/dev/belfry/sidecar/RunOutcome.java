package dev.belfry.sidecar;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * How a job's most recent run ended.
 *
 * <p>The sidecar stores the duration in whole milliseconds, so the constructor truncates it to millisecond
 * precision; a record therefore compares equal to itself after a write and a read.
 *
 * @param success  whether the run completed without throwing
 * @param message  a short human-readable summary (the failure message, or empty); never null
 * @param duration how long the run took, not negative, truncated to milliseconds
 */
public record RunOutcome(boolean success, String message, Duration duration) {
    /**
     * Validates the values and truncates the duration to milliseconds.
     *
     * @param success  whether the run succeeded
     * @param message  the summary; use an empty string for none
     * @param duration how long the run took
     * @throws IllegalArgumentException if the duration is negative
     * @throws NullPointerException     if {@code message} or {@code duration} is null
     */
    public RunOutcome {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative()) {
            throw new IllegalArgumentException("run duration must not be negative: " + duration);
        }
        duration = duration.truncatedTo(ChronoUnit.MILLIS);
    }
}
