package dev.belfry.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.cluster.testing.PostgresServer;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.HostStartException;
import dev.belfry.host.testing.Eventually;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster database of schema version 1 (256 shards shared by every namespace) with jobs in it, upgraded by the
 * first host of version 2 to start: each job moves to its namespace's shards, and the jobs fire.
 */
class ClusterUpgradeTest {
    private static final PostgresServer pg = PostgresServer.shared();

    @TempDir
    Path tmp;
    private final List<Host> hosts = new ArrayList<>();
    /** Each job's fencing tokens, as its runs saw them. */
    private final Map<String, Set<Long>> tokens = new ConcurrentHashMap<>();

    @AfterEach
    void stopHosts() {
        hosts.forEach(Host::close);
    }

    @Test
    void shouldMoveEveryJobOfAVersionOneDatabaseToItsNamespacesShardsAndFireIt() throws Exception {
        // given a version 1 database holding jobs of two namespaces, one of them placed with another as a dynamic
        // job is (in the shard of the job that created it), and leases that reached epoch 40
        Map<String, Row> rows = jobRows();
        String database = pg.createDatabase();
        try (Connection c = connect(database)) {
            versionOne(c);
            exec(c, "UPDATE belfry_shards SET epoch = 40");
            for (Row row : rows.values()) {
                int shard = row.qname.equals("app.tick-5") ? v1Shard("app.tick-0") : v1Shard(row.qname);
                insert(c, row, shard);
            }
            // a host of version 1 still live: the upgrade is refused, with the reason
            exec(c, "INSERT INTO belfry_hosts (host_id, incarnation, started_at, seen_at, expires_at, version)"
                    + " VALUES ('old-host', 'i', now(), now(), now() + interval '1 hour', '1')");
        }
        assertThatThrownBy(() -> start("a", database)).isInstanceOf(HostStartException.class)
                .hasMessageContaining("the database's Belfry schema is version 1 and this build's is 2; an upgrade"
                        + " needs every host of the cluster stopped, and 1 is live (old-host)");
        try (Connection c = connect(database)) {
            assertThat(query(c, "SELECT max(version) FROM belfry_schema_version")).as("not upgraded").isEqualTo(1);
            exec(c, "DELETE FROM belfry_hosts");
        }

        // when a host of version 2 starts on it
        start("a", database);

        // then each job is in its namespace's range, at its place there; the dynamic one still with its creator
        try (Connection c = connect(database)) {
            assertThat(query(c, "SELECT max(version) FROM belfry_schema_version")).isEqualTo(2);
            assertThat(query(c, "SELECT count(*) FROM belfry_shards")).as("64 lease rows per namespace").isEqualTo(128);
            assertThat(query(c, "SELECT count(*) FROM belfry_shards WHERE shard < 256")).isZero();
            Map<String, Integer> bases = new TreeMap<>();
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT namespace, first_shard FROM belfry_namespaces")) {
                while (r.next()) {
                    bases.put(r.getString(1), r.getInt(2));
                }
            }
            assertThat(bases).containsOnlyKeys("app", "other");
            Map<String, Integer> shards = new TreeMap<>();
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT qname, shard FROM belfry_jobs")) {
                while (r.next()) {
                    shards.put(r.getString(1), r.getInt(2));
                }
            }
            assertThat(shards).hasSize(rows.size());
            shards.forEach((qname, shard) -> {
                String namespace = qname.substring(0, qname.lastIndexOf('.'));
                String placedBy = qname.equals("app.tick-5") ? "app.tick-0" : qname;
                assertThat(shard).as(qname).isEqualTo(bases.get(namespace) + v1Shard(placedBy) % 64);
            });
        }
        // and every job fires, under fencing tokens above version 1's
        Eventually.await(Duration.ofSeconds(20), () -> tokens.keySet().containsAll(rows.keySet()),
                () -> "every job to fire; fired " + tokens.keySet());
        assertThat(tokens.values()).allSatisfy(seen -> assertThat(seen).allMatch(t -> t > 40));
    }

    /** The rows a cluster writes for the test's jobs, from a host run on a database of its own and stopped. */
    private Map<String, Row> jobRows() throws Exception {
        String seed = pg.createDatabase();
        Host host = start("seed", seed);
        Map<String, Row> rows = new TreeMap<>();
        Eventually.await(Duration.ofSeconds(20), () -> {
            try (Connection c = connect(seed)) {
                return query(c, "SELECT count(*) FROM belfry_jobs") == 9;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, () -> "the seed host to write its jobs");
        host.close();
        hosts.remove(host);
        tokens.clear();
        try (Connection c = connect(seed); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT qname, plugin_id, status, paused, next_fire_at, record"
                     + " FROM belfry_jobs")) {
            while (r.next()) {
                rows.put(r.getString(1), new Row(r.getString(1), r.getString(2), r.getString(3), r.getBoolean(4),
                        r.getTimestamp(5), r.getBytes(6)));
            }
        }
        return rows;
    }

    private Host start(String name, String database) {
        ClusterConfig cluster = ClusterConfig.builder(pg.jdbcUrl(database)).user(pg.user())
                .password(pg.password().toCharArray()).leaseTime(Duration.ofSeconds(3))
                .renewEvery(Duration.ofSeconds(1)).address(name).build();
        Host host = Host.start(HostConfig.builder().dataDir(tmp.resolve(name)).module(ClusterModule.of(cluster))
                .register("app", jobs(6)).register("other", jobs(3)).build());
        hosts.add(host);
        return host;
    }

    private BackgroundJob[] jobs(int n) {
        return IntStream.range(0, n).mapToObj(i -> new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return JobSpec.builder("tick-" + i, Schedule.every(Duration.ofMillis(300))).build();
            }

            @Override
            public void run(JobContext context) {
                tokens.computeIfAbsent(context.qname().toString(), k -> ConcurrentHashMap.newKeySet())
                        .add(context.fencingToken());
            }
        }).toArray(BackgroundJob[]::new);
    }

    /** Schema version 1 as its script made it, recorded as applied. */
    private static void versionOne(Connection c) throws Exception {
        try (InputStream in = ClusterUpgradeTest.class.getResourceAsStream(
                "/dev/belfry/cluster/migrations/V1__cluster.sql")) {
            exec(c, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        exec(c, "CREATE TABLE belfry_schema_version (version integer PRIMARY KEY, description text NOT NULL,"
                + " applied_at timestamptz NOT NULL DEFAULT now())");
        exec(c, "INSERT INTO belfry_schema_version (version, description) VALUES (1, 'V1__cluster.sql')");
    }

    /** Version 1's shard of a job: CRC-32 of its name, mod 256. */
    private static int v1Shard(String qname) {
        CRC32 crc = new CRC32();
        crc.update(qname.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % 256);
    }

    private static void insert(Connection c, Row row, int shard) throws Exception {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO belfry_jobs (qname, shard, plugin_id, status,"
                + " paused, next_fire_at, record, written_by, written_epoch, updated_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, 'old-host', 0, now())")) {
            s.setString(1, row.qname);
            s.setInt(2, shard);
            s.setString(3, row.pluginId);
            s.setString(4, row.status);
            s.setBoolean(5, row.paused);
            s.setTimestamp(6, row.nextFire);
            s.setBytes(7, row.record);
            s.executeUpdate();
        }
    }

    private static Connection connect(String database) throws Exception {
        return DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), pg.password());
    }

    private static void exec(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static long query(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    private record Row(String qname, String pluginId, String status, boolean paused, java.sql.Timestamp nextFire,
                       byte[] record) {
    }
}
