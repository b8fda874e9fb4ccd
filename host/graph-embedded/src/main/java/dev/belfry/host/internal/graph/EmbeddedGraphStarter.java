package dev.belfry.host.internal.graph;

import java.nio.file.Path;
import java.util.Optional;

/** Starts {@link EmbeddedGraph}; the graph mirror finds it through {@link java.util.ServiceLoader}. */
public final class EmbeddedGraphStarter implements EmbeddedServer.Starter {
    @Override
    public EmbeddedServer start(Path graphDir, int boltPort, Optional<String> password) throws Exception {
        return EmbeddedGraph.start(graphDir, boltPort, password);
    }
}
