package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import dev.belfry.sidecar.JobRecord;
import java.util.concurrent.CompletableFuture;

/**
 * Where the engine sends every job-state change: in production the sidecar's group-commit writer. Calls never
 * block on I/O; durability is asked for separately, only where it matters (a durable start).
 */
public interface StateSink {

    /**
     * Records a job's new state.
     *
     * @param record the job's complete new state
     * @return a ticket for {@link #durable(long)}
     */
    long put(JobRecord record);

    /**
     * Forgets a job (a cancelled dynamic job, a pruned orphan).
     *
     * @param qname the job
     * @return a ticket for {@link #durable(long)}
     */
    long remove(QName qname);

    /**
     * @param ticket a ticket from {@link #put} or {@link #remove}
     * @return completes once that change and all before it are on disk; fails if the commit failed
     */
    CompletableFuture<Void> durable(long ticket);
}
