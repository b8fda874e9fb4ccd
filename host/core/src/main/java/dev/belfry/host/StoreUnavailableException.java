package dev.belfry.host;

/**
 * A cluster host could not read or confirm what it was asked because the cluster's database is out of reach. The
 * host goes on (and retries); the message is one line saying what could not be done and why.
 */
public final class StoreUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message one line: what could not be done, and why
     * @param cause   the database's error
     */
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
