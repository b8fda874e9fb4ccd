package dev.belfry.cluster.internal;

import dev.belfry.sidecar.JobRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Moving job state in and out of the cluster store ({@code belfry cluster import} and {@code export}): public for the
 * command line, not an API. An import registers jobs as a host registers a job new to the cluster (written epoch 0,
 * which the fencing trigger lets an insert through with), so it needs no lease.
 */
public final class ClusterTransfer {
    /** Who an imported row says wrote it. */
    public static final String IMPORTER = "belfry-cluster-import";

    private ClusterTransfer() {
    }

    /**
     * Writes the jobs into {@code belfry_jobs} in one transaction, the schema brought up to date first.
     *
     * @param c       a connection in auto-commit mode; left in it
     * @param jobs    the jobs, each to the shard of its name
     * @param replace whether a job the cluster already has is replaced (deleted and inserted again in the same
     *                transaction); without it such a job fails the whole import
     * @throws ClusterRunning   if a host of the cluster is live (nothing is written): its next writes of its shards'
     *                           jobs would replace the imported rows
     * @throws AlreadyInCluster if a job exists and {@code replace} is false (nothing is written)
     * @throws SQLException     if the database refuses (nothing is written)
     */
    public static void importJobs(Connection c, List<JobRecord> jobs, boolean replace) throws SQLException {
        Objects.requireNonNull(jobs, "jobs");
        Schema.migrate(c);
        JobCodec codec = new JobCodec();
        c.setAutoCommit(false);
        try {
            List<String> live = ClusterQueries.liveHosts(c);
            if (!live.isEmpty()) {
                throw new ClusterRunning(live);
            }
            List<String> names = jobs.stream().map(j -> j.qname().toString()).toList();
            if (replace) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM belfry_jobs WHERE qname = ANY(?)")) {
                    s.setArray(1, Sql.texts(c, names));
                    s.executeUpdate();
                }
            } else {
                List<String> present = present(c, names);
                if (!present.isEmpty()) {
                    throw new AlreadyInCluster(present);
                }
            }
            Namespaces namespaces = new Namespaces();
            namespaces.ensure(c, jobs.stream().map(j -> j.qname().namespace()).distinct().sorted().toList());
            try (PreparedStatement s = c.prepareStatement("INSERT INTO belfry_jobs (qname, shard, plugin_id, status,"
                    + " paused, next_fire_at, record, written_by, written_epoch, updated_at) VALUES (?, ?, ?, ?, ?, "
                    + Sql.ts("?::bigint") + ", ?, ?, 0, now())")) {
                for (JobRecord j : jobs) {
                    s.setString(1, j.qname().toString());
                    s.setInt(2, namespaces.base(j.qname().namespace()) + Shards.slot(j.qname()));
                    s.setString(3, j.pluginId());
                    s.setString(4, j.status().jsonName());
                    s.setBoolean(5, j.paused());
                    if (j.nextFireAt().isPresent()) {
                        s.setLong(6, Sql.micros(j.nextFireAt().get()));
                    } else {
                        s.setNull(6, java.sql.Types.BIGINT);
                    }
                    s.setBytes(7, codec.encode(j));
                    s.setString(8, IMPORTER);
                    s.addBatch();
                }
                s.executeBatch();
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /**
     * Reads every job of the cluster in one snapshot (repeatable read), so that each job is as its last committed
     * write left it while hosts keep firing.
     *
     * @param c a connection in auto-commit mode; left in it
     * @return the jobs, by name
     * @throws SQLException if the database cannot be read, has no Belfry tables, or a row does not hold a job's
     *                      state
     */
    public static List<JobRecord> exportJobs(Connection c) throws SQLException {
        int isolation = c.getTransactionIsolation();
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try {
            try (PreparedStatement s = c.prepareStatement("SELECT to_regclass('belfry_jobs') IS NULL");
                 ResultSet r = s.executeQuery()) {
                if (r.next() && r.getBoolean(1)) {
                    // A mistyped database name must not pass for an empty cluster, whose backup is an empty file.
                    throw new SQLException("the database holds no Belfry cluster (it has no belfry_jobs table)");
                }
            }
            List<JobRecord> jobs = ClusterQueries.allJobs(c, new JobShards(new Namespaces()));
            c.commit();
            return jobs;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setTransactionIsolation(isolation);
            c.setAutoCommit(true);
        }
    }

    private static List<String> present(Connection c, List<String> names) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT qname FROM belfry_jobs WHERE qname = ANY(?)"
                + " ORDER BY qname")) {
            s.setArray(1, Sql.texts(c, names));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
        }
        return out;
    }

    /** Live hosts an import would race: the operator stops the cluster first. */
    public static final class ClusterRunning extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final List<String> hosts;

        ClusterRunning(List<String> hosts) {
            super(hosts.size() + " cluster host(s) are running (" + String.join(", ", hosts) + "): stop them before"
                    + " importing; a running host's writes would replace the imported state");
            this.hosts = List.copyOf(hosts);
        }

        /** @return the ids of the live hosts, sorted */
        public List<String> hosts() {
            return hosts;
        }
    }

    /** Jobs an import would overwrite: the operator decides (with {@code --replace}). */
    public static final class AlreadyInCluster extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final List<String> jobs;

        AlreadyInCluster(List<String> jobs) {
            super(jobs.size() + " job(s) already in the cluster, first " + jobs.get(0)
                    + "; give --replace to overwrite them");
            this.jobs = List.copyOf(jobs);
        }

        /** @return the names of the jobs the cluster already has, sorted */
        public List<String> jobs() {
            return jobs;
        }
    }
}
