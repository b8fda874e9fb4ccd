package dev.belfry.host.internal.cli;

import dev.belfry.cluster.ClusterConfig;
import dev.belfry.cluster.ClusterModule;
import dev.belfry.host.HostConfig;
import dev.belfry.host.admin.AdminModule;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.graph.GraphModule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code belfry run} starts: the core's settings plus the distribution's own choices, which a library user
 * makes for themselves: the admin API on port 7688, the embedded graph (none in cluster mode), a {@code plugins}
 * folder, the exit guard (the command owns its JVM, so a JVM-wide guard is its to install) and, with a cluster
 * database, the cluster module.
 */
final class RunSettings {
    /** The {@code admin-port} value that turns the HTTP admin API off. */
    static final int ADMIN_OFF = -1;

    final HostConfig.Builder host = HostConfig.builder().pluginsDir(Path.of("plugins")).exitGuard(true);
    int adminPort = AdminModule.DEFAULT_PORT;
    int metricsJobLabels = AdminModule.DEFAULT_JOB_LABEL_LIMIT;
    GraphConfig graph = GraphConfig.embedded();
    /** The cluster database settings of the config file; the command line's go over them. */
    ClusterOptions.Settings cluster = new ClusterOptions.Settings(null, null, null, null);
    Optional<Duration> clusterLeaseTime = Optional.empty();
    Optional<String> clusterAddress = Optional.empty();
    /** Where each key the settings file gave was set, as errors name it: {@code FILE:LINE: key}. */
    final Map<String, String> fromFile = new HashMap<>();
    /** Cluster mode's settings, when the host runs in it. */
    Optional<ClusterConfig> clusterConfig = Optional.empty();

    /** @return the host's configuration with the distribution's modules */
    HostConfig build() {
        host.module(adminPort == ADMIN_OFF ? AdminModule.jmxOnly(metricsJobLabels)
                : AdminModule.onPort(adminPort, metricsJobLabels));
        host.module(GraphModule.of(graph));
        clusterConfig.ifPresent(c -> host.module(ClusterModule.of(c)));
        return host.build();
    }
}
