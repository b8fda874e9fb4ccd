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
 * @param error        why it failed; empty when it succeeded
 */
public record RunView(QName job, long runId, Instant scheduledFor, Instant startedAt, Instant finishedAt,
                      int attempt, Optional<String> error) {

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
    }

    /** @return whether the run completed without failing */
    public boolean succeeded() {
        return error.isEmpty();
    }
}
