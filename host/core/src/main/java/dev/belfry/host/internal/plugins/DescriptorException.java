package dev.belfry.host.internal.plugins;

import org.pf4j.PluginRuntimeException;

/**
 * A plugin's jar, folder or metadata is unusable; the message says why in words an operator can act on, without
 * the exception's class name.
 */
final class DescriptorException extends PluginRuntimeException {
    private static final long serialVersionUID = 1L;

    /** The jar looks cut off (a zip without its end): possibly a copy still under way. */
    private final boolean truncated;

    DescriptorException(String message) {
        this(message, false);
    }

    DescriptorException(String message, boolean truncated) {
        super(message);
        this.truncated = truncated;
    }

    /** @return whether the jar looks cut off, as a copy still under way would */
    boolean truncated() {
        return truncated;
    }
}
