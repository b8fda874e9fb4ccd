package dev.belfry.host.internal.engine;

/**
 * A run's start could not be recorded because the fire is not this host's: another host claimed it, or this host
 * no longer holds the lease on the job's shard. Unlike a start that failed to reach disk, it is not tried again
 * here: the fire belongs to the host that has it.
 */
public final class FireTakenException extends RuntimeException {

    /** @param message one line naming the job, the fire and who has it */
    public FireTakenException(String message) {
        super(message, null, false, false);
    }
}
