package dev.belfry.host;

/** What triggering a job led to. */
public enum TriggerOutcome {
    /** A run started. */
    STARTED,
    /** The fire waits: for the job's running run (overlap QUEUE_ONE) or for a free worker. */
    QUEUED,
    /** The job is running and its overlap policy skips further fires. */
    SKIPPED
}
