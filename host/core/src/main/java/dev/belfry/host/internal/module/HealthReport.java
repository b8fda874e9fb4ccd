package dev.belfry.host.internal.module;

import dev.belfry.host.internal.engine.EngineStats;
import dev.belfry.host.internal.state.StateStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The host's health as the admin API's {@code /health} and {@code belfry status} show it: its keys and their order
 * are part of that API.
 */
public final class HealthReport {
    private HealthReport() {
    }

    /**
     * @param version  the build version
     * @param engine   the engine's figures
     * @param state    the state store's health; its last error makes the host degraded
     * @param modules  each module's section, by module name, in the order the modules were added
     * @param plugins  how many plugins run
     * @param problems the plugin problems that hold, as lines
     * @return the health
     */
    public static Map<String, Object> of(String version, EngineStats engine, StateStore.Health state,
                                         Map<String, Optional<Map<String, Object>>> modules, int plugins,
                                         List<String> problems) {
        Map<String, Object> engineMap = new LinkedHashMap<>();
        engineMap.put("jobs", engine.jobs());
        engineMap.put("runs_executing", engine.runsExecuting());
        engineMap.put("runs_dispatched", engine.runsDispatched());
        engineMap.put("fires_waiting_for_worker", engine.firesWaitingForWorker());
        engineMap.put("abandoned_runs", engine.abandonedStillRunning());
        Map<String, Object> sidecar = new LinkedHashMap<>();
        sidecar.put("healthy", state.lastError().isEmpty());
        sidecar.put("commits", state.commits());
        sidecar.put("failures", state.failures());
        sidecar.put("pending_changes", state.pendingChanges());
        sidecar.put("last_commit_at", state.lastCommitAt().map(Object::toString).orElse(null));
        sidecar.put("checkpoints", state.checkpoints());
        sidecar.put("checkpoint_bytes", state.checkpointBytes());
        sidecar.put("journal_bytes", state.journalBytes());
        sidecar.put("last_error", state.lastError().orElse(null));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", state.lastError().isEmpty() ? "ok" : "degraded");
        out.put("version", version);
        out.put("engine", engineMap);
        out.put("sidecar", sidecar);
        modules.forEach((name, section) -> section.ifPresent(h -> out.put(name, h)));
        out.put("plugins", plugins);
        out.put("plugin_problems", problems);
        return out;
    }
}
