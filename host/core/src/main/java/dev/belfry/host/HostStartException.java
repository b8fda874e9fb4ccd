package dev.belfry.host;

/** The host could not start; the message is one line that says why and, where it can, what to do. */
public final class HostStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message one line that says why and, where it can, what to do
     * @param cause   what failed
     */
    public HostStartException(String message, Throwable cause) {
        super(message, cause);
    }

    /** @param message one line that says why and, where it can, what to do */
    public HostStartException(String message) {
        super(message);
    }
}
