package dev.belfry.host.internal.plugins;

import org.pf4j.PluginRuntimeException;

/**
 * A plugin's jar, folder or metadata is unusable; the message says why in words an operator can act on, without
 * the exception's class name.
 */
final class DescriptorException extends PluginRuntimeException {
    private static final long serialVersionUID = 1L;

    DescriptorException(String message) {
        super(message);
    }
}
