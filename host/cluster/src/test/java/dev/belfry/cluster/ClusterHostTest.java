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

/**
 * Hosts in one JVM sharing one real PostgreSQL: fires split between them, each instant once, operations anywhere,
 * each namespace's jobs on the hosts that can run them. The jobs are registered under namespace {@code app} (one
 * range of {@code Shards.PER_NAMESPACE} = 64 shards) unless a test names others.
 */
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

    /** @return a host with these namespaces' jobs registered (and no plugins folder), started */
    private Host startWith(String name, Map<String, Integer> jobsByNamespace) {
        ClusterConfig cluster = ClusterConfig.builder(pg.jdbcUrl(database)).user(pg.user())
                .password(pg.password().toCharArray()).leaseTime(LEASE).renewEvery(Duration.ofSeconds(1)).address(name)
                .build();
        HostConfig.Builder config = HostConfig.builder().dataDir(tmp.resolve(name)).module(ClusterModule.of(cluster));
        jobsByNamespace.forEach((namespace, jobs) -> config.register(namespace, IntStream.range(0, jobs)
                .mapToObj(i -> new Tick(name, "tick-" + i)).toArray(BackgroundJob[]::new)));
        Host host = Host.start(config.build());
        hosts.add(host);
        return host;
    }

    @Test
    void shouldFireANamespacesJobsOnlyOnHostsThatCanRunThemAndSplitTheOthers() throws Exception {
        // given a that can run x and y, b only y
        Host a = startWith("a", new java.util.TreeMap<>(Map.of("x", 10, "y", 10)));
        Host b = startWith("b", Map.of("y", 10));
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a", "x") == 64 && shardsHeld("b", "x") == 0
                        && shardsHeld("a", "y") == 32 && shardsHeld("b", "y") == 32,
                () -> "x's shards on a, y's split; held: " + held());
        // when they fire
        Instant since = Instant.now();
        Eventually.await(Duration.ofSeconds(20), () -> jobsFiredSince(since) == 20 && firedBy("b", since) > 0,
                () -> "every job to fire; fired " + jobsFiredSince(since));
        // then x's jobs ran on a only, y's on both, none is orphaned anywhere
        assertThat(hostsThatFired("x.", since)).containsExactly("a");
        assertThat(hostsThatFired("y.", since)).containsExactlyInAnyOrder("a", "b");
        assertThat(duplicates()).isEmpty();
        for (Host h : List.of(a, b)) {
            assertThat(h.jobs()).hasSize(20).noneMatch(j -> j.status().name().equals("ORPHANED"));
        }
        assertThat(query("SELECT count(*) FROM belfry_hosts WHERE address = 'a' AND namespaces = '{x,y}'"))
                .as("a advertises what it can run").isEqualTo(1);
    }

    @Test
    void shouldShowAJobNoLiveHostCanRunOrphanedOnEveryHostAndFireItOnceAHostThatCanJoins() throws Exception {
        // given z's jobs, and c, the only host that could run them, gone
        startWith("a", Map.of("y", 4));
        startWith("b", Map.of("y", 4));
        Host c = startWith("c", Map.of("z", 6));
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("c", "z") == 64, () -> "z on c; held: " + held());
        c.close();
        hosts.remove(c);
        // then z's shards go to the hosts left, and every host shows z's jobs orphaned, as one host would
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a", "z") + shardsHeld("b", "z") == 64
                        && orphaned(hosts.get(0), "z") == 6 && orphaned(hosts.get(1), "z") == 6,
                () -> "z's jobs orphaned on a and b; held: " + held() + ", orphaned on a "
                        + orphaned(hosts.get(0), "z") + ", on b " + orphaned(hosts.get(1), "z"));
        Instant orphanedSince = Instant.now();
        // when d, which can run z, joins
        Host d = startWith("d", Map.of("z", 6));
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("d", "z") == 64,
                () -> "z's shards to move to d; held: " + held());
        Instant since = Instant.now();
        Eventually.await(Duration.ofSeconds(20), () -> jobsFiredSince("z.", since) == 6,
                () -> "z's jobs to fire on d; fired " + jobsFiredSince("z.", since));
        // then z's jobs run on d only, each instant once, and are no longer orphaned anywhere
        assertThat(hostsThatFired("z.", orphanedSince)).containsExactly("d");
        assertThat(duplicates()).isEmpty();
        for (Host h : hosts) {
            assertThat(orphaned(h, "z")).as("z's jobs orphaned").isZero();
        }
        assertThat(d.jobs()).hasSize(10);
    }

    @Test
    void shouldMoveANamespacesShardsToAnotherHostThatCanRunItWhenAHostStopsRunningIt() throws Exception {
        Host a = startWith("a", Map.of("x", 10));
        Host b = startWith("b", Map.of("x", 10));
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a", "x") == 32 && shardsHeld("b", "x") == 32,
                () -> "x split; held: " + held());
        // when a stops running x (a plugin stopped, an application unregistering)
        a.unregister("x");
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("b", "x") == 64,
                () -> "x's shards to move to b; held: " + held());
        Instant since = Instant.now();
        Eventually.await(Duration.ofSeconds(20), () -> jobsFiredSince(since) == 10,
                () -> "every job to fire on b; fired " + jobsFiredSince(since));
        // then b runs them all, and none is orphaned
        assertThat(hostsThatFired("x.", since)).containsExactly("b");
        assertThat(duplicates()).isEmpty();
        assertThat(orphaned(a, "x")).isZero();
        assertThat(orphaned(b, "x")).isZero();
    }

    @Test
    void shouldSplitTheShardsAndFireEachInstantOnOneHostOnly() throws Exception {
        Host a = start("a", 40);
        Host b = start("b", 40);
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a") == 32 && shardsHeld("b") == 32,
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
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a") == 32 && shardsHeld("b") == 32,
                () -> "the shards to be split");
        Map<String, Long> before = new java.util.HashMap<>();
        tokens.forEach((job, seen) -> before.put(job, seen.stream().max(Long::compare).orElse(0L)));
        Set<String> onA = Set.copyOf(a.jobs().stream().map(JobView::qname).filter(q -> owner(q).equals("a"))
                .map(QName::toString).filter(before::containsKey).toList());
        a.close();
        hosts.remove(a);
        long left = System.nanoTime();
        Eventually.await(Duration.ofSeconds(5), () -> shardsHeld("b") == 64,
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
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a") == 32 && shardsHeld("b") == 32,
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
            Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a") == 64, () -> "a to hold every shard");
            // The registration's insert and the first renewal race: the jobs show once the insert is committed.
            Eventually.await(Duration.ofSeconds(10), () -> a.jobs().size() == 5, () -> "a's jobs to be stored");
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

    /** @return the shards of the namespace's range the host holds under a live lease */
    private long shardsHeld(String host, String namespace) {
        return query("SELECT count(*) FROM belfry_shards l JOIN belfry_namespaces n ON l.shard >= n.first_shard"
                + " AND l.shard < n.first_shard + 64 WHERE n.namespace = '" + namespace + "' AND l.owner ="
                + " (SELECT host_id FROM belfry_hosts WHERE address = '" + host + "') AND l.expires_at > now()");
    }

    /** @return live shards by host address and namespace, for messages */
    private String held() {
        StringBuilder out = new StringBuilder();
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT h.address, n.namespace, count(*) FROM belfry_shards l"
                     + " JOIN belfry_namespaces n ON l.shard >= n.first_shard AND l.shard < n.first_shard + 64"
                     + " JOIN belfry_hosts h ON h.host_id = l.owner WHERE l.expires_at > now()"
                     + " GROUP BY 1, 2 ORDER BY 1, 2")) {
            while (r.next()) {
                out.append(r.getString(1)).append('/').append(r.getString(2)).append('=').append(r.getLong(3))
                        .append(' ');
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out.toString().trim();
    }

    private static long orphaned(Host host, String namespace) {
        return host.jobs().stream().filter(j -> j.qname().namespace().equals(namespace))
                .filter(j -> j.status().name().equals("ORPHANED")).count();
    }

    /** @return the hosts that ran fires of jobs whose name starts with {@code prefix}, scheduled after {@code since} */
    private Set<String> hostsThatFired(String prefix, Instant since) {
        Set<String> out = new java.util.TreeSet<>();
        fires.forEach((key, by) -> {
            if (key.startsWith(prefix) && fireAt(key).isAfter(since)) {
                out.addAll(by);
            }
        });
        return out;
    }

    private long jobsFiredSince(String prefix, Instant since) {
        return fires.keySet().stream().filter(k -> k.startsWith(prefix) && fireAt(k).isAfter(since))
                .map(k -> k.substring(0, k.indexOf('@'))).distinct().count();
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
        return pg.queryLong(database, sql);
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
