package dev.belfry.host.internal.graph;

import dev.belfry.host.graph.GraphModule;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.api.QName;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.internal.cli.BelfryCli;
import dev.belfry.host.internal.state.DataDirLock;
import dev.belfry.host.testing.Eventually;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real host mirroring into the test JVM's Neo4j, and {@code belfry query} end to end against that graph: the way
 * an operator finds it (through a data directory's bolt.url and credentials) and every error path.
 */
class HostGraphQueryTest {
    private static final Path EXAMPLES = Path.of(System.getProperty("belfry.examplePlugins", "target/example-plugins"));
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path data;
    @TempDir
    Path plugins;
    @TempDir
    Path empty;

    private final GraphTestServer server = GraphTestServer.get();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private Host host;
    private DataDirLock lock;

    @BeforeEach
    void startHost() throws IOException {
        server.wipe();
        Files.copy(EXAMPLES.resolve("hello-jobs.jar"), plugins.resolve("hello-jobs.jar"));
        GraphEndpoint ep = server.endpoint();
        host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(GraphModule.of(GraphConfig.external(ep.uri(), ep.user(), ep.password()))).build());
        Eventually.await(PATIENCE, () -> server.query("MATCH (j:_BackgroundJob) WHERE j.qname STARTS WITH 'hello-jobs.'"
                + " RETURN count(j) AS n").get(0).get("n").asLong() == 3, () -> "hello-jobs' jobs in the graph");
    }

    @AfterEach
    void stopHost() throws IOException {
        host.close();
        if (lock != null) {
            lock.close();
        }
    }

    /**
     * A data directory as a running embedded host keeps it: its lock held (the CLI sends the password to no one
     * else), the graph's address and credentials under graph/.
     */
    private Path dataDirOfTheGraph() throws IOException {
        lock = DataDirLock.acquire(empty.resolve("data"));
        Path dir = Files.createDirectories(empty.resolve("data/graph"));
        GraphEndpoint ep = server.endpoint();
        Files.writeString(dir.resolve(EmbeddedGraph.BOLT_URL_FILE), ep.uri() + "\n");
        Files.writeString(dir.resolve(EmbeddedGraph.CREDENTIALS_FILE), "user=" + ep.user() + "\npassword="
                + ep.password() + "\n");
        return dir.getParent();
    }

    private int belfry(String... args) {
        return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void shouldMirrorTheHostsJobsPluginAndHostWithTheirRelationships() {
        String pattern = "MATCH (h:_Host)-[:HOSTS]->(p:_Plugin {id: 'hello-jobs'})-[:CONTRIBUTES]->(j:_BackgroundJob)"
                + " RETURN count(j) AS n";
        Eventually.await(PATIENCE, () -> server.query(pattern).get(0).get("n").asLong() == 3,
                () -> "host, plugin and jobs linked");
        var rows = server.query("MATCH (h:_Host)-[:HOSTS]->(p:_Plugin {id: 'hello-jobs'})-[:CONTRIBUTES]->"
                + "(j:_BackgroundJob) RETURN p.state AS state, j.qname AS qname ORDER BY qname");

        assertThat(rows).extracting(r -> r.get("qname").asString())
                .containsExactly("hello-jobs.greeting", "hello-jobs.heartbeat", "hello-jobs.say-hello");
        assertThat(rows.get(0).get("state").asString()).isEqualTo("started");
    }

    @Test
    void shouldMirrorARunOfATriggeredJob() {
        host.trigger(QName.parse("hello-jobs.say-hello"));

        Eventually.await(PATIENCE, () -> !server.query("MATCH (:_BackgroundJob {qname: 'hello-jobs.say-hello'})"
                + "-[:RAN]->(r:_JobRun) RETURN r").isEmpty(), () -> "the run in the graph");
    }

    @Test
    void shouldKeepGeneratedCredentialsOwnerOnlyAndTheBoltAddressOnLoopback() throws IOException {
        Path graphDir = server.graphDir();

        assertThat(Files.getPosixFilePermissions(graphDir.resolve(EmbeddedGraph.CREDENTIALS_FILE)))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(Files.readString(graphDir.resolve(EmbeddedGraph.CREDENTIALS_FILE)))
                .contains("password=" + server.endpoint().password());
        assertThat(Files.readString(graphDir.resolve(EmbeddedGraph.BOLT_URL_FILE)).strip())
                .isEqualTo(server.endpoint().uri().toString()).startsWith("bolt://127.0.0.1:");
    }

    @Test
    void shouldPrintATableWhenQueryingThroughADataDirectory() throws IOException {
        int code = belfry("query", "MATCH (j:_BackgroundJob) WHERE j.namespace = $ns RETURN j.qname AS qname,"
                + " j.schedule_type AS type ORDER BY qname", "--param", "ns=hello-jobs",
                "--data", dataDirOfTheGraph().toString());

        assertThat(code).as(err.toString()).isZero();
        List<String> lines = out.toString().lines().toList();
        assertThat(lines.get(0)).startsWith("qname").contains("type");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("hello-jobs.say-hello").contains("manual"));
        assertThat(lines.get(lines.size() - 1)).isEqualTo("(3 rows)");
    }

    @Test
    void shouldPrintJsonAndCsv() throws IOException {
        Path dataDir = dataDirOfTheGraph();

        assertThat(belfry("query", "MATCH (j:_BackgroundJob {qname: $q}) RETURN j.qname AS qname, $n + 1 AS n",
                "--param", "q=hello-jobs.heartbeat", "--param", "n=41", "--format", "json",
                "--data", dataDir.toString())).isZero();
        JsonNode json = new ObjectMapper().readTree(out.toString());
        assertThat(json.get(0).get("qname").asText()).isEqualTo("hello-jobs.heartbeat");
        assertThat(json.get(0).get("n").asLong()).isEqualTo(42);

        out.getBuffer().setLength(0);
        assertThat(belfry("query", "RETURN 'a,b' AS x, 'say \"hi\"' AS y", "--format", "csv",
                "--data", dataDir.toString())).isZero();
        assertThat(out.toString().lines()).containsExactly("x,y", "\"a,b\",\"say \"\"hi\"\"\"");
    }

    @Test
    void shouldExitTwoWithTheServersMessageOnACypherError() throws IOException {
        int code = belfry("query", "MATCH (j:_BackgroundJob RETURN j", "--data", dataDirOfTheGraph().toString());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).singleElement().asString().startsWith("belfry: ").containsIgnoringCase("invalid input");
    }

    @Test
    void shouldExitThreeWithHowToStartTheHostWhenNothingAnswers() throws IOException {
        assertThat(belfry("query", "RETURN 1", "--data", empty.resolve("nothing").toString())).isEqualTo(3);
        assertThat(err.toString()).contains("belfry run --data");

        err.getBuffer().setLength(0);
        Path stale = Files.createDirectories(empty.resolve("stale/graph"));
        Files.writeString(stale.resolve(EmbeddedGraph.BOLT_URL_FILE), "bolt://127.0.0.1:1\n");
        Files.writeString(stale.resolve(EmbeddedGraph.CREDENTIALS_FILE), "user=neo4j\npassword=x\n");
        assertThat(belfry("query", "RETURN 1", "--data", stale.getParent().toString())).isEqualTo(3);
        assertThat(err.toString()).contains("no Belfry host is running on data directory " + stale.getParent())
                .contains("belfry run --data");
    }
    @Test
    void shouldRefuseAWriteWithExitTwoAndTheServersMessageUnlessWriteIsGiven() throws IOException {
        Path dataDir = dataDirOfTheGraph();
        String deleteJobs = "MATCH (j:_BackgroundJob) DETACH DELETE j";

        int refused = belfry("query", deleteJobs, "--data", dataDir.toString());

        assertThat(refused).isEqualTo(2);
        assertThat(err.toString().lines()).singleElement().asString().startsWith("belfry: ")
                .containsIgnoringCase("read access mode").contains("add --write");
        assertThat(server.query("MATCH (j:_BackgroundJob) RETURN count(j) AS n").get(0).get("n").asLong()).isEqualTo(3);

        assertThat(belfry("query", deleteJobs, "--write", "--data", dataDir.toString())).as(err.toString()).isZero();
        assertThat(server.query("MATCH (j:_BackgroundJob) RETURN count(j) AS n").get(0).get("n").asLong()).isZero();
    }

    @Test
    void shouldShowARemovedPluginAsGoneAndNoLongerHosted() throws IOException {
        Files.delete(plugins.resolve("hello-jobs.jar"));
        host.rescanPlugins();

        // The mirror is asynchronous, and other tests' hosts share the server: wait for this host's view of it.
        String hostId = Files.readString(data.resolve("_system/host.id")).strip();
        Eventually.await(PATIENCE, () -> "gone".equals(server.query("MATCH (p:_Plugin {id: 'hello-jobs'})"
                + " RETURN p.state AS s").get(0).get("s").asString(null))
                && server.query("MATCH (:_Host {id: $h})-[:HOSTS]->(p:_Plugin) RETURN p.id AS id",
                        java.util.Map.of("h", hostId)).isEmpty()
                && server.query("MATCH (:_Plugin {id: 'hello-jobs'})-[:CONTRIBUTES]->(j:_BackgroundJob)"
                        + " WHERE j.status <> 'orphaned' RETURN j.qname AS q").isEmpty(),
                () -> "the plugin node gone and no longer hosted by this host, its jobs orphaned");
        assertThat(server.query("MATCH (:_Plugin {id: 'hello-jobs'})-[:CONTRIBUTES]->(j:_BackgroundJob)"
                + " RETURN j.status AS s").stream().map(r -> r.get("s").asString()).toList())
                .hasSize(3).containsOnly("orphaned");
    }

    @Test
    void shouldNotLockTheGeneratedPasswordOutWhenSomeoneTriesWrongOnes() throws IOException {
        GraphEndpoint ep = server.endpoint();
        for (int i = 0; i < 5; i++) {
            try (var wrong = org.neo4j.driver.GraphDatabase.driver(ep.uri(),
                    org.neo4j.driver.AuthTokens.basic(ep.user(), "wrong-" + i),
                    org.neo4j.driver.Config.builder().withLogging(org.neo4j.driver.Logging.none()).build())) {
                wrong.verifyConnectivity();
            } catch (org.neo4j.driver.exceptions.AuthenticationException expected) {
                // a wrong password is refused, and only that
            }
        }

        int code = belfry("query", "RETURN 1 AS one", "--data", dataDirOfTheGraph().toString());

        assertThat(code).as(err.toString()).isZero();
    }
}
