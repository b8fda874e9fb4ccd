package dev.belfry.cluster;

import dev.belfry.cluster.internal.ClusterState;
import dev.belfry.host.HostModule;
import dev.belfry.host.internal.module.SharedState;
import dev.belfry.host.internal.module.SharedStateFactory;
import java.time.Clock;

/**
 * Cluster mode as a host module: the host keeps its jobs in PostgreSQL with the cluster's other hosts instead of
 * in its data directory, fires the shards it leases, and every scheduled instant fires on one host
 * (docs/cluster.md).
 *
 * <pre>{@code
 * HostConfig.builder().dataDir(data).module(ClusterModule.of(ClusterConfig.builder(url).user(u).password(p).build()))
 * }</pre>
 */
public final class ClusterModule implements SharedStateFactory {
    private final ClusterConfig config;

    private ClusterModule(ClusterConfig config) {
        this.config = config;
    }

    /**
     * @param config the cluster's database and leases
     * @return the module, for {@code HostConfig.Builder.module}
     */
    public static HostModule of(ClusterConfig config) {
        return new ClusterModule(java.util.Objects.requireNonNull(config, "config"));
    }

    @Override
    public String name() {
        return "cluster";
    }

    @Override
    public SharedState open(String hostId, Clock clock, int runHistory) {
        return ClusterState.open(config, hostId, clock, runHistory);
    }
}
