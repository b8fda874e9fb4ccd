package dev.belfry.host.internal.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * The engine's tunables.
 *
 * @param maxConcurrentRuns runs executing at once, across all jobs; further due runs wait their turn in order
 * @param misfireThreshold  how late a fire may be before it counts as missed and the job's misfire policy decides
 * @param maxTimerSleep     longest the timer thread sleeps before re-reading the clock, so a wall-clock jump is
 *                          noticed; fires themselves are timed exactly, not by this
 * @param orphanRetention   how long the state of an orphaned job (its plugin gone) is kept before it is pruned
 */
public record EngineSettings(int maxConcurrentRuns, Duration misfireThreshold, Duration maxTimerSleep,
                             Duration orphanRetention) {

    /** Defaults: 4 runs per core (at least 8), 5 s misfire threshold, 10 s timer sleep, 30 days of orphans. */
    public static final EngineSettings DEFAULTS = new EngineSettings(
            Math.max(8, 4 * Runtime.getRuntime().availableProcessors()), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofDays(30));

    /**
     * Validates the values.
     *
     * @param maxConcurrentRuns runs at once
     * @param misfireThreshold  misfire threshold
     * @param maxTimerSleep     timer sleep cap
     * @param orphanRetention   orphan retention
     */
    public EngineSettings {
        Objects.requireNonNull(misfireThreshold, "misfireThreshold");
        Objects.requireNonNull(maxTimerSleep, "maxTimerSleep");
        Objects.requireNonNull(orphanRetention, "orphanRetention");
        if (maxConcurrentRuns < 1) {
            throw new IllegalArgumentException("maxConcurrentRuns must be at least 1: " + maxConcurrentRuns);
        }
        if (misfireThreshold.isNegative() || maxTimerSleep.isNegative() || maxTimerSleep.isZero()
                || orphanRetention.isNegative()) {
            throw new IllegalArgumentException("engine durations must be positive: misfireThreshold="
                    + misfireThreshold + ", maxTimerSleep=" + maxTimerSleep + ", orphanRetention=" + orphanRetention);
        }
    }
}
