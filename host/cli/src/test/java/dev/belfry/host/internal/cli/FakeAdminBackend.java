package dev.belfry.host.internal.cli;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.admin.AdminBackend;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A host with nothing to report but its health, for CLI tests against a real {@code AdminServer}. */
final class FakeAdminBackend implements AdminBackend {
    private final String status;
    private final PluginSupervisor.ReloadOutcome reload;
    private final Map<String, Object> cluster;

    /** @param status the health status it reports: ok or degraded */
    FakeAdminBackend(String status) {
        this(status, new PluginSupervisor.ReloadOutcome(false, Optional.empty()));
    }

    /**
     * @param status the health status it reports: ok or degraded
     * @param reload what every plugin reload answers
     */
    FakeAdminBackend(String status, PluginSupervisor.ReloadOutcome reload) {
        this(status, reload, Map.of());
    }

    /**
     * @param status  the health status it reports: ok or degraded
     * @param cluster the health's cluster section, as a host in cluster mode reports it (empty: none)
     */
    FakeAdminBackend(String status, Map<String, Object> cluster) {
        this(status, new PluginSupervisor.ReloadOutcome(false, Optional.empty()), cluster);
    }

    private FakeAdminBackend(String status, PluginSupervisor.ReloadOutcome reload, Map<String, Object> cluster) {
        this.status = status;
        this.reload = reload;
        this.cluster = cluster;
    }

    @Override
    public List<JobSnapshot> jobs() {
        return List.of();
    }

    @Override
    public Optional<JobSnapshot> job(QName qname) {
        return Optional.empty();
    }

    @Override
    public List<RunResult> runs(QName qname) {
        return List.of();
    }

    @Override
    public TriggerOutcome trigger(QName qname) {
        throw new UnsupportedOperationException("not in this test");
    }

    @Override
    public void pause(QName qname) {
        throw new UnsupportedOperationException("not in this test");
    }

    @Override
    public void resume(QName qname) {
        throw new UnsupportedOperationException("not in this test");
    }

    @Override
    public void cancel(QName qname) {
        throw new UnsupportedOperationException("not in this test");
    }

    @Override
    public List<Map<String, Object>> plugins() {
        return List.of();
    }

    @Override
    public PluginSupervisor.ReloadOutcome reload(String pluginId) {
        return reload;
    }

    @Override
    public Map<String, Object> health() {
        Map<String, Object> health = new java.util.LinkedHashMap<>(Map.of("status", status, "version", "test",
                "plugins", 0, "engine", Map.of("jobs", 0, "runs_executing", 0, "fires_waiting_for_worker", 0),
                "sidecar", Map.of("healthy", true, "commits", 1, "checkpoints", 1, "pending_changes", 0),
                "graph", Map.of("state", "off", "detail", "off"),
                "plugin_problems", List.of()));
        if (!cluster.isEmpty()) {
            health.put("cluster", cluster);
        }
        return health;
    }

    @Override
    public java.util.List<String> notReady() {
        return java.util.List.of();
    }

    @Override
    public String metrics() {
        return "";
    }
}
