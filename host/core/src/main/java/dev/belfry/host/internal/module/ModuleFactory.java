package dev.belfry.host.internal.module;

import dev.belfry.host.HostModule;

/**
 * What a Belfry module really is behind {@link HostModule}: something that attaches to a host as it is built. The
 * contract between the core and its modules (graph, admin); internal, because it hands out the host's internals.
 */
public interface ModuleFactory extends HostModule {

    /**
     * Attaches to a host being built, before its state is restored. Starts no thread and opens nothing: a start
     * refused later must leave nothing behind.
     *
     * @param host what the module may see and do of the host
     * @return the attached module
     */
    AttachedModule attach(HostContext host);
}
