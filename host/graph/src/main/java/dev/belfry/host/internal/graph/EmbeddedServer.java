package dev.belfry.host.internal.graph;

import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A Neo4j server in the host's own process. The server itself lives in belfry-graph-embedded, found through
 * {@link ServiceLoader}, so that an application with its own Neo4j never has the server's jars.
 */
public interface EmbeddedServer extends AutoCloseable {

    /** @return where the server listens, with its credentials */
    GraphEndpoint endpoint();

    /** Stops the server; never throws. */
    @Override
    void close();

    /** Starts embedded servers; implemented by belfry-graph-embedded. */
    interface Starter {
        /**
         * @param graphDir the server's store folder
         * @param boltPort its Bolt port on 127.0.0.1; 0 for a free one
         * @param password its password; empty to generate one at the first start
         * @return the running server
         * @throws Exception if it cannot start; the message says why in one line
         */
        EmbeddedServer start(Path graphDir, int boltPort, Optional<String> password) throws Exception;
    }

    /** @return the starter on the class path, if belfry-graph-embedded is there */
    static Optional<Starter> starter() {
        return ServiceLoader.load(Starter.class, EmbeddedServer.class.getClassLoader()).findFirst();
    }
}
