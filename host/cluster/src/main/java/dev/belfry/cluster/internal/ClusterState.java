package dev.belfry.cluster.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.belfry.api.QName;
import dev.belfry.cluster.ClusterConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostStartException;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.FireClaim;
import dev.belfry.host.internal.module.SharedState;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.RunLogRecords;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A host's side of the cluster: the connection pool, the store, the leases, the claim and the operations relay,
 * opened together and closed in order.
 */
public final class ClusterState implements SharedState {
    private final HikariDataSource pool;
    private final ClusterStore store;
    private final ClusterClaim claim;
    private final LeaseKeeper leases;
    private final OperationRelay relay;
    private final JobShards shards;
    private final List<JobRecord> loaded;
    private final int runHistory;

    private ClusterState(HikariDataSource pool, ClusterStore store, ClusterClaim claim, LeaseKeeper leases,
                         OperationRelay relay, JobShards shards, List<JobRecord> loaded, int runHistory) {
        this.pool = pool;
        this.store = store;
        this.claim = claim;
        this.leases = leases;
        this.relay = relay;
        this.shards = shards;
        this.loaded = loaded;
        this.runHistory = runHistory;
    }

    /**
     * Connects, brings the schema up to date, loads the cluster's jobs and registers this host.
     *
     * @throws HostStartException with a one-line reason if the database cannot be used
     */
    public static ClusterState open(ClusterConfig config, String hostId, Clock clock, int runHistory) {
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(poolConfig(config, hostId));
        } catch (RuntimeException e) {
            throw new HostStartException("cannot connect to the cluster database " + config.displayUrl() + ": "
                    + DbErrors.describe(e), e);
        }
        try {
            Namespaces namespaces = new Namespaces();
            try (Connection c = pool.getConnection()) {
                Schema.migrate(c);
                namespaces.refresh(c);
            }
            Ownership ownership = new Ownership();
            JobShards shards = new JobShards(namespaces);
            List<JobRecord> jobs = ClusterQueries.allJobs(pool, shards);
            Instant startedAt = clock.instant();
            ClusterStore store = new ClusterStore(pool, hostId, startedAt, ownership, shards, clock, jobs);
            OperationRelay relay = new OperationRelay(pool, () -> connection(pool), hostId, ownership,
                    config.operationTimeout(), store::flush);
            LeaseKeeper.Identity me = new LeaseKeeper.Identity(hostId, UUID.randomUUID().toString(), startedAt,
                    Host.BUILD_VERSION, config.address());
            LeaseKeeper leases = new LeaseKeeper(pool, me, config.leaseTime(), config.renewEvery(), ownership, shards,
                    store, relay, new RunPruner(pool, config.runRetention()));
            leases.register();
            return new ClusterState(pool, store, new ClusterClaim(ownership, shards), leases, relay, shards, jobs,
                    runHistory);
        } catch (SQLException | RuntimeException e) {
            pool.close();
            throw new HostStartException("cannot use the cluster database " + config.displayUrl() + ": " + DbErrors.describe(e),
                    e);
        }
    }

    private static HikariConfig poolConfig(ClusterConfig config, String hostId) {
        HikariConfig h = new HikariConfig();
        h.setJdbcUrl(config.url());
        h.setUsername(config.user());
        h.setPassword(new String(config.password()));
        h.setMaximumPoolSize(config.poolSize());
        h.setMinimumIdle(2);
        h.setPoolName("belfry-cluster");
        // Every wait on the database is shorter than what is left of a lease once renewal fails, so that a hung
        // connection ends in a failed renewal, not in a host firing on a lease it cannot know is gone.
        long bound = Math.max(1, config.leaseTime().minus(LeaseKeeper.marginFor(config.leaseTime())).toSeconds() / 3);
        h.setConnectionTimeout(Math.max(250, bound * 1000));
        h.setValidationTimeout(Math.max(250, Math.min(bound * 1000, 2000)));
        h.addDataSourceProperty("socketTimeout", Long.toString(bound));
        h.addDataSourceProperty("connectTimeout", Long.toString(bound));
        h.addDataSourceProperty("loginTimeout", Long.toString(bound));
        h.addDataSourceProperty("tcpKeepAlive", "true");
        // A host cut off inside a transaction leaves it open on the server, and its row locks with it: the shard rows
        // of a renewal would be skipped (SKIP LOCKED) by every taker, and its job rows block their writers, until TCP
        // gives up hours later. The server ends such a session once it has idled this long within a transaction.
        h.addDataSourceProperty("options", "-c idle_in_transaction_session_timeout=" + bound * 1000);
        h.addDataSourceProperty("ApplicationName", "belfry " + hostId);
        // Only SCRAM, unless the URL says otherwise: a host reconnecting while the database is down would otherwise
        // hand its password in clear to whoever listens on the database's port then (docs/cluster.md, "Security").
        if (!config.url().toLowerCase(java.util.Locale.ROOT).matches(".*[?&]requireauth=.*")) {
            h.addDataSourceProperty("requireAuth", "scram-sha-256");
        }
        h.setInitializationFailTimeout(1);
        return h;
    }

    private static Connection connection(HikariDataSource pool) {
        try {
            return pool.getConnection();
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public StateStore store() {
        return store;
    }

    @Override
    public FireClaim claim() {
        return claim;
    }

    @Override
    public List<JobRecord> jobs() {
        return loaded;
    }

    @Override
    public void start(Engine engine) {
        relay.start(engine);
        leases.start(engine);
    }

    @Override
    public List<JobRecord> currentJobs() {
        try {
            return ClusterQueries.allJobs(pool, shards);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the cluster's jobs from its database: "
                    + DbErrors.describe(e), e);
        }
    }

    @Override
    public Optional<JobRecord> currentJob(QName qname) {
        try {
            return ClusterQueries.job(pool, qname, shards);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read job " + qname + " from the cluster's database: "
                    + DbErrors.describe(e), e);
        }
    }

    @Override
    public List<RunLogRecords.Run> runs(QName qname) {
        try {
            return ClusterQueries.runs(pool, qname, runHistory);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the runs of " + qname + " from the cluster's database: "
                    + DbErrors.describe(e), e);
        }
    }

    @Override
    public boolean ready() {
        return leases.ready();
    }

    @Override
    public Map<String, Object> health() {
        Map<String, Object> out = new LinkedHashMap<>(leases.health());
        out.putAll(store.figures());
        try {
            out.put("hosts", ClusterQueries.hosts(pool));
        } catch (SQLException e) {
            out.put("hosts", "unknown: " + DbErrors.describe(e));
        }
        return out;
    }

    @Override
    public void close(Duration wait) {
        relay.close();
        leases.close(wait);
        pool.close();
    }
}
