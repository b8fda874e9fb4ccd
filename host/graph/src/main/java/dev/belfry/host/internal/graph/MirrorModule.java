package dev.belfry.host.internal.graph;

import dev.belfry.api.QName;
import dev.belfry.host.HostStartException;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.module.AttachedModule;
import dev.belfry.host.internal.module.HostContext;
import dev.belfry.host.internal.module.ModuleFactory;
import dev.belfry.host.internal.module.PluginNode;
import dev.belfry.sidecar.JobRecord;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** The graph mirror as a host module: the mirror, the graph's runtime (embedded or external) and their health. */
public final class MirrorModule implements ModuleFactory {
    private final GraphConfig config;

    /** @param config where to mirror */
    public MirrorModule(GraphConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public String name() {
        return "graph";
    }

    @Override
    public AttachedModule attach(HostContext host) {
        return new Attached(host);
    }

    private final class Attached implements AttachedModule {
        private final HostContext host;
        private final GraphMirror mirror;
        /** Started by start() once nothing can refuse the start any more; null until then and with the graph off. */
        private volatile GraphRuntime graph;
        private EmbeddedServer.Starter starter;

        Attached(HostContext host) {
            this.host = host;
            this.mirror = config.mode() == GraphConfig.Mode.OFF ? GraphMirror.off()
                    : host.clustered() ? Neo4jMirror.forCluster(this::endpoint, host::committedJobs, host::owns,
                            host.hostId(), host.startedAt(), config.runsPerJob(), host.clock())
                    : new Neo4jMirror(this::endpoint, host::committedJobs, host::runs, host.hostId(), host.startedAt(),
                            config.runsPerJob(), host.clock());
        }

        @Override
        public void prepare() {
            if (config.mode() == GraphConfig.Mode.EMBEDDED && host.clustered()) {
                // One graph for the cluster: an embedded server per host would give each host a graph of its own.
                throw new HostStartException("the embedded graph cannot be used in cluster mode: the hosts of a"
                        + " cluster mirror into one external Neo4j (set the graph to bolt://HOST:PORT, or turn it off)");
            }
            if (config.mode() == GraphConfig.Mode.EMBEDDED) {
                starter = EmbeddedServer.starter().orElseThrow(() -> new HostStartException("the graph is set to"
                        + " the embedded Neo4j, but belfry-graph-embedded is not on the class path (add it, or set"
                        + " an external graph URI, or turn the graph off)"));
            }
        }

        @Override
        public void start() {
            if (mirror instanceof Neo4jMirror neo4j) {
                graph = GraphRuntime.start(config, host.dataDir(), starter);
                neo4j.start();
            }
        }

        @Override
        public void jobChanged(JobRecord record) {
            mirror.jobChanged(record);
        }

        @Override
        public void jobRemoved(QName qname) {
            mirror.jobRemoved(qname);
        }

        @Override
        public void runFinished(RunResult result) {
            mirror.runFinished(result);
        }

        @Override
        public void pluginsChanged(List<PluginNode> plugins) {
            mirror.pluginsChanged(plugins);
        }

        private Optional<GraphEndpoint> endpoint() {
            GraphRuntime g = graph;
            return g == null ? Optional.empty() : g.endpoint();
        }

        @Override
        public Map<String, Double> gauges() {
            MirrorStatus m = mirror.status();
            return !m.enabled() ? Map.of() : Map.of(
                    "connected", m.connected() ? 1.0 : 0.0,
                    "queue_depth", (double) m.queueDepth(),
                    "lag_seconds", m.lag().map(d -> d.toNanos() / 1e9).orElse(0.0),
                    "rows_written", (double) m.rowsWritten());
        }

        @Override
        public Optional<Map<String, Object>> healthSection() {
            MirrorStatus m = mirror.status();
            Map<String, Object> out = new LinkedHashMap<>();
            boolean starting = m.enabled() && endpoint().isEmpty();
            GraphRuntime g = graph;
            // The embedded server failing to start (its port taken, say) is not "starting": say why it is down.
            Optional<String> startError = g == null || !starting ? Optional.empty() : g.startError();
            Optional<String> lastError = m.lastError().or(() -> startError);
            out.put("state", !m.enabled() ? "off" : m.connected() ? "connected"
                    : starting && startError.isEmpty() ? "starting" : "down");
            out.put("enabled", m.enabled());
            out.put("connected", m.connected());
            out.put("queue_depth", m.queueDepth());
            out.put("lag_ms", m.lag().map(Duration::toMillis).orElse(null));
            out.put("last_error", lastError.orElse(null));
            out.put("start_error", startError.orElse(null));
            out.put("last_sync_at", m.lastSyncAt().map(Object::toString).orElse(null));
            out.put("uri", endpoint().map(e -> e.uri().toString()).orElse(null));
            out.put("detail", !m.enabled() ? "off" : endpoint().map(Object::toString)
                    .orElse(startError.isPresent() ? "embedded Neo4j not started"
                            : "embedded Neo4j starting (about 30 s)")
                    + (lastError.map(e -> ": " + e).orElse("")));
            return Optional.of(out);
        }

        @Override
        public void close() {
            mirror.close();
            GraphRuntime g = graph;
            if (g != null) {
                g.close();
            }
        }
    }
}
