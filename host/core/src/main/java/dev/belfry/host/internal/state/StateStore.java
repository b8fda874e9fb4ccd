package dev.belfry.host.internal.state;

import dev.belfry.host.internal.engine.StateSink;
import dev.belfry.sidecar.JobRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where the host keeps its jobs' state: the seam between the host and its storage. Today the store is the journal
 * with the sidecar as its checkpoint ({@link JournalStore}); a shared database goes behind this interface too, and
 * nothing in the engine knows which store it writes to (it sees a {@link StateSink}).
 */
public interface StateStore extends StateSink {

    /** Starts the store's own thread, if it has one; no thread starts before this. Idempotent. */
    void start();

    /** @return every job's state as last handed to the store, whether or not it is on disk yet */
    List<JobRecord> snapshot();

    /** @return completes once every change so far is durable */
    CompletableFuture<Void> flush();

    /** @return the store's health */
    Health health();

    /** Starts the final commit without waiting for it: what the store accepts after this is its last. */
    void beginClose();

    /**
     * Finishes the final commit, retrying a failing one for up to {@code wait}.
     *
     * @param wait how long the final commit may take
     * @return the number of changes that could not be made durable
     */
    long close(Duration wait);

    /**
     * The store's health.
     *
     * @param commits         durable commits since start
     * @param failures        failed commits and checkpoints since start
     * @param pendingChanges  changes made but not yet durable
     * @param lastCommitAt    when the last durable commit finished
     * @param lastCommitTook  how long it took
     * @param checkpointBytes the sidecar's size after the last checkpoint
     * @param lastError       the error of the last commit, while commits fail
     * @param checkpoints     checkpoints written since start
     * @param journalBytes    the size of the journal segment being written
     */
    record Health(long commits, long failures, long pendingChanges, Optional<Instant> lastCommitAt,
                  Duration lastCommitTook, long checkpointBytes, Optional<String> lastError, long checkpoints,
                  long journalBytes) {
    }
}
