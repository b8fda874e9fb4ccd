package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import java.time.Instant;

/**
 * What wraps each run's code on the run's own thread: entered just before the job's code runs, exited as soon as it
 * returns or throws. A module uses it for what must be current while the code runs, such as a trace span that the
 * job's own spans and log lines then join. Entering and exiting must be quick and must not throw; a failure is
 * logged and the run goes on.
 */
public interface RunAround {
    /** Wraps nothing. */
    RunAround NONE = run -> Scope.NONE;

    /**
     * @param run the run about to execute its code
     * @return what to exit when the code is done
     */
    Scope enter(RunInfo run);

    /** What is current while one run's code runs. */
    interface Scope {
        /** Nothing to exit. */
        Scope NONE = (failure, cancelReason) -> { };

        /**
         * @param failure      what the code threw, or null if it returned
         * @param cancelReason why the run was cancelled before its code returned (an operator, its timeout: "timed
         *                     out after ...", its plugin stopping, the host's shutdown), or null
         */
        void exit(Throwable failure, String cancelReason);
    }

    /**
     * One run, as it starts its code.
     *
     * @param job          the job
     * @param plugin       its plugin's id, or the namespace an application registered it under
     * @param runId        the run's number on this host since its start
     * @param scheduledFor the instant the fire was for
     * @param attempt      1, or the retry's number
     */
    record RunInfo(QName job, String plugin, long runId, Instant scheduledFor, int attempt) {
    }
}
