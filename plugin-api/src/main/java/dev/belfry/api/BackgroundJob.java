package dev.belfry.api;

import org.pf4j.ExtensionPoint;

/**
 * The extension point plugins implement to contribute a background job. Annotate the implementation with
 * {@code @org.pf4j.Extension}; the host registers it as {@code pluginId.spec().name()} when the plugin starts.
 *
 * <p>The host calls {@link #spec()} once at registration; {@link #run(JobContext)} is then called on a worker
 * thread for every fire, possibly concurrently if the spec's overlap policy is {@link OverlapPolicy#ALLOW}.
 */
public interface BackgroundJob extends ExtensionPoint {

    /**
     * Describes the job: its name, schedule and policies.
     *
     * @return the job's spec; must not be null
     */
    JobSpec spec();

    /**
     * Does one run of the job. Returning normally records success; throwing records a failure with the
     * exception's message and lets the retry policy decide what follows. Long runs should check
     * {@link JobContext#isCancelled()} and return promptly once cancelled.
     *
     * @param context the run's context: its times, attempt, cancellation, progress and checkpoint
     * @throws Exception to report that the run failed
     */
    void run(JobContext context) throws Exception;
}
