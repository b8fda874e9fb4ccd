package dev.belfry.host;

import dev.belfry.api.QName;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A run that has ended.
 *
 * @param job          the job it belongs to
 * @param runId        its id, unique within this host's life
 * @param scheduledFor the fire it was for
 * @param startedAt    when it started
 * @param finishedAt   when it ended or was given up on
 * @param attempt      its attempt number, 1 for the first
 * @param error        why it failed, was cancelled or timed out; empty when it succeeded
 * @param outcome      how it ended
 */
public record RunView(QName job, long runId, Instant scheduledFor, Instant startedAt, Instant finishedAt,
                      int attempt, Optional<String> error, Outcome outcome) {

    /** How a run ended. */
    public enum Outcome {
        /** Its code returned. */
        SUCCEEDED,
        /** Its code threw; the job's retry policy decides what follows. */
        FAILED,
        /** It ran past its job's timeout (and was cancelled). */
        TIMED_OUT,
        /** An operator, its plugin's stop or the host's shutdown cancelled it. */
        CANCELLED
    }

    /**
     * Checks that nothing is null.
     *
     * @param job          the job it belongs to
     * @param runId        its id, unique within this host's life
     * @param scheduledFor the fire it was for
     * @param startedAt    when it started
     * @param finishedAt   when it ended or was given up on
     * @param attempt      its attempt number, 1 for the first
     * @param error        why it failed; empty when it succeeded
     */
    public RunView {
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(scheduledFor, "scheduledFor");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(finishedAt, "finishedAt");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(outcome, "outcome");
    }

    /** @return whether the run completed without failing */
    public boolean succeeded() {
        return outcome == Outcome.SUCCEEDED;
    }
}
