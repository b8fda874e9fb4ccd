package dev.belfry.host.internal.engine;

/**
 * Counters of the engine since it started.
 *
 * @param jobs                  jobs known
 * @param runsDispatched        runs handed to workers
 * @param firesSkipped          fires skipped because the job was still running
 * @param firesMissed           fires found missed (downtime, pause, stall), whatever the misfire policy did
 * @param runsTimedOut          runs given up on after their timeout
 * @param runsExecuting         runs executing now
 * @param abandonedStillRunning threads of given-up runs that have not returned yet
 * @param firesWaitingForWorker due fires waiting for a free worker
 */
public record EngineStats(int jobs, long runsDispatched, long firesSkipped, long firesMissed, long runsTimedOut,
                          int runsExecuting, int abandonedStillRunning, int firesWaitingForWorker) {
}
