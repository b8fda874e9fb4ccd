package dev.belfry.host;

/** An operation on a job that cannot be done: the job does not exist, or its state does not allow it. */
public final class JobOperationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the operation was refused. */
    public enum Reason {
        /** There is no job of that name. */
        NOT_FOUND,
        /** The job exists but cannot do this now (no plugin code, cancelled, ...). */
        CONFLICT
    }

    /** Why the operation was refused. */
    private final Reason reason;

    /**
     * @param reason  why the operation was refused
     * @param message one line naming the job and what stands in the way
     */
    public JobOperationException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** @return why the operation was refused */
    public Reason reason() {
        return reason;
    }
}
