package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import dev.belfry.sidecar.JobRecord;
import java.time.Instant;

/**
 * Told of runs as they start and end, for metrics, the graph mirror and the application's listeners. Called with the
 * engine's lock held: implementations must be quick and must not call back into the engine.
 */
public interface EngineListener {

    /** A listener that ignores everything. */
    EngineListener NONE = new EngineListener() {
    };

    /**
     * A run started: its start is recorded, and on disk if the job asks for a durable start. A durable start that
     * could not be made durable is not a run: it is told neither here nor to {@link #runFinished}.
     *
     * @param job the job's state with the run started
     */
    default void runStarted(JobRecord job) {
    }

    /**
     * @param result how a run ended
     */
    default void runFinished(RunResult result) {
    }

    /**
     * A run reported its progress. Called on the run's own thread, without the engine's lock, as often as the job's
     * code reports: implementations must be quick and keep at most the latest report.
     *
     * @param job      the job
     * @param runId    the run
     * @param fraction how far it is, 0 to 1
     * @param message  what it says it is doing, or empty
     */
    default void runProgressed(QName job, long runId, double fraction, String message) {
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
