package dev.belfry.host.graph;

import dev.belfry.host.HostModule;
import dev.belfry.host.internal.graph.MirrorModule;

/**
 * The job graph as a host module: a best-effort copy of the host's jobs, plugins and recent runs in Neo4j, for
 * operators' Cypher queries. The state file stays the source of truth; whatever happens to Neo4j, jobs fire.
 *
 * <pre>{@code
 * HostConfig.builder().module(GraphModule.of(GraphConfig.external(uri, "neo4j", password)))
 * }</pre>
 *
 * <p>An external server needs only this artifact; {@link GraphConfig#embedded()} also needs
 * {@code belfry-graph-embedded} on the class path (the host refuses to start without it, saying so).
 */
public final class GraphModule {
    private GraphModule() {
    }

    /**
     * @param config where to mirror; {@link GraphConfig#off()} gives a module that only reports the graph as off
     * @return the module, for {@code HostConfig.Builder.module}
     */
    public static HostModule of(GraphConfig config) {
        return new MirrorModule(config);
    }
}
