package dev.belfry.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.cluster.testing.FaultProxy;
import dev.belfry.cluster.testing.PostgresServer;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.JobView;
import dev.belfry.host.StoreUnavailableException;
import dev.belfry.host.testing.Eventually;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hosts in one JVM sharing one real PostgreSQL: fires split between them, each instant once, operations anywhere. */
class ClusterHostTest {
    private static final PostgresServer pg = PostgresServer.shared();
    private static final Duration LEASE = Duration.ofSeconds(3);

    @TempDir
    Path tmp;
    private String database;
    private final List<Host> hosts = new ArrayList<>();
    /** Every fire any host ran: (job, instant) to the hosts that ran it. */
    private final Map<String, Set<String>> fires = new ConcurrentHashMap<>();
    /** Each job's fencing tokens, as its runs saw them. */
    private final Map<String, Set<Long>> tokens = new ConcurrentHashMap<>();

    @BeforeEach
    void database() {
        database = pg.createDatabase();
    }

    @AfterEach
    void stopHosts() {
        hosts.forEach(Host::close);
    }

    private Host start(String name, int jobs) {
        return start(name, jobs, pg.jdbcUrl(database));
    }

    private Host start(String name, int jobs, String url) {
        ClusterConfig cluster = ClusterConfig.builder(url).user(pg.user())
                .password(pg.password().toCharArray()).leaseTime(LEASE).renewEvery(Duration.ofSeconds(1)).address(name)
                .build();
        BackgroundJob[] declared = IntStream.range(0, jobs).mapToObj(i -> new Tick(name, "tick-" + i))
                .toArray(BackgroundJob[]::new);
        Host host = Host.start(HostConfig.builder().dataDir(tmp.resolve(name)).module(ClusterModule.of(cluster))
                .register("app", declared).build());
        hosts.add(host);
        return host;
    }

    @Test
    void shouldSplitTheShardsAndFireEachInstantOnOneHostOnly() throws Exception {
        Host a = start("a", 40);
        Host b = start("b", 40);
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a") == 128 && shardsHeld("b") == 128,
                () -> "each host to hold half the shards; held: a " + shardsHeld("a") + ", b " + shardsHeld("b"));
        Instant since = Instant.now();
        Eventually.await(Duration.ofSeconds(20), () -> firedBy("a", since) > 0 && firedBy("b", since) > 0
                        && jobsFiredSince(since) == 40,
                () -> "both hosts to fire and every job to fire; fired " + jobsFiredSince(since));
        assertThat(duplicates()).as("fires run on more than one host").isEmpty();
        assertThat(tokens.values()).allSatisfy(seen -> assertThat(seen).allMatch(t -> t > 0));
        assertThat(a.jobs()).hasSize(40);
        assertThat(b.jobs()).extracting(JobView::qname).containsExactlyElementsOf(
                a.jobs().stream().map(JobView::qname).toList());
    }

    @Test
    void shouldTakeOverTheShardsOfAHostThatLeavesWithoutFiringAnyInstantTwice() throws Exception {
        Host a = start("a", 20);
        start("b", 20);
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a") == 128 && shardsHeld("b") == 128,
                () -> "the shards to be split");
        Map<String, Long> before = new java.util.HashMap<>();
        tokens.forEach((job, seen) -> before.put(job, seen.stream().max(Long::compare).orElse(0L)));
        Set<String> onA = Set.copyOf(a.jobs().stream().map(JobView::qname).filter(q -> owner(q).equals("a"))
                .map(QName::toString).filter(before::containsKey).toList());
        a.close();
        hosts.remove(a);
        long left = System.nanoTime();
        Eventually.await(Duration.ofSeconds(5), () -> shardsHeld("b") == 256,
                () -> "b to take all shards; it holds " + shardsHeld("b"));
        assertThat(Duration.ofNanos(System.nanoTime() - left)).isLessThan(LEASE.plusSeconds(1));
        Instant since = Instant.now();
        Eventually.await(Duration.ofSeconds(10), () -> jobsFiredSince(since) == 20,
                () -> "every job to fire on b; fired " + jobsFiredSince(since));
        assertThat(duplicates()).isEmpty();
        assertThat(onA).as("jobs a fired").isNotEmpty().allSatisfy(job -> assertThat(
                tokens.get(job).stream().max(Long::compare).orElseThrow()).as("token of " + job + " after it moved")
                .isGreaterThan(before.get(job)));
    }

    @Test
    void shouldCarryOutAnOperationAskedOnOneHostOnTheHostThatOwnsTheJob() throws Exception {
        Host a = start("a", 30);
        Host b = start("b", 30);
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a") == 128 && shardsHeld("b") == 128,
                () -> "the shards to be split");
        QName ownedByB = a.jobs().stream().map(JobView::qname).filter(q -> owner(q).equals("b")).findFirst()
                .orElseThrow();
        long began = System.nanoTime();
        a.pause(ownedByB);
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(1));
        assertThat(b.job(ownedByB).orElseThrow().paused()).as("paused on its owner when pause returns").isTrue();
        Eventually.await(Duration.ofSeconds(1), () -> a.job(ownedByB).orElseThrow().paused(),
                () -> "the pause to show on the host that asked for it");
        Instant paused = Instant.now();
        a.resume(ownedByB);
        Eventually.await(Duration.ofSeconds(5), () -> firedSince(ownedByB, paused),
                () -> ownedByB + " to fire again after resume");
    }

    @Test
    void shouldStartAfterTheRegistrationOfACrashedProcessOfTheSameDataDirectoryExpiresAndNotBeforeAnotherLeaves()
            throws Exception {
        Host first = start("a", 1);
        first.close();
        hosts.remove(first);
        String id = dev.belfry.host.internal.state.HostId.of(tmp.resolve("a"));
        // A process of this data directory that died a moment ago: its row is live for two more seconds.
        exec("INSERT INTO belfry_hosts (host_id, incarnation, started_at, seen_at, expires_at, version) VALUES ('"
                + id + "', 'crashed', now(), now(), now() + interval '2 seconds', 'x')");
        long began = System.nanoTime();
        start("a", 1);
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isBetween(Duration.ofMillis(1500),
                Duration.ofSeconds(6));
        hosts.remove(0).close();

        // A live copy renewing its row all along: the start is refused, naming the host id.
        exec("INSERT INTO belfry_hosts (host_id, incarnation, started_at, seen_at, expires_at, version) VALUES ('"
                + id + "', 'copy', now(), now(), now() + interval '1 hour', 'x') ON CONFLICT (host_id) DO UPDATE"
                + " SET incarnation = 'copy', expires_at = now() + interval '1 hour'");
        assertThatThrownBy(() -> start("a", 1)).isInstanceOf(dev.belfry.host.HostStartException.class)
                .hasMessageContaining("host id " + id + " is live in this cluster in another process");
    }

    @Test
    void shouldNotConfirmAnOperationOrShowStaleJobsWhileTheDatabaseIsOutOfReach() throws Exception {
        try (FaultProxy proxy = FaultProxy.start("127.0.0.1", pg.port())) {
            Host a = start("a", 5, "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + database);
            Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a") == 256, () -> "a to hold every shard");
            QName job = a.jobs().get(0).qname();
            Eventually.await(Duration.ofSeconds(10), () -> firedSince(job, Instant.EPOCH),
                    () -> job + " to fire on a: its shard taken over there");

            proxy.cut();

            // A pause the database never got would be lost with the lease: the operator is told, not reassured.
            assertThatThrownBy(() -> a.pause(job)).isInstanceOf(JobOperationException.class)
                    .hasMessageContaining("job " + job + ": paused on this host, but the cluster database has not"
                            + " confirmed it");
            // This host's copies of the cluster's jobs are not shown as the cluster's.
            assertThatThrownBy(a::jobs).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageStartingWith("cannot read the cluster's jobs from its database");

            proxy.heal();
            // Back: the cluster's jobs are shown again. (The pause waited longer than this test's 3 s lease, so,
            // as its message said, it may be lost; what the host shows then agrees with the database.)
            Eventually.await(Duration.ofSeconds(20), () -> {
                try {
                    return a.jobs().stream().anyMatch(j -> j.qname().equals(job));
                } catch (StoreUnavailableException notYet) {
                    return false;
                }
            }, () -> "the cluster's jobs to show again once the database is back");
        }
    }

    @Test
    void shouldRefuseToStartOnADataDirectoryHoldingASingleHostsState() throws Exception {
        Path system = java.nio.file.Files.createDirectories(tmp.resolve("a").resolve("_system"));
        java.nio.file.Files.writeString(system.resolve("background_jobs.json"), "{}");

        assertThatThrownBy(() -> start("a", 1)).isInstanceOf(dev.belfry.host.HostStartException.class)
                .hasMessageContaining("holds a single host's job state, which cluster mode does not read: move it"
                        + " into the cluster with belfry cluster import --data");
        assertThat(query("SELECT count(*) FROM pg_tables WHERE tablename = 'belfry_jobs'")).as("refused before the"
                + " database was touched").isZero();
    }

    private void exec(String sql) throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private long shardsHeld(String host) {
        return query("SELECT count(*) FROM belfry_shards WHERE owner = (SELECT host_id FROM belfry_hosts"
                + " WHERE address = '" + host + "') AND expires_at > now()");
    }

    private String owner(QName job) {
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT h.address FROM belfry_jobs j JOIN belfry_shards l ON l.shard ="
                     + " j.shard JOIN belfry_hosts h ON h.host_id = l.owner WHERE j.qname = '" + job + "'")) {
            return r.next() ? r.getString(1) : "";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private long query(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Connection connect() throws Exception {
        return DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), pg.password());
    }

    private long firedBy(String host, Instant since) {
        return fires.entrySet().stream().filter(e -> fireAt(e.getKey()).isAfter(since))
                .filter(e -> e.getValue().contains(host)).count();
    }

    private long jobsFiredSince(Instant since) {
        return fires.keySet().stream().filter(k -> fireAt(k).isAfter(since)).map(k -> k.substring(0, k.indexOf('@')))
                .distinct().count();
    }

    private boolean firedSince(QName job, Instant since) {
        return fires.keySet().stream().anyMatch(k -> k.startsWith(job + "@") && fireAt(k).isAfter(since));
    }

    private static Instant fireAt(String key) {
        return Instant.parse(key.substring(key.indexOf('@') + 1));
    }

    private List<String> duplicates() {
        return fires.entrySet().stream().filter(e -> e.getValue().size() > 1).map(e -> e.getKey() + " on "
                + e.getValue()).toList();
    }

    /** Records which host ran which fire. */
    private final class Tick implements BackgroundJob {
        private final String host;
        private final String name;

        Tick(String host, String name) {
            this.host = host;
            this.name = name;
        }

        @Override
        public JobSpec spec() {
            return JobSpec.builder(name, Schedule.every(Duration.ofMillis(300))).build();
        }

        @Override
        public void run(JobContext context) {
            Set<String> by = fires.computeIfAbsent(context.qname() + "@" + context.scheduledFor(),
                    k -> ConcurrentHashMap.newKeySet());
            by.add(host);
            tokens.computeIfAbsent(context.qname().toString(), k -> ConcurrentHashMap.newKeySet())
                    .add(context.fencingToken());
        }
    }
}
