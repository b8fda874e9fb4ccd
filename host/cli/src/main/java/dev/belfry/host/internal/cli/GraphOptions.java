package dev.belfry.host.internal.cli;

import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.internal.graph.EmbeddedGraph;
import dev.belfry.host.internal.graph.GraphEndpoint;
import dev.belfry.host.internal.state.DataDirLock;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The graph options shared by {@code belfry run} and {@code belfry query}. A password is never taken on the
 * command line (it would show in process listings): it comes from an environment variable or a file.
 */
final class GraphOptions {
    /** The environment variable read for the graph password when no other source is named. */
    static final String DEFAULT_PASSWORD_ENV = "BELFRY_GRAPH_PASSWORD";

    @Option(names = "--graph-user", paramLabel = "USER", defaultValue = "neo4j",
            description = "User for an external graph (default neo4j).")
    String user;

    @Option(names = "--graph-password-env", paramLabel = "VAR",
            description = "Environment variable holding the graph password (default " + DEFAULT_PASSWORD_ENV + ").")
    String passwordEnv;

    @Option(names = "--graph-password-file", paramLabel = "FILE",
            description = "File whose first line is the graph password.")
    Path passwordFile;

    /** @return the password from the file, the named variable, or {@value #DEFAULT_PASSWORD_ENV}, if any */
    Optional<String> password() {
        if (passwordFile != null) {
            try {
                return Optional.of(Files.readAllLines(passwordFile).stream().findFirst().orElse("").strip());
            } catch (IOException e) {
                throw new BelfryCli.BadInputException("--graph-password-file: cannot read " + passwordFile + ": "
                        + e.getMessage());
            }
        }
        String var = passwordEnv != null ? passwordEnv : DEFAULT_PASSWORD_ENV;
        String value = System.getenv(var);
        if (value == null && passwordEnv != null) {
            throw new BelfryCli.BadInputException("--graph-password-env: environment variable " + var + " is not set");
        }
        return Optional.ofNullable(value);
    }

    /**
     * @param graph {@code off}, {@code embedded} or a Bolt URI
     * @return the host's graph configuration
     */
    GraphConfig config(String graph, int embeddedPort) {
        try {
            if ("off".equals(graph)) {
                return GraphConfig.off();
            }
            if ("embedded".equals(graph)) {
                GraphConfig c = GraphConfig.embedded().withBoltPort(embeddedPort);
                return new GraphConfig(c.mode(), c.uri(), c.user(), password(), c.boltPort(), c.runsPerJob());
            }
            // The address is checked before any password is looked for: a mistyped --graph is the problem to report.
            URI uri = GraphConfig.external(URI.create(graph), user, "").uri().orElseThrow();
            return GraphConfig.external(uri, user, password().orElseThrow(() ->
                    new BelfryCli.BadInputException("--graph " + graph + ": no password; set " + DEFAULT_PASSWORD_ENV
                            + " or use --graph-password-env / --graph-password-file")));
        } catch (IllegalArgumentException e) {
            throw new BelfryCli.BadInputException("--graph " + graph + ": " + e.getMessage());
        }
    }

    /**
     * The endpoint {@code belfry query} talks to: an external server if {@code --graph} names one, otherwise the
     * embedded server of the host using {@code dataDir}.
     */
    GraphEndpoint endpoint(String graph, Path dataDir) {
        if (graph != null && !"embedded".equals(graph)) {
            GraphConfig c = config(graph, 0);
            if (c.mode() != GraphConfig.Mode.EXTERNAL) {
                throw new BelfryCli.BadInputException("--graph " + graph + ": nothing to query");
            }
            return new GraphEndpoint(c.uri().orElseThrow(), c.user(), c.password().orElseThrow());
        }
        Path graphDir = dataDir.resolve("graph");
        AdminClient.refuseUnsafe(dataDir, graphDir.resolve(EmbeddedGraph.CREDENTIALS_FILE));
        // The password goes only to the address the host holding the directory wrote during its run: a bolt.url left
        // by a host that was stopped or killed names a port anyone may listen on by now.
        if (!DataDirLock.isHeld(dataDir)) {
            throw new HostNotRunningException("no Belfry host is running on data directory " + dataDir
                    + "; start one with: belfry run --data " + dataDir + " (or name a server with --graph"
                    + " bolt://HOST:PORT)");
        }
        if (!DataDirLock.writtenByRunningHost(dataDir, graphDir.resolve(EmbeddedGraph.BOLT_URL_FILE))) {
            throw new HostNotRunningException("no graph found in " + graphDir + ": the host on " + dataDir
                    + " has not started its embedded graph (it runs with --graph off or an external server, or it is"
                    + " still starting); name an external server with --graph bolt://HOST:PORT");
        }
        try {
            return EmbeddedGraph.readEndpoint(graphDir).orElseThrow(() -> new HostNotRunningException(
                    "no graph found in " + graphDir + ": start the host with `belfry run --data " + dataDir
                            + "` (the embedded graph is on by default), or name a server with --graph bolt://HOST:PORT"));
        } catch (IOException e) {
            throw new BelfryCli.BadInputException("cannot read the graph credentials in " + graphDir + ": "
                    + e.getMessage());
        }
    }

    /** Nothing answers where the host's graph should be: exit code 3, with how to start it. */
    static final class HostNotRunningException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HostNotRunningException(String message) {
            super(message);
        }
    }
}
