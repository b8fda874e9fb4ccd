package dev.belfry.host.internal.graph;

import java.net.URI;
import java.util.Objects;

/**
 * How to reach a Neo4j server over Bolt.
 *
 * @param uri      the Bolt URI
 * @param user     the user
 * @param password the password
 */
public record GraphEndpoint(URI uri, String user, String password) {

    /**
     * @param uri      the Bolt URI
     * @param user     the user
     * @param password the password
     */
    public GraphEndpoint {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return user + "@" + uri;
    }
}
