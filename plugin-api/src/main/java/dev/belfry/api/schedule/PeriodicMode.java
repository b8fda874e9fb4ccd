package dev.belfry.api.schedule;

/** How a {@link Schedule.Periodic} schedule measures its period. */
public enum PeriodicMode {
    /**
     * Fires on a fixed grid anchored at the first fire: {@code start, start + every, start + 2 * every, ...}.
     * A slow run does not shift the grid, so the schedule never drifts.
     */
    FIXED_RATE,
    /** Fires {@code every} after the previous run finished, so runs never follow each other closer than that. */
    FIXED_DELAY
}
