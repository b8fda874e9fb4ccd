package dev.belfry.host.internal.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Logging;

/**
 * Connections that open, or complete the Bolt handshake, and never log in each hold a file descriptor of the host's process;
 * the embedded server cuts them after its authentication timeout, so a flood of them cannot pile up for ever.
 */
class EmbeddedGraphUnauthenticatedFloodTest {
    private static final int CONNECTIONS = 200;
    /** The Bolt magic and four version proposals: 5.4 down to 5.0, 4.4 down to 4.2, nothing, nothing. */
    private static final byte[] HANDSHAKE = {
        0x60, 0x60, (byte) 0xB0, 0x17,
        0x00, 0x04, 0x04, 0x05,
        0x00, 0x02, 0x04, 0x04,
        0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00};

    @TempDir
    Path dir;

    @Test
    void shouldCloseHandshakeOnlyConnectionsAndStillLetTheOwnerInWhenTheyNeverLogIn() throws IOException {
        // given a server that cuts connections not logged in after a second
        Duration timeout = Duration.ofSeconds(1);
        try (EmbeddedGraph graph = EmbeddedGraph.start(dir.resolve("graph"), 0, Optional.empty(), timeout)) {
            GraphEndpoint ep = graph.endpoint();
            List<Socket> sockets = new ArrayList<>();
            try {
                // when 200 clients connect, half of them complete the handshake, and then none says anything more
                for (int i = 0; i < CONNECTIONS; i++) {
                    Socket s = new Socket(ep.uri().getHost(), ep.uri().getPort());
                    sockets.add(s);
                    if (i % 2 == 0) {
                        s.getOutputStream().write(HANDSHAKE);
                        s.getOutputStream().flush();
                    }
                }
                for (int i = 0; i < CONNECTIONS; i += 2) {
                    Socket s = sockets.get(i);
                    byte[] agreed = new byte[4];
                    s.setSoTimeout(10_000);
                    new DataInputStream(s.getInputStream()).readFully(agreed);
                    assertThat(agreed).as("the version the server agreed to").isNotEqualTo(new byte[4]);
                }

                // then the server closes every one of them within seconds (Neo4j's default would take 30)
                long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                int closed = 0;
                for (Socket s : sockets) {
                    if (closedByServer(s, deadline)) {
                        closed++;
                    }
                }
                assertThat(closed).as("handshake-only connections the server closed").isEqualTo(CONNECTIONS);

                // and a client that logs in still gets in
                try (Driver driver = GraphDatabase.driver(ep.uri(), AuthTokens.basic(ep.user(), ep.password()),
                        Config.builder().withLogging(Logging.none()).build())) {
                    driver.verifyConnectivity();
                }
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    /** Reads until the server closes the connection (end of stream or reset) or the deadline passes. */
    private static boolean closedByServer(Socket s, long deadline) throws IOException {
        InputStream in = s.getInputStream();
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            s.setSoTimeout((int) Math.max(1, left));
            try {
                if (in.read() < 0) {
                    return true;
                }
            } catch (SocketTimeoutException stillOpen) {
                return false;
            } catch (IOException reset) {
                return true;
            }
        }
    }
}
