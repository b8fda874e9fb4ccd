package dev.belfry.host.internal.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.neo4j.driver.Session;
import org.neo4j.driver.exceptions.ClientException;

/**
 * Any Bolt login may run Cypher, so LOAD CSV must neither read the host user's files nor fetch URLs on the host's
 * behalf: the embedded server refuses both.
 */
class EmbeddedGraphLoadCsvTest {

    @Test
    void shouldRefuseLoadCsvFromAFileUrlWhenTheFileIsReadableByTheHostUser() throws Exception {
        // given a file the host user can read, inside the server's own import folder and outside it
        GraphTestServer server = GraphTestServer.get();
        Path secret = Files.writeString(server.graphDir().resolve("secret.csv"), "a-secret\n");
        try (Session s = server.session()) {
            for (String url : new String[] {"file:///etc/passwd", secret.toUri().toString(), "file:///secret.csv"}) {
                // when a client loads it with LOAD CSV
                // then the server refuses, and nothing of the file comes back
                assertThatThrownBy(() -> s.run("LOAD CSV FROM $url AS row RETURN row", java.util.Map.of("url", url))
                        .list())
                        .as(url).isInstanceOf(ClientException.class)
                        .hasMessageContaining("allow_csv_import_from_file_urls");
            }
        } finally {
            Files.deleteIfExists(secret);
        }
    }

    @Test
    void shouldRefuseLoadCsvFromAnHttpUrlWithoutConnectingWhenAListenerIsThere() throws Exception {
        // given a local HTTP listener
        GraphTestServer server = GraphTestServer.get();
        try (ServerSocket listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             Session s = server.session()) {
            listener.setSoTimeout(1_000);
            String url = "http://127.0.0.1:" + listener.getLocalPort() + "/data.csv";

            // when a client loads it with LOAD CSV
            assertThatThrownBy(() -> s.run("LOAD CSV FROM $url AS row RETURN row", java.util.Map.of("url", url))
                    .list())
                    // then the server refuses it and never connects
                    .isInstanceOf(ClientException.class)
                    .hasMessageContaining("blocked");
            assertThatThrownBy(listener::accept).isInstanceOf(SocketTimeoutException.class);
        }
    }
}
