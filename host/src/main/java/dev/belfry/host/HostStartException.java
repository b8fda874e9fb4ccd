package dev.belfry.host;

/** The host could not start; the message is one line that says why and, where it can, what to do. */
public final class HostStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HostStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
