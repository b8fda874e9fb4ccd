package dev.belfry.host.internal.graph;

import dev.belfry.host.admin.AdminModule;
import dev.belfry.host.graph.GraphModule;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.internal.cli.BelfryCli;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.LogCapture;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code belfry query} on the data directory of a running host whose graph cannot answer truthfully yet: it says
 * why instead of "start the host" or an empty result.
 */
class QueryReadinessTest {
    private static final Path EXAMPLES = Path.of(System.getProperty("belfry.examplePlugins", "target/example-plugins"));
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path data;
    @TempDir
    Path plugins;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void plugin() throws IOException {
        Files.copy(EXAMPLES.resolve("hello-jobs.jar"), plugins.resolve("hello-jobs.jar"));
    }

    /** The admin API must be on: it is how the command learns what the host's graph is doing. */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private int belfry(String... args) {
        return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void shouldSayNeo4jDoesNotAnswerRatherThanToWaitWhenTheExternalGraphIsUnreachable() throws IOException {
        // given a host whose graph does not answer (a port nothing listens on), so its mirror never synced
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             LogCapture mirrorLog = LogCapture.of(Neo4jMirror.class).start()) {
            URI nowhere = URI.create("bolt://127.0.0.1:" + closed.getLocalPort());
            closed.close();
            try (Host host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).module(AdminModule.onPort(freePort()))
                    .module(GraphModule.of(GraphConfig.external(nowhere, "neo4j", "secret-password"))).build())) {
                Eventually.await(PATIENCE, () -> host.jobs().size() == 3, () -> "hello-jobs' jobs");
                Eventually.await(PATIENCE, () -> !mirrorLog.messages(Neo4jMirror.class, Level.WARN).isEmpty(), () -> "the outage warning");

                // when querying through its data directory
                int code = belfry("query", "MATCH (j:_BackgroundJob) RETURN count(j) AS n", "--data", data.toString());

                // then it says that Neo4j there does not answer, instead of printing 0 rows or suggesting to wait
                assertThat(code).isEqualTo(3);
                assertThat(out.toString()).isEmpty();
                assertThat(err.toString().lines()).singleElement().asString()
                        .startsWith("belfry: Neo4j at " + nowhere + " does not answer (ServiceUnavailableException: ")
                        .endsWith("): the host on " + data + " mirrors into it once it does; start it, or check the"
                                + " host's --graph")
                        .doesNotContain("try again");
                assertThat(mirrorLog.messages(Neo4jMirror.class, Level.WARN)).singleElement().asString()
                        .contains("graph mirror cannot write to Neo4j at neo4j@" + nowhere);
            }
        }
    }

    @Test
    void shouldSayTheGraphIsDownAndWhyWhileTheEmbeddedServerCannotTakeItsPort() throws IOException {
        // given a host whose embedded graph cannot come up yet: its port is held by someone else (the host keeps
        // retrying, and says so in its log)
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             LogCapture runtimeLog = LogCapture.of(GraphRuntime.class).start()) {
            try (Host host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).module(AdminModule.onPort(freePort()))
                    .module(GraphModule.of(GraphConfig.embedded().withBoltPort(taken.getLocalPort()))).build())) {
                Eventually.await(PATIENCE, () -> host.jobs().size() == 3, () -> "hello-jobs' jobs");
                Eventually.await(Duration.ofMinutes(3), () -> !runtimeLog.messages(GraphRuntime.class, Level.ERROR).isEmpty(),
                        () -> "the failed start of the embedded graph");

                // when querying through its data directory
                int code = belfry("query", "RETURN 1", "--data", data.toString());

                // then it says the graph is down because its port is taken, not that no host runs
                assertThat(code).isEqualTo(3);
                assertThat(err.toString().lines()).singleElement().asString()
                        .startsWith("belfry: graph down: the host on " + data + " cannot start its embedded Neo4j:"
                                + " embedded Neo4j cannot listen on 127.0.0.1:" + taken.getLocalPort()
                                + ": address in use")
                        .doesNotContain("no graph found").doesNotContain("belfry run");
            }
            assertThat(runtimeLog.messages(GraphRuntime.class, Level.WARN)).singleElement().asString()
                    .startsWith("ERROR embedded Neo4j did not start");
        }
    }
}
