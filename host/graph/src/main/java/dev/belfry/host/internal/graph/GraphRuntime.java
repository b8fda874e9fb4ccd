package dev.belfry.host.internal.graph;

import dev.belfry.host.graph.GraphConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the mirror's Neo4j is: a fixed external endpoint, or the embedded server, which this class starts on its
 * own thread so that the host fires jobs at once and never waits for the graph (it takes seconds to start). If the
 * embedded server fails to start (the port is taken, say), it logs once and keeps trying with backoff.
 */
public final class GraphRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GraphRuntime.class);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(2);
    private static final Duration LAST_RETRY = Duration.ofMinutes(2);

    private final AtomicReference<GraphEndpoint> endpoint = new AtomicReference<>();
    private final AtomicReference<EmbeddedServer> embedded = new AtomicReference<>();
    private final AtomicReference<String> startError = new AtomicReference<>();
    private volatile Thread starter;
    private volatile boolean closing;

    private GraphRuntime(GraphEndpoint fixed) {
        this.endpoint.set(fixed);
    }

    /**
     * @param config  the host's graph configuration (not OFF)
     * @param dataDir the data directory; the embedded server lives in its {@code graph} folder
     * @param starter starts the embedded server (unused for an external one)
     * @return the runtime; for the embedded server, starting in the background
     */
    public static GraphRuntime start(GraphConfig config, Path dataDir, EmbeddedServer.Starter starter) {
        if (config.mode() == GraphConfig.Mode.EXTERNAL) {
            return new GraphRuntime(new GraphEndpoint(config.uri().orElseThrow(), config.user(),
                    config.password().orElse("")));
        }
        if (config.mode() != GraphConfig.Mode.EMBEDDED) {
            throw new IllegalArgumentException("no graph runtime for mode " + config.mode());
        }
        GraphRuntime runtime = new GraphRuntime(null);
        Thread t = new Thread(() -> runtime.startEmbedded(config, dataDir.resolve("graph"), starter), "belfry-graph-start");
        t.setDaemon(true);
        runtime.starter = t;
        t.start();
        return runtime;
    }

    private void startEmbedded(GraphConfig config, Path graphDir, EmbeddedServer.Starter starter) {
        Duration wait = FIRST_RETRY;
        boolean reported = false;
        while (!closing) {
            try {
                EmbeddedServer graph = starter.start(graphDir, config.boltPort(), config.password());
                synchronized (this) {
                    if (closing) {
                        graph.close();
                        return;
                    }
                    embedded.set(graph);
                    endpoint.set(graph.endpoint());
                    startError.set(null);
                }
                if (reported) {
                    log.info("embedded Neo4j started after earlier failures");
                }
                return;
            } catch (Exception | LinkageError e) {
                String why = e instanceof IllegalStateException ? String.valueOf(e.getMessage()) : e.toString();
                startError.set(why + "; retrying");
                if (!reported) {
                    log.error("embedded Neo4j did not start: {}; jobs fire regardless; it retries after {} s, then"
                            + " at doubling intervals up to every {} s", why, FIRST_RETRY.toSeconds(),
                            LAST_RETRY.toSeconds());
                    reported = true;
                }
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                wait = wait.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : wait.multipliedBy(2);
            }
        }
    }

    /** @return the endpoint, once there is one */
    public Optional<GraphEndpoint> endpoint() {
        return Optional.ofNullable(endpoint.get());
    }

    /**
     * @return why the embedded server has not started, while it keeps failing to (for example
     *         {@code embedded Neo4j cannot listen on 127.0.0.1:7687: address in use ...}); empty once it runs, before its
     *         first attempt ends, and for an external server
     */
    public Optional<String> startError() {
        return Optional.ofNullable(startError.get());
    }

    /** Stops the embedded server, if this runtime started one. */
    @Override
    public void close() {
        EmbeddedServer graph;
        synchronized (this) {
            closing = true;
            graph = embedded.getAndSet(null);
        }
        Thread t = starter;
        if (t != null) {
            t.interrupt(); // ends a backoff sleep; a start in progress finishes and then closes what it started
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (graph != null) {
            graph.close();
        }
    }
}
