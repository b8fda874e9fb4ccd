package dev.belfry.host.internal.admin;

import java.util.Map;

/**
 * The host's metrics over JMX, the same figures as {@code /metrics}: registered as
 * {@code dev.belfry:type=Host,data="<data directory>"}.
 */
public interface HostMetricsMXBean {

    /** @return jobs per status */
    Map<String, Long> getJobsByStatus();

    /** @return runs dispatched to workers */
    long getFiresTotal();

    /** @return fires skipped because the job was still running */
    long getFiresSkippedTotal();

    /** @return fires found missed */
    long getFiresMissedTotal();

    /** @return runs that ended */
    long getRunsTotal();

    /** @return runs that failed */
    long getRunFailuresTotal();

    /** @return runs that were retries */
    long getRunRetriesTotal();

    /** @return runs given up after their timeout */
    long getRunTimeoutsTotal();

    /** @return runs executing now */
    int getRunsExecuting();

    /** @return successful writes of the state file */
    long getSidecarCommitsTotal();

    /** @return failed writes of the state file */
    long getSidecarCommitFailuresTotal();

    /** @return state changes not yet on disk */
    long getSidecarPendingChanges();

    /** @return seconds the last write of the state file took */
    double getSidecarLastCommitSeconds();

    /** @return the state file's size after the last write */
    long getSidecarBytes();

    /** @return the graph mirror's gauges (connected, queue_depth, lag_seconds, rows_written); empty when off */
    Map<String, Double> getGraphMirror();
}
