package dev.belfry.cluster;

import dev.belfry.cluster.internal.Shards;
import dev.belfry.cluster.testing.ClusterChild;
import dev.belfry.cluster.testing.ClusterProcess;
import dev.belfry.cluster.testing.ClusterProcess.Fire;
import dev.belfry.cluster.testing.PostgresServer;
import dev.belfry.host.testing.Eventually;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A cluster of child-process hosts on one fresh database of the shared test PostgreSQL, and what the reliability
 * tests ask of it: who holds which shard, what every host recorded, duplicates and misses. Closing it kills every
 * child still running.
 */
final class ClusterUnderTest implements AutoCloseable {
    /** The shortest lease the configuration allows: failover is quick and its margin (1 s) is the floor. */
    static final Duration LEASE = Duration.ofSeconds(3);
    static final Duration START_LIMIT = Duration.ofSeconds(60);

    final PostgresServer pg = PostgresServer.shared();
    final String database = pg.createDatabase();
    final int jobs;
    final Instant onceBase;
    final int onceSpan;
    private final Duration misfireThreshold;
    private final Path root;
    private final Map<String, ClusterProcess> hosts = new LinkedHashMap<>();

    /**
     * @param root     where the hosts' folders go
     * @param jobs     the application jobs each host registers (the same set on each)
     * @param onceSpan over how many seconds from now (plus a start-up allowance) the Once jobs spread
     */
    ClusterUnderTest(Path root, int jobs, int onceSpan) {
        this(root, jobs, onceSpan, Duration.ofSeconds(5));
    }

    /** @param misfireThreshold the hosts' misfire threshold (the product's default is 5 s) */
    ClusterUnderTest(Path root, int jobs, int onceSpan, Duration misfireThreshold) {
        this.misfireThreshold = misfireThreshold;
        this.root = root;
        this.jobs = jobs;
        this.onceSpan = onceSpan;
        this.onceBase = Instant.now().plusSeconds(20).truncatedTo(ChronoUnit.SECONDS);
    }

    static boolean isLong() {
        return "long".equals(System.getProperty("belfry.reliability", "ci"));
    }

    /** @return a host reaching the database directly, started */
    ClusterProcess start(String name) {
        return start(name, pg.jdbcUrl(database));
    }

    /** @return a host reaching the database through {@code url} (a fault proxy), started */
    ClusterProcess start(String name, String url) {
        ClusterProcess host = ClusterProcess.of(name, root.resolve(name), url, pg.user(), pg.password(), jobs,
                onceBase, onceSpan, LEASE, misfireThreshold);
        hosts.put(name, host);
        host.start(START_LIMIT);
        return host;
    }

    ClusterProcess host(String name) {
        return hosts.get(name);
    }

    /** @return when the named hosts, and only they, hold the fair share of the shards under live leases */
    Instant awaitFairShare(Duration limit, String... names) {
        Eventually.await(limit, () -> holdsFairShare(names), () -> "a fair share of the shards on each of "
                + Arrays.toString(names) + "; held: " + shardsByHost());
        return Instant.now();
    }

    private boolean holdsFairShare(String... names) {
        Map<String, Integer> held = shardsByHost();
        int total = held.values().stream().mapToInt(Integer::intValue).sum();
        if (total != Shards.PER_NAMESPACE || held.size() != names.length) {
            return false;
        }
        for (String name : names) {
            int n = held.getOrDefault(name, 0);
            if (n < Shards.PER_NAMESPACE / names.length || n > Shards.PER_NAMESPACE / names.length + 1) {
                return false;
            }
        }
        return true;
    }

    /** @return the shards under a live lease, by the address of the host holding them */
    Map<String, Integer> shardsByHost() {
        Map<String, Integer> out = new TreeMap<>();
        query("SELECT h.address, count(*) FROM belfry_shards s JOIN belfry_hosts h ON h.host_id = s.owner"
                + " WHERE s.expires_at > now() GROUP BY h.address", r -> out.put(r.getString(1), r.getInt(2)));
        return out;
    }

    /** @return the shards' owners (host ids) and epochs, by shard */
    Map<Integer, Lease> leases() {
        Map<Integer, Lease> out = new TreeMap<>();
        query("SELECT shard, owner, epoch FROM belfry_shards", r -> out.put(r.getInt(1),
                new Lease(r.getString(2), r.getLong(3))));
        return out;
    }

    /** @return the host id of the host with this address */
    String hostId(String name) {
        List<String> out = new ArrayList<>();
        query("SELECT host_id FROM belfry_hosts WHERE address = '" + name + "'", r -> out.add(r.getString(1)));
        return out.isEmpty() ? "" : out.get(0);
    }

    /** @return the shard of each job, by qualified name */
    Map<String, Integer> jobShards() {
        Map<String, Integer> out = new HashMap<>();
        query("SELECT qname, shard FROM belfry_jobs", r -> out.put(r.getString(1), r.getInt(2)));
        return out;
    }

    long count(String sql) {
        long[] out = new long[1];
        query(sql, r -> out[0] = r.getLong(1));
        return out[0];
    }

    interface RowReader {
        void read(ResultSet row) throws SQLException;
    }

    void query(String sql, RowReader reader) {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(sql); ResultSet r = s.executeQuery()) {
            while (r.next()) {
                reader.read(r);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), pg.password());
    }

    /** @return every run every host recorded */
    List<Fire> fires() {
        return hosts.values().stream().flatMap(h -> h.fires().stream()).toList();
    }

    /** @return each (job, instant, attempt) recorded more than once, with who ran it */
    static List<String> duplicates(List<Fire> fires) {
        return fires.stream().collect(Collectors.groupingBy(Fire::key)).entrySet().stream()
                .filter(e -> e.getValue().size() > 1)
                .map(e -> e.getKey() + " ran by " + e.getValue().stream().map(f -> f.host() + "/" + f.pid()).toList())
                .sorted().toList();
    }

    /**
     * The instants the application jobs' schedules owe between {@code from} and {@code to} that no host recorded:
     * every whole second of the cron jobs, every step of the periodic jobs' grid (a gap of more than one period),
     * every Once instant. Dynamic jobs and the spawners are left out: only their duplicates count.
     */
    List<String> misses(List<Fire> fires, Instant from, Instant to) {
        Map<String, List<Instant>> byJob = fires.stream().filter(f -> f.attempt() == 1).collect(Collectors
                .groupingBy(Fire::job, Collectors.mapping(Fire::scheduledFor, Collectors.toList())));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            String job = "app.job-" + i;
            ClusterChild.Kind kind = ClusterChild.kind(i);
            List<Instant> at = byJob.getOrDefault(job, List.of()).stream().sorted().distinct().toList();
            if (kind.isCron()) {
                Set<Instant> seen = Set.copyOf(at);
                for (Instant s = from.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1); s.isBefore(to);
                     s = s.plusSeconds(1)) {
                    if (!seen.contains(s)) {
                        out.add(job + " (cron) at " + s);
                    }
                }
            } else if (kind == ClusterChild.Kind.PERIODIC) {
                Duration period = Duration.ofMillis(ClusterChild.periodMillis(i));
                List<Instant> inside = at.stream().filter(s -> !s.isBefore(from.minus(period))
                        && !s.isAfter(to.plus(period))).toList();
                if (inside.isEmpty()) {
                    out.add(job + " (every " + period.toMillis() + " ms): no run between " + from + " and " + to);
                    continue;
                }
                if (inside.get(0).isAfter(from.plus(period))) {
                    out.add(job + " (every " + period.toMillis() + " ms): first run " + inside.get(0));
                }
                if (inside.get(inside.size() - 1).isBefore(to.minus(period))) {
                    out.add(job + " (every " + period.toMillis() + " ms): last run " + inside.get(inside.size() - 1));
                }
                for (int k = 1; k < inside.size(); k++) {
                    if (Duration.between(inside.get(k - 1), inside.get(k)).compareTo(period) > 0) {
                        out.add(job + " (every " + period.toMillis() + " ms): nothing between " + inside.get(k - 1)
                                + " and " + inside.get(k));
                    }
                }
            } else if (kind == ClusterChild.Kind.ONCE) {
                Instant once = ClusterChild.onceAt(i, onceBase, onceSpan);
                if (once.isAfter(from) && once.isBefore(to) && !at.contains(once)) {
                    out.add(job + " (once) at " + once);
                }
            }
        }
        return out;
    }

    /** @return a summary for failure messages: each host's liveness and log tail */
    String describe() {
        StringBuilder out = new StringBuilder("shards: " + shardsByHost());
        hosts.values().forEach(h -> out.append("\n--- ").append(h.name()).append(h.isAlive() ? " (alive)" : " (dead)")
                .append("\n").append(h.tail()));
        return out.toString();
    }

    /** Kills what still runs and keeps each host's log and records in {@code target/cluster-logs/TEMPDIR-DATABASE/}. */
    @Override
    public void close() {
        hosts.values().forEach(ClusterProcess::close);
        // The temporary folder's name tells runs apart: each test JVM's PostgreSQL numbers its databases from 1.
        Path kept = Path.of("target", "cluster-logs", root.getFileName() + "-" + database);
        for (String name : hosts.keySet()) {
            for (String file : List.of("stderr", "runs.log", "health.log")) {
                try {
                    java.nio.file.Files.createDirectories(kept);
                    Path from = root.resolve(name).resolve(file);
                    if (java.nio.file.Files.exists(from)) {
                        java.nio.file.Files.copy(from, kept.resolve(name + "." + file),
                                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (java.io.IOException e) {
                    // Kept for a reader after a failure; a copy that fails must not hide the test's outcome.
                }
            }
        }
    }

    /** A shard's owner (host id) and epoch. */
    record Lease(String owner, long epoch) {
    }
}
