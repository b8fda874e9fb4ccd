package dev.belfry.host.internal.graph;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of the graph mirror's health, for the admin surface and the command line.
 *
 * @param enabled     whether a mirror is configured at all
 * @param connected   whether the mirror is connected to Neo4j and its last write or resync succeeded
 * @param queueDepth  changes not yet in the graph: jobs (one entry per job, however many changes), runs, and the
 *                    plugin list
 * @param lag         the age of the oldest change not yet in the graph; empty when nothing is waiting
 * @param lastError   the most recent failure to reach or write the graph; empty while nothing has failed since
 *                    the last successful (re)connection
 * @param lastSyncAt  when the last full resync from the sidecar state completed
 * @param rowsWritten rows written to the graph since the mirror started (jobs, runs, plugins, deletions)
 */
public record MirrorStatus(boolean enabled, boolean connected, int queueDepth, Optional<Duration> lag,
                           Optional<String> lastError, Optional<Instant> lastSyncAt, long rowsWritten) {

    /**
     * Validates the values.
     *
     * @param enabled     whether a mirror is configured
     * @param connected   whether it is connected
     * @param queueDepth  changes waiting, not negative
     * @param lag         the age of the oldest waiting change
     * @param lastError   the most recent failure
     * @param lastSyncAt  the last resync
     * @param rowsWritten rows written, not negative
     * @throws IllegalArgumentException if a count is negative
     * @throws NullPointerException     if an {@code Optional} is null
     */
    public MirrorStatus {
        Objects.requireNonNull(lag, "lag");
        Objects.requireNonNull(lastError, "lastError");
        Objects.requireNonNull(lastSyncAt, "lastSyncAt");
        if (queueDepth < 0) {
            throw new IllegalArgumentException("queue depth must not be negative: " + queueDepth);
        }
        if (rowsWritten < 0) {
            throw new IllegalArgumentException("rows written must not be negative: " + rowsWritten);
        }
    }

    /** @return the status of a mirror that is switched off */
    static MirrorStatus disabled() {
        return new MirrorStatus(false, false, 0, Optional.empty(), Optional.empty(), Optional.empty(), 0);
    }
}
