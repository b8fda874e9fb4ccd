package dev.belfry.host.internal.state;

import dev.belfry.host.internal.engine.StateSink;
import dev.belfry.sidecar.JobRecord;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the host keeps its jobs' state: the seam between the host and its storage. Today the only store is the
 * sidecar's group-commit writer ({@link StateWriter}); a journal or a shared database goes behind this interface,
 * and nothing in the engine knows which store it writes to (it sees a {@link StateSink}).
 */
public interface StateStore extends StateSink {

    /** Starts the store's own thread, if it has one; no thread starts before this. Idempotent. */
    void start();

    /** @return every job's state as last handed to the store, whether or not it is on disk yet */
    List<JobRecord> snapshot();

    /** @return completes once every change so far is durable */
    CompletableFuture<Void> flush();

    /** @return the store's health */
    StateWriter.WriterHealth health();

    /** Starts the final commit without waiting for it: what the store accepts after this is its last. */
    void beginClose();

    /**
     * Finishes the final commit, retrying a failing one for up to {@code wait}.
     *
     * @param wait how long the final commit may take
     * @return the number of changes that could not be made durable
     */
    long close(Duration wait);
}
