package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.TriggerOutcome;

/**
 * Cluster mode: takes an operator's operation on a job that another host fires to that host, and answers with its
 * outcome. The engine hands an operation here instead of acting on its own copy of the job, which another host is
 * changing.
 */
@FunctionalInterface
public interface ElsewhereOperations {

    /** An operation on a job. */
    enum Op { TRIGGER, PAUSE, RESUME, CANCEL }

    /**
     * @param op    the operation
     * @param qname the job
     * @return for {@link Op#TRIGGER}, what the owner did; null for the others
     * @throws JobOperationException if the owner refused it, or no host answered in time
     */
    TriggerOutcome forward(Op op, QName qname);
}
