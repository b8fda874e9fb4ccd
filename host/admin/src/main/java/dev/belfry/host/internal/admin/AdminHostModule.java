package dev.belfry.host.internal.admin;

import dev.belfry.api.QName;
import dev.belfry.host.HostStartException;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.JobsAtAGlance;
import dev.belfry.host.internal.Views;
import dev.belfry.host.internal.admin.ui.Dashboard;
import dev.belfry.host.internal.admin.ui.EventHub;
import dev.belfry.host.internal.admin.ui.MinuteCounts;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.module.AttachedModule;
import dev.belfry.host.internal.module.HostContext;
import dev.belfry.host.internal.module.ModuleFactory;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import dev.belfry.host.internal.module.PluginNode;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The admin API with the dashboard, and JMX, as a host module; a port of -1 is JMX only. */
public final class AdminHostModule implements ModuleFactory {
    /** What the health shows for the graph when the host has no graph module. */
    private static final Map<String, Object> GRAPH_OFF = graphOff();

    private final int port;
    private final int jobLabelLimit;

    /**
     * @param port          the port on 127.0.0.1, 0 for any free one, -1 for no HTTP API
     * @param jobLabelLimit how many jobs get metric series of their own
     * @throws IllegalArgumentException if the limit is negative
     */
    public AdminHostModule(int port, int jobLabelLimit) {
        this.port = port;
        this.jobLabelLimit = dev.belfry.host.internal.module.JobLabels.checkLimit(jobLabelLimit);
    }

    @Override
    public String name() {
        return "admin";
    }

    @Override
    public AttachedModule attach(HostContext host) {
        return new Attached(host);
    }

    private static Map<String, Object> graphOff() {
        Map<String, Object> off = new LinkedHashMap<>();
        off.put("state", "off");
        off.put("enabled", false);
        off.put("connected", false);
        off.put("queue_depth", 0);
        off.put("lag_ms", null);
        off.put("last_error", null);
        off.put("start_error", null);
        off.put("last_sync_at", null);
        off.put("uri", null);
        off.put("detail", "off");
        return java.util.Collections.unmodifiableMap(off);
    }

    private final class Attached implements AttachedModule, AdminBackend {
        private final HostContext host;
        private final Metrics metrics = new Metrics(jobLabelLimit);
        private final RunHistory history = new RunHistory(metrics);
        private final HostMetrics jmx;
        private final MinuteCounts minutes = new MinuteCounts();
        private EventHub events;
        private Dashboard dashboard;
        private AdminServer server;

        Attached(HostContext host) {
            this.host = host;
            this.jmx = new HostMetrics(host::jobsByStatus, host::engineStats, metrics, host::stateHealth,
                    this::graphGauges);
        }

        @Override
        public void prepare() {
            jmx.register(host.dataDir().toAbsolutePath().toString());
            if (port < 0) {
                AdminServer.removeStaleFiles(host.dataDir());
                return;
            }
            try {
                events = new EventHub();
                dashboard = new Dashboard(this, host.clock(), minutes, events,
                        Dashboard.writeViewerToken(host.dataDir()));
                server = AdminServer.start(host.dataDir(), port, new AdminApi(this), dashboard,
                        AdminServer.Limits.DEFAULT);
            } catch (AdminServer.FileNotWritten e) {
                closeDashboard();
                throw new HostStartException("admin API cannot start: " + e.getMessage(), e);
            } catch (IOException e) {
                closeDashboard();
                if (!Files.exists(host.dataDir().resolve(Dashboard.VIEWER_TOKEN_FILE))) {
                    throw new HostStartException("admin API cannot start: cannot write "
                            + host.dataDir().resolve(Dashboard.VIEWER_TOKEN_FILE) + ": " + e.getMessage(), e);
                }
                throw new HostStartException("admin API cannot listen on 127.0.0.1:" + port + ": " + e.getMessage()
                        + " (choose another port, 0 for any free one, or turn the admin API off; belfry run:"
                        + " --admin-port PORT|0|off)", e);
            }
        }

        @Override
        public void runFinished(RunResult result) {
            history.runFinished(result);
            boolean failed = !result.error().map(Engine::isCancelledNotFailed).orElse(true);
            minutes.record(result.finishedAt(), failed, Duration.between(result.scheduledFor(), result.firedAt()));
            if (events != null) {
                events.publish("run", result.job().toString(), result.kind().name().toLowerCase(java.util.Locale.ROOT));
            }
        }

        @Override
        public void runProgressed(QName job, long runId, double fraction, String message) {
            if (events != null) {
                events.progress(job.toString(), runId, fraction, message);
            }
        }

        @Override
        public void jobChanged(JobRecord record) {
            if (events != null) {
                events.publish("job", record.qname().toString(), record.status().jsonName());
            }
        }

        @Override
        public void jobRemoved(QName qname) {
            if (events != null) {
                events.publish("job", qname.toString(), "removed");
            }
        }

        @Override
        public void pluginsChanged(List<PluginNode> plugins) {
            if (events != null) {
                events.publish("plugins", "", Integer.toString(plugins.size()));
            }
        }

        @Override
        public void close() {
            if (server != null) {
                server.close();
            }
            closeDashboard();
            jmx.close();
        }

        private void closeDashboard() {
            if (dashboard != null) {
                dashboard.close();
            } else if (events != null) {
                events.close();
            }
        }

        private Map<String, Double> graphGauges() {
            return host.gauges().getOrDefault("graph", Map.of());
        }

        // What the admin API sees of the host.

        @Override
        public List<JobSnapshot> jobs() {
            return host.jobs();
        }

        @Override
        public Optional<JobSnapshot> job(QName qname) {
            return host.job(qname);
        }

        @Override
        public JobsAtAGlance atAGlance(Instant horizon, int max) {
            return host.atAGlance(horizon, max);
        }

        @Override
        public Optional<List<QName>> names() {
            return host.names();
        }

        @Override
        public List<JobSnapshot> jobs(List<QName> qnames) {
            return host.jobs(qnames);
        }

        @Override
        public List<RunResult> runs(QName qname) {
            return host.runs(qname).stream().map(Views::result).toList();
        }

        @Override
        public TriggerOutcome trigger(QName qname) {
            return host.trigger(qname);
        }

        @Override
        public void pause(QName qname) {
            host.pause(qname);
        }

        @Override
        public void resume(QName qname) {
            host.resume(qname);
        }

        @Override
        public void cancel(QName qname) {
            host.cancel(qname);
        }

        @Override
        public List<Map<String, Object>> plugins() {
            List<JobSnapshot> all = host.jobs();
            return host.plugins().stream().map(p -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", p.id());
                m.put("version", p.version());
                m.put("state", "started");
                m.put("file", p.file().getFileName().toString());
                m.put("dependencies", p.dependencies());
                m.put("jobs", all.stream().filter(j -> j.record().pluginId().equals(p.id()))
                        .map(j -> j.record().qname().toString()).toList());
                return m;
            }).toList();
        }

        @Override
        public PluginSupervisor.ReloadOutcome reload(String pluginId) {
            return host.reload(pluginId);
        }

        @Override
        public Map<String, Object> health() {
            Map<String, Object> health = host.health();
            if (health.containsKey("graph")) {
                return health;
            }
            // Without a graph module the graph is off; the health always has its section, which belfry status shows.
            Map<String, Object> out = new LinkedHashMap<>();
            health.forEach((k, v) -> {
                if (k.equals("plugins")) {
                    out.put("graph", GRAPH_OFF);
                }
                out.put(k, v);
            });
            return out;
        }

        @Override
        public String metrics() {
            Map<JobStatus, Long> byStatus = new EnumMap<>(JobStatus.class);
            host.jobsByStatus().forEach((status, n) -> byStatus.put(JobStatus.fromJsonName(status), n));
            return Metrics.render(byStatus, host.engineStats(), metrics, host.stateHealth(), graphGauges(),
                    host.gauges().getOrDefault("cluster", Map.of()));
        }

        @Override
        public List<String> notReady() {
            return host.notReady();
        }
    }
}
