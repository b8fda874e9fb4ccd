package dev.belfry.host.internal.module;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.FireClaim;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.RunLogRecords;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A job store shared by the hosts of a cluster: the state store, the claim that makes each fire run on one host,
 * and the leases that say which host fires which jobs.
 */
public interface SharedState {

    /** @return where the engine's changes go; writes for jobs this host does not own are refused by the store */
    StateStore store();

    /** @return the claim of fires, by the leases this host holds */
    FireClaim claim();

    /** @return every job of the cluster, as stored when the store was opened */
    List<JobRecord> jobs();

    /**
     * Starts taking leases: jobs of shards this host takes are {@link Engine#adopt adopted}, those it loses
     * {@link Engine#release released}, and operations on other hosts' jobs are forwarded to them.
     *
     * @param engine the host's engine, its plugins' jobs attached
     */
    void start(Engine engine);

    /** @return every job of the cluster as the store has it now (reads the store) */
    List<JobRecord> currentJobs();

    /**
     * @param qname a job
     * @return the job as the store has it now, if it exists (reads the store)
     */
    java.util.Optional<JobRecord> currentJob(QName qname);

    /**
     * @param qname a job
     * @return its last runs on any host, newest first
     */
    List<RunLogRecords.Run> runs(QName qname);

    /** @return whether this host can fire: it reaches the store and its leases are current */
    boolean ready();

    /** @return the cluster's health as this host sees it: hosts, shards held, lease state */
    Map<String, Object> health();

    /**
     * Gives this host's leases back (so other hosts take its shards at once, not after they expire) and closes.
     * Called after the engine stopped and the store's last changes were written.
     *
     * @param wait how long it may take
     */
    void close(Duration wait);
}
