/**
 * The job graph as a host module: {@link dev.belfry.host.graph.GraphModule} mirrors the host's jobs, plugins and
 * runs into Neo4j as {@link dev.belfry.host.graph.GraphConfig} says. Nothing is null unless marked.
 */
@NullMarked
package dev.belfry.host.graph;

import org.jspecify.annotations.NullMarked;
