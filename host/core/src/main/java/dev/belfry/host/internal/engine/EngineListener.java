package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import java.time.Instant;

/**
 * Told of runs as they end, for metrics and the graph mirror. Called with the engine's lock held: implementations
 * must be quick and must not call back into the engine.
 */
public interface EngineListener {

    /** A listener that ignores everything. */
    EngineListener NONE = new EngineListener() {
    };

    /**
     * @param result how a run ended
     */
    default void runFinished(RunResult result) {
    }

    /**
     * @param job         a job whose fires were missed (the host was down, or the job paused, past the threshold)
     * @param firstMissed the first fire missed
     * @param missed      how many were missed
     * @param toRun       how many of them its misfire policy runs now
     */
    default void misfired(QName job, Instant firstMissed, long missed, int toRun) {
    }
}
