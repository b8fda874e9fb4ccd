package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import java.time.Instant;
import java.util.Optional;

/**
 * How one run ended, as reported to an {@link EngineListener}.
 *
 * @param job          the job
 * @param runId        the run's id
 * @param scheduledFor the fire it was for
 * @param firedAt      when it started
 * @param finishedAt   when it ended (or was given up on)
 * @param attempt      its attempt number
 * @param error        why it failed; empty for success
 */
public record RunResult(QName job, long runId, Instant scheduledFor, Instant firedAt, Instant finishedAt,
                        int attempt, Optional<String> error) {
}
