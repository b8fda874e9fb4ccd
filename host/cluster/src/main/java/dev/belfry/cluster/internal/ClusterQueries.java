package dev.belfry.cluster.internal;

import dev.belfry.api.QName;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.RunLogRecords;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/** The reads of the cluster's tables that views, adoption and the command line make. */
final class ClusterQueries {

    private ClusterQueries() {
    }

    /** @return every job, its shard learnt */
    static List<JobRecord> allJobs(DataSource pool, JobShards shards) throws SQLException {
        try (Connection c = pool.getConnection()) {
            return jobs(c, "SELECT qname, shard, record FROM belfry_jobs", shards, null);
        }
    }

    /** @return every job, read on the caller's connection (in its transaction), by name, its shard learnt */
    static List<JobRecord> allJobs(Connection c, JobShards shards) throws SQLException {
        return jobs(c, "SELECT qname, shard, record FROM belfry_jobs ORDER BY qname", shards, null);
    }

    /** @return one job, its shard learnt */
    static Optional<JobRecord> job(DataSource pool, QName qname, JobShards shards) throws SQLException {
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT qname, shard, record FROM belfry_jobs WHERE qname = ?")) {
            s.setString(1, qname.toString());
            return rows(s, shards).stream().findFirst();
        }
    }

    /**
     * @return the ids of the hosts live now (their registration not expired by the database's clock), sorted
     */
    static List<String> liveHosts(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT host_id FROM belfry_hosts WHERE expires_at > now()"
                + " ORDER BY host_id"); ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }

    /** @return the live hosts by id, in order, with the namespaces each can run */
    static Map<String, Set<String>> liveHostNamespaces(Connection c) throws SQLException {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT host_id, namespaces FROM belfry_hosts"
                + " WHERE expires_at > now() ORDER BY host_id"); ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.put(r.getString(1), new HashSet<>(Arrays.asList((String[]) r.getArray(2).getArray())));
            }
        }
        return out;
    }

    /** @return the jobs of some shards, their shards learnt */
    static List<JobRecord> jobsOf(Connection c, Collection<Integer> shardList, JobShards shards)
            throws SQLException {
        return jobs(c, "SELECT qname, shard, record FROM belfry_jobs WHERE shard = ANY(?)", shards,
                shardList.toArray(Integer[]::new));
    }

    private static List<JobRecord> jobs(Connection c, String sql, JobShards shards, Integer[] shardList)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            if (shardList != null) {
                s.setArray(1, c.createArrayOf("integer", shardList));
            }
            s.setFetchSize(10_000);
            return rows(s, shards);
        }
    }

    /** @return the jobs a statement selecting (qname, shard, record) reads */
    private static List<JobRecord> rows(PreparedStatement s, JobShards shards) throws SQLException {
        JobCodec codec = new JobCodec();
        List<JobRecord> out = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                String qname = r.getString(1);
                JobRecord record;
                try {
                    record = codec.decode(r.getBytes(3));
                } catch (IllegalArgumentException e) {
                    throw new SQLException("belfry_jobs row " + qname + " does not hold a job's state: "
                            + e.getMessage(), e);
                }
                shards.learn(record.qname(), r.getInt(2));
                out.add(record);
            }
        }
        return out;
    }

    /** @return the job's last runs on any host, newest first */
    static List<RunLogRecords.Run> runs(DataSource pool, QName qname, int limit) throws SQLException {
        List<RunLogRecords.Run> out = new ArrayList<>();
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT " + Sql.micros("host_started") + ", run_id, "
                     + Sql.micros("scheduled_for") + ", " + Sql.micros("started_at") + ", "
                     + Sql.micros("finished_at") + ", attempt, error FROM belfry_runs WHERE qname = ?"
                     + " AND finished_at IS NOT NULL ORDER BY started_at DESC LIMIT ?")) {
            s.setString(1, qname.toString());
            s.setInt(2, limit);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new RunLogRecords.Run(qname, Sql.instant(r.getLong(1)), r.getLong(2),
                            Sql.instant(r.getLong(3)), Sql.instant(r.getLong(4)), Sql.instant(r.getLong(5)),
                            r.getInt(6), Optional.ofNullable(r.getString(7))));
                }
            }
        }
        return out;
    }

    /**
     * @return the live hosts, by id, with the number of shards each holds, its lease's seconds left and the
     *         namespaces it can run (comma-separated)
     */
    static Map<String, Map<String, Object>> hosts(DataSource pool) throws SQLException {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT h.host_id, h.version, h.address,"
                     + " extract(epoch from h.expires_at - now()),"
                     + " (SELECT count(*) FROM belfry_shards l WHERE l.owner = h.host_id AND l.expires_at > now()),"
                     + " array_to_string(h.namespaces, ',')"
                     + " FROM belfry_hosts h WHERE h.expires_at > now() ORDER BY h.host_id");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                Map<String, Object> host = new LinkedHashMap<>();
                host.put("version", r.getString(2));
                host.put("address", r.getString(3));
                host.put("lease_seconds_left", Math.round(r.getDouble(4) * 10) / 10.0);
                host.put("shards", r.getLong(5));
                host.put("namespaces", r.getString(6));
                out.put(r.getString(1), host);
            }
        }
        return out;
    }
}
