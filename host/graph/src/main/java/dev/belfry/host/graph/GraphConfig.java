package dev.belfry.host.graph;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the host mirrors its job graph. The mirror is best-effort: whatever happens to Neo4j, the host fires its
 * jobs and the sidecar stays the source of truth.
 *
 * @param mode        off, the embedded server, or an external one
 * @param uri         the external server's {@code bolt://} or {@code neo4j://} URI (external mode only)
 * @param user        the user to connect as; default {@code neo4j}
 * @param password    the password; for the embedded server, empty means generate one at first start
 * @param boltPort    the embedded server's Bolt port on 127.0.0.1; 0 picks a free port; default 7687
 * @param runsPerJob  how many recent runs per job the graph keeps; default 50
 */
public record GraphConfig(Mode mode, Optional<URI> uri, String user, Optional<String> password, int boltPort,
                          int runsPerJob) {

    /** Which graph the host mirrors into. */
    public enum Mode {
        /** No mirror. */
        OFF,
        /** An embedded Neo4j in the host's process, store under {@code <data>/graph}, Bolt on loopback. */
        EMBEDDED,
        /** A Neo4j 5 server elsewhere, reached at {@link #uri()}. */
        EXTERNAL
    }

    /**
     * Validates the values.
     *
     * @param mode       off, the embedded server, or an external one
     * @param uri        the external server's URI (external mode only)
     * @param user       the user to connect as
     * @param password   the password; for the embedded server, empty means generate one at first start
     * @param boltPort   the embedded server's Bolt port on 127.0.0.1; 0 picks a free port
     * @param runsPerJob how many recent runs per job the graph keeps
     * @throws IllegalArgumentException naming the value that is wrong
     */
    public GraphConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (mode == Mode.EXTERNAL) {
            URI u = uri.orElseThrow(() -> new IllegalArgumentException("an external graph needs a bolt:// or neo4j:// URI"));
            String scheme = String.valueOf(u.getScheme());
            if (!scheme.matches("bolt|bolt\\+s|bolt\\+ssc|neo4j|neo4j\\+s|neo4j\\+ssc") || u.getHost() == null) {
                throw new IllegalArgumentException("graph URI must look like bolt://host:7687 or neo4j://host:7687: "
                        + u);
            }
        }
        if (boltPort < 0 || boltPort > 65_535) {
            throw new IllegalArgumentException("Bolt port must be between 0 and 65535: " + boltPort);
        }
        if (runsPerJob < 0 || runsPerJob > 10_000) {
            throw new IllegalArgumentException("runs kept per job must be between 0 and 10000: " + runsPerJob);
        }
    }

    /** @return no mirror */
    public static GraphConfig off() {
        return new GraphConfig(Mode.OFF, Optional.empty(), "neo4j", Optional.empty(), 7687, 50);
    }

    /** @return the embedded server on 127.0.0.1:7687 with a generated password */
    public static GraphConfig embedded() {
        return new GraphConfig(Mode.EMBEDDED, Optional.empty(), "neo4j", Optional.empty(), 7687, 50);
    }

    /**
     * @param uri      the server's Bolt URI
     * @param user     the user
     * @param password the password
     * @return an external server
     */
    public static GraphConfig external(URI uri, String user, String password) {
        return new GraphConfig(Mode.EXTERNAL, Optional.of(uri), user, Optional.of(password), 7687, 50);
    }

    /**
     * @param port the embedded server's Bolt port, 0 for a free one
     * @return a copy with another port
     */
    public GraphConfig withBoltPort(int port) {
        return new GraphConfig(mode, uri, user, password, port, runsPerJob);
    }

    /**
     * @param runs how many recent runs per job to keep in the graph
     * @return a copy with another limit
     */
    public GraphConfig withRunsPerJob(int runs) {
        return new GraphConfig(mode, uri, user, password, boltPort, runs);
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "GraphConfig[" + mode + uri.map(u -> " " + u).orElse("") + ", user " + user
                + (mode == Mode.EMBEDDED ? ", port " + boltPort : "") + ", " + runsPerJob + " runs per job]";
    }
}
