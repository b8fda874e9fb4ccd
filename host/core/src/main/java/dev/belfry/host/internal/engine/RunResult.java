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

    /** How a run ended, by kind. */
    public enum Kind {
        /** Its code returned. */
        SUCCEEDED,
        /** Its code threw. */
        FAILED,
        /** It ran past its job's timeout. */
        TIMED_OUT,
        /** An operator, a plugin stop or the host's shutdown cancelled it. */
        CANCELLED
    }

    /** @return how the run ended, read from the error text the engine wrote (see RunOutcomes) */
    public Kind kind() {
        if (error.isEmpty()) {
            return Kind.SUCCEEDED;
        }
        String e = error.get();
        return e.startsWith(RunOutcomes.TIMED_OUT) ? Kind.TIMED_OUT
                : e.startsWith(RunOutcomes.CANCELLED) ? Kind.CANCELLED : Kind.FAILED;
    }
}
