package dev.belfry.api;

/** What happens when a job is due while its previous run is still going. */
public enum OverlapPolicy {
    /** The new fire is skipped and recorded as such. The default. */
    SKIP,
    /** At most one fire waits for the running one to finish; further fires meanwhile are skipped. */
    QUEUE_ONE,
    /** Runs start regardless; several runs of the job may be in flight at once. */
    ALLOW
}
