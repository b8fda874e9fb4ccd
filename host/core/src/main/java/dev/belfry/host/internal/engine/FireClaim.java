package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import java.time.Duration;
import java.time.Instant;

/**
 * The one place that decides "this fire runs here, now", between a fire falling due and its dispatch. A single
 * host always says yes; in cluster mode it says yes while this host holds the lease on the job's shard, and the
 * fire is then claimed for good in the write that records the run's start ({@link StateSink#started}). Nothing else in the engine assumes
 * it is alone.
 */
@FunctionalInterface
public interface FireClaim {

    /** The claim of a host that is alone: every fire runs here. */
    FireClaim ALWAYS = (job, scheduledFor) -> true;

    /**
     * @param job          the job that is due
     * @param scheduledFor the instant the fire is for
     * @return true if this host runs the fire; false if it must not (the fire is then not run here)
     */
    boolean claim(QName job, Instant scheduledFor);

    /**
     * Asked as a job's regular fire falls due, before anything of it changes: false leaves the fire untouched for
     * the host that holds the job (the job is then another host's here until {@code Engine.adopt} brings it back).
     *
     * @param job the job whose fire is due
     * @return whether this host fires the job now
     */
    default boolean firesHere(QName job) {
        return true;
    }

    /**
     * @return whether every run must wait for its start, and so its claim, to be committed before its code runs
     *         (a claim shared by several hosts: the commit is what makes the fire this host's)
     */
    default boolean commitBeforeRun() {
        return false;
    }

    /**
     * How long before a regular fire's instant it is decided and claimed. A claim committed in that time lets the
     * code start at the instant itself, the commit's latency hidden; the code never starts before the instant.
     * Zero for a host alone, whose claim costs nothing.
     *
     * @return how far ahead of their instants fires are claimed, never negative
     */
    default Duration claimAhead() {
        return Duration.ZERO;
    }

    /**
     * Whether a job new to this host is this host's to fire. A job created by a run (a dynamic job) is asked about
     * on that run's thread, so that a claim may keep it with the job that created it.
     *
     * @param job a job this host has not known before
     * @return true if it fires here; false if another host fires it
     */
    default boolean isHere(QName job) {
        return true;
    }

    /**
     * @param job a job this host has just claimed a fire of
     * @return the fencing token its run carries ({@code JobContext.fencingToken()}): the epoch of the lease under
     *         which the fire is claimed; 0 for a host alone
     */
    default long fencingToken(QName job) {
        return 0;
    }
}
