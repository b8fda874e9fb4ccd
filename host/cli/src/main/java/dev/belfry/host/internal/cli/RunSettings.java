package dev.belfry.host.internal.cli;

import dev.belfry.host.HostConfig;
import dev.belfry.host.admin.AdminModule;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.graph.GraphModule;
import java.nio.file.Path;

/**
 * What {@code belfry run} starts: the core's settings plus the distribution's own choices, which a library user
 * makes for themselves: the admin API on port 7688, the embedded graph, a {@code plugins} folder and the exit guard
 * (the command owns its JVM, so a JVM-wide guard is its to install).
 */
final class RunSettings {
    /** The {@code admin-port} value that turns the HTTP admin API off. */
    static final int ADMIN_OFF = -1;

    final HostConfig.Builder host = HostConfig.builder().pluginsDir(Path.of("plugins")).exitGuard(true);
    int adminPort = AdminModule.DEFAULT_PORT;
    GraphConfig graph = GraphConfig.embedded();

    /** @return the host's configuration with the distribution's modules */
    HostConfig build() {
        host.module(adminPort == ADMIN_OFF ? AdminModule.jmxOnly() : AdminModule.onPort(adminPort));
        host.module(GraphModule.of(graph));
        return host.build();
    }
}
