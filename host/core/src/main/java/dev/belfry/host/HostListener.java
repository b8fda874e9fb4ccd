package dev.belfry.host;

import dev.belfry.api.QName;
import java.time.Instant;

/**
 * Told of what happens to jobs, runs and plugins, for an application's own metrics, audit or alerts. Every method
 * has an empty default, so a listener overrides only what it needs.
 *
 * <p>Calls come on the host's own threads, in the order things happen to each job, while the host holds its
 * engine's lock: a listener must return quickly and must not wait for the host (hand slow work to your own
 * executor). A listener that throws is logged and otherwise ignored; it never stops the host.
 */
public interface HostListener {

    /**
     * A job's next fire is set: at start, after each run, and when an operator changes it.
     *
     * @param job    the job as it is now
     * @param fireAt when it fires next
     */
    default void jobScheduled(JobView job, Instant fireAt) {
    }

    /**
     * A run started.
     *
     * @param job the job, with the run among its running ones
     */
    default void runStarted(JobView job) {
    }

    /**
     * A run ended, however it ended.
     *
     * @param run the run
     */
    default void runFinished(RunView run) {
    }

    /**
     * Fires of a job were missed by more than the misfire threshold (the host was down, or the job paused); its
     * misfire policy decides how many run now.
     *
     * @param job         the job
     * @param firstMissed the first fire missed
     * @param missed      how many fires were missed
     * @param runNow      how many of them run now
     */
    default void jobMisfired(QName job, Instant firstMissed, long missed, int runNow) {
    }

    /**
     * A job's plugin went away: the job keeps its state for the orphan retention and fires no more until the plugin
     * returns.
     *
     * @param job the job as it is now
     */
    default void jobOrphaned(JobView job) {
    }

    /**
     * A plugin loaded and its jobs were attached.
     *
     * @param plugin the plugin
     */
    default void pluginLoaded(PluginView plugin) {
    }

    /**
     * A plugin, or one of its jobs, was refused; the host goes on without it.
     *
     * @param problem what was refused and why
     */
    default void pluginRefused(PluginProblemView problem) {
    }
}
