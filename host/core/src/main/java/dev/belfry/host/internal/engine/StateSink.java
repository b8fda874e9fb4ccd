package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import dev.belfry.sidecar.JobRecord;
import java.time.Instant;
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
     * Records a run's start: the job's new state, and the fire it is for. A store shared by several hosts claims the
     * fire in the same write, so that it runs on one host only; if another host has it, {@link #durable} of the
     * ticket fails with {@link FireTakenException}.
     *
     * @param record       the job's complete new state
     * @param scheduledFor the instant the fire is for
     * @param attempt      the attempt at that fire, from 1
     * @return a ticket for {@link #durable(long)}
     */
    default long started(JobRecord record, Instant scheduledFor, int attempt) {
        return put(record);
    }

    /**
     * A run ended; a store that keeps the run history (a shared store) records it. Nothing to wait for.
     *
     * @param result the run
     */
    default void runEnded(RunResult result) {
    }

    /**
     * Forgets a job (a cancelled dynamic job, a pruned orphan).
     *
     * @param qname the job
     * @return a ticket for {@link #durable(long)}
     */
    long remove(QName qname);

    /**
     * Whether this host is the one whose changes of the job count: a store shared by several hosts holds every job of
     * the cluster, but each host writes only the jobs of the shards it leases. What it copies elsewhere (the graph)
     * follows the same rule, so that a host does not spread its stale copy of another host's job.
     *
     * @param qname a job
     * @return whether this host owns the job; always, for a store of one host
     */
    default boolean owns(QName qname) {
        return true;
    }

    /**
     * @param ticket a ticket from {@link #put} or {@link #remove}
     * @return completes once that change and all before it are on disk; fails if the commit failed
     */
    CompletableFuture<Void> durable(long ticket);
}
