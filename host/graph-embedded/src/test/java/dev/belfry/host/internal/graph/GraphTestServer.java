package dev.belfry.host.internal.graph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Logging;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;

/**
 * The one embedded Neo4j of the test JVM, shared by every graph test class: started on first use (port 0, a temp
 * folder), stopped by a shutdown hook. Starting Neo4j takes seconds, so no test starts its own.
 *
 * <p>{@link #stop()} and {@link #start()} restart it on the same folder and port, for outage tests; such a test
 * must leave it running. Like a host, it starts with a generated password kept in the folder's credentials file and
 * restarts with the stored one. Tests run one after another and call {@link #wipe()} first: a mirror's resync
 * deletes whatever the graph has that its state lacks.
 */
final class GraphTestServer {
    private static GraphTestServer instance;

    private final Path dir;
    private final int port;
    private volatile EmbeddedGraph graph;
    private volatile GraphEndpoint endpoint;
    private volatile Driver driver;

    private GraphTestServer(Path dir, EmbeddedGraph graph) {
        this.dir = dir;
        this.port = graph.endpoint().uri().getPort();
        started(graph);
    }

    private void started(EmbeddedGraph g) {
        graph = g;
        endpoint = g.endpoint();
        Driver old = driver;
        driver = GraphDatabase.driver(endpoint.uri(), AuthTokens.basic(endpoint.user(), endpoint.password()),
                Config.builder().withLogging(Logging.none()).build());
        if (old != null) {
            old.close();
        }
    }

    /** @return the shared server, started if this is the first use */
    static synchronized GraphTestServer get() {
        if (instance == null) {
            try {
                Path dir = Files.createTempDirectory("belfry-graph-test");
                instance = new GraphTestServer(dir, EmbeddedGraph.start(dir.resolve("graph"), 0, Optional.empty()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(instance::shutdown, "graph-test-server-stop"));
        }
        return instance;
    }

    /** @return the server's folder, as a host's {@code <data>/graph} */
    Path graphDir() {
        return dir.resolve("graph");
    }

    /** @return how to reach the server (while it is stopped: where it was) */
    GraphEndpoint endpoint() {
        return endpoint;
    }

    /** Stops the server, keeping its folder. */
    synchronized void stop() {
        EmbeddedGraph g = graph;
        if (g != null) {
            g.close();
            graph = null;
        }
    }

    /** Starts the server again on the same folder and port. */
    synchronized void start() {
        if (graph == null) {
            try {
                started(EmbeddedGraph.start(dir.resolve("graph"), port, Optional.empty()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** @return whether the server is running */
    boolean running() {
        return graph != null;
    }

    /** Runs a read-write statement in a managed transaction and returns its records. */
    List<Record> query(String cypher, Map<String, Object> params) {
        try (Session s = driver.session()) {
            return s.executeWrite(tx -> tx.run(cypher, params).list());
        }
    }

    List<Record> query(String cypher) {
        return query(cypher, Map.of());
    }

    /** @return a session of the test's own driver */
    Session session() {
        return driver.session();
    }

    /** Deletes every node and relationship; the constraints stay. */
    void wipe() {
        query("MATCH (n) DETACH DELETE n");
    }

    private synchronized void shutdown() {
        try {
            driver.close();
        } catch (RuntimeException ignored) {
            // the JVM is going away
        }
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp folder left behind is harmless
        }
    }
}
