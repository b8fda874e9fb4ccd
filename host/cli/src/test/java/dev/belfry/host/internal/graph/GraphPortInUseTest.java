package dev.belfry.host.internal.graph;

import dev.belfry.host.admin.AdminModule;
import dev.belfry.host.graph.GraphModule;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.LogCapture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Another process holding the Bolt port keeps the embedded Neo4j from starting: the log and {@code GET /health} say
 * so, naming the address, instead of a graph "starting" for ever; once the port is free the graph starts.
 */
class GraphPortInUseTest {
    private static final Duration PATIENCE = Duration.ofSeconds(180);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final LogCapture log = LogCapture.of(GraphRuntime.class);

    @TempDir
    Path tmp;

    @Test
    void shouldReportThePortInUseInTheLogAndHealthWhenAnotherProcessHoldsTheBoltPort() throws Exception {
        // given another process listening on the port the graph is configured for
        ServerSocket squatter = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        int port = squatter.getLocalPort();
        Path data = tmp.resolve("data");
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        String expected = "embedded Neo4j cannot listen on 127.0.0.1:" + port + ": address in use";
        try (Host host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).module(AdminModule.onPort(0))
                .module(GraphModule.of(GraphConfig.embedded().withBoltPort(port))).build())) {
            // when the host tries to start its graph
            Eventually.await(PATIENCE, () -> "down".equals(state(data)),
                    () -> "graph state down");

            // then the health and the log say the port is in use and that it retries
            JsonNode graph = graphHealth(data);
            assertThat(graph.path("last_error").asText()).contains(expected).contains("--graph-port")
                    .contains("retrying");
            assertThat(graph.path("detail").asText()).contains(expected);
            assertThat(graph.path("start_error").asText()).contains(expected);
            assertThat(log.lines(Level.ERROR)).singleElement().asString().contains(expected)
                    .contains("it retries after 2 s");

            // and once the port is free the graph starts and the error is gone
            squatter.close();
            Eventually.await(PATIENCE, () -> "connected".equals(state(data)),
                    () -> "graph state connected after the port was freed");
            assertThat(graphHealth(data).path("last_error").isNull()).isTrue();
            assertThat(graphHealth(data).path("start_error").isNull()).isTrue();
        } finally {
            squatter.close();
        }
    }

    private static String state(Path data) {
        try {
            return graphHealth(data).path("state").asText();
        } catch (IOException e) {
            return "admin API not answering: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static JsonNode graphHealth(Path data) throws IOException, InterruptedException {
        URI base = URI.create(Files.readString(data.resolve("admin.url")).strip());
        String token = Files.readString(data.resolve("admin.token")).strip();
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("/health"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET /health: %s", response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("graph");
    }
}
