package dev.belfry.host.internal.module;

import dev.belfry.host.HostModule;
import java.time.Clock;

/**
 * What a cluster module really is behind {@link HostModule}: it keeps the host's jobs in a store that several hosts
 * share, in place of the data directory's sidecar and journal. Internal, as {@link ModuleFactory} is.
 */
public interface SharedStateFactory extends HostModule {

    /**
     * Connects to the shared store, brings its schema up to date and loads the jobs. Fires nothing and holds no
     * lease yet: a start refused later leaves the other hosts as they were.
     *
     * @param hostId     this host's id, unique in the cluster
     * @param clock      the host's clock (for what it records; leases go by the store's clock)
     * @param runHistory how many runs per job the host shows
     * @return the opened store
     * @throws dev.belfry.host.HostStartException with a one-line reason if the store cannot be used
     */
    SharedState open(String hostId, Clock clock, int runHistory);
}
