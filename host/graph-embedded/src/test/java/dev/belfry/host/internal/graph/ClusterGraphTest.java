package dev.belfry.host.internal.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.cluster.ClusterConfig;
import dev.belfry.cluster.ClusterModule;
import dev.belfry.cluster.testing.PostgresServer;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.HostStartException;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.graph.GraphModule;
import dev.belfry.host.testing.Eventually;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.driver.Record;

/**
 * Two hosts of a cluster (one JVM, a real PostgreSQL) mirroring into one Neo4j, the test server standing in for the
 * external one: each job is in the graph once, owned by the host that holds its shard, and the jobs of a host that
 * leaves move to the host that takes its shards over.
 */
class ClusterGraphTest {
    private static final PostgresServer pg = PostgresServer.shared();
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final int JOBS = 40;

    private final GraphTestServer graph = GraphTestServer.get();
    @TempDir
    Path tmp;
    private String database;
    private final List<Host> hosts = new ArrayList<>();

    @BeforeEach
    void setUp() {
        database = pg.createDatabase();
        graph.wipe();
    }

    @AfterEach
    void stopHosts() {
        hosts.forEach(Host::close);
    }

    @Test
    void shouldMirrorEachJobOnceOwnedByTheHostHoldingItsShardWhenTwoHostsShareTheGraph() {
        // given two hosts that split the shards
        start("a");
        start("b");
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a") == 32 && shardsHeld("b") == 32,
                () -> "each host to hold half the shards");

        // then the graph shows every job once, with the owner PostgreSQL has
        Eventually.await(Duration.ofSeconds(20), () -> graphOwners().equals(databaseOwners()),
                () -> "graph owners to match the database; graph " + graphOwners() + ", database " + databaseOwners());
        assertThat(databaseOwners()).hasSize(JOBS).containsValues(hostId("a"), hostId("b"));
        assertThat(graph.query("MATCH (j:_BackgroundJob) RETURN j.qname AS q, COUNT { (:_Host)-[:OWNS]->(j) } AS n")
                .stream().map(r -> r.get("n").asLong()).toList()).as("owners per job").hasSize(JOBS).containsOnly(1L);
    }

    @Test
    void shouldShowTheRemainingHostOwningEveryJobAfterTheOtherLeaves() {
        // given two hosts that split the shards, their jobs mirrored
        Host a = start("a");
        start("b");
        Eventually.await(Duration.ofSeconds(20), () -> shardsHeld("a") == 32 && shardsHeld("b") == 32
                        && graphOwners().equals(databaseOwners()) && graphOwners().containsValue(hostId("a")),
                () -> "the shards to be split and mirrored; graph " + graphOwners());
        String b = hostId("b");

        // when a leaves
        a.close();
        hosts.remove(a);

        // then b's mirror shows b owning every job, idle ones too
        Eventually.await(Duration.ofSeconds(15), () -> {
            Map<String, String> owners = graphOwners();
            return owners.size() == JOBS && owners.values().stream().allMatch(b::equals);
        }, () -> "b to own every job in the graph; owners " + graphOwners());
        assertThat(graph.query("MATCH (:_Host)-[o:OWNS]->(:_BackgroundJob) RETURN count(o) AS n").get(0)
                .get("n").asLong()).isEqualTo(JOBS);
    }

    @Test
    void shouldRefuseTheEmbeddedGraphInClusterMode() {
        assertThatThrownBy(() -> Host.start(config("a").module(GraphModule.of(GraphConfig.embedded())).build()))
                .isInstanceOf(HostStartException.class)
                .hasMessageContaining("embedded graph cannot be used in cluster mode");
    }

    private Host start(String name) {
        GraphEndpoint ep = graph.endpoint();
        Host host = Host.start(config(name)
                .module(GraphModule.of(GraphConfig.external(ep.uri(), ep.user(), ep.password()))).build());
        hosts.add(host);
        return host;
    }

    private HostConfig.Builder config(String name) {
        ClusterConfig cluster = ClusterConfig.builder(pg.jdbcUrl(database)).user(pg.user())
                .password(pg.password().toCharArray()).leaseTime(LEASE).renewEvery(Duration.ofSeconds(1))
                .address(name).build();
        // Half fire all the time, half never change once stored: those show a takeover's resync.
        BackgroundJob[] jobs = IntStream.range(0, JOBS).mapToObj(i -> new Job("job-" + i, i % 2 == 0
                ? Schedule.every(Duration.ofMillis(200)) : Schedule.manual())).toArray(BackgroundJob[]::new);
        return HostConfig.builder().dataDir(tmp.resolve(name)).module(ClusterModule.of(cluster)).register("app", jobs);
    }

    /** @return each job in the graph, by qname, to its owners' ids joined (a job listed twice shows twice) */
    private Map<String, String> graphOwners() {
        Map<String, String> out = new HashMap<>();
        for (Record r : graph.query("MATCH (j:_BackgroundJob) OPTIONAL MATCH (h:_Host)-[:OWNS]->(j)"
                + " RETURN j.qname AS job, collect(h.id) AS owners")) {
            String job = r.get("job").asString();
            String owners = String.join("+", r.get("owners").asList(v -> v.asString()));
            out.merge(job, owners, (x, y) -> x + "&" + y);
        }
        return out;
    }

    /** @return each job, by qname, to the host holding its shard's lease */
    private Map<String, String> databaseOwners() {
        Map<String, String> out = new HashMap<>();
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT j.qname, l.owner FROM belfry_jobs j JOIN belfry_shards l"
                     + " ON l.shard = j.shard AND l.expires_at > now()")) {
            while (r.next()) {
                out.put(r.getString(1), r.getString(2));
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private String hostId(String address) {
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT host_id FROM belfry_hosts WHERE address = '" + address + "'")) {
            return r.next() ? r.getString(1) : "";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private long shardsHeld(String address) {
        return pg.queryLong(database, "SELECT count(*) FROM belfry_shards WHERE owner = (SELECT host_id FROM"
                + " belfry_hosts WHERE address = ?) AND expires_at > now()", address);
    }

    private Connection connect() throws Exception {
        return DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), pg.password());
    }

    /** A job of the application; what it does does not matter here. */
    private record Job(String name, Schedule schedule) implements BackgroundJob {
        @Override
        public JobSpec spec() {
            return JobSpec.builder(name, schedule).build();
        }

        @Override
        public void run(JobContext context) {
        }
    }
}
