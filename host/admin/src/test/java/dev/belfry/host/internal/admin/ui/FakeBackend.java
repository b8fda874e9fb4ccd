package dev.belfry.host.internal.admin.ui;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.admin.AdminBackend;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A host for the dashboard's tests: jobs and plugins as the test sets them, actions recorded or refused. */
final class FakeBackend implements AdminBackend {
    final List<JobSnapshot> jobs = new CopyOnWriteArrayList<>();
    final Map<QName, List<RunResult>> runs = new LinkedHashMap<>();
    final List<Map<String, Object>> plugins = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    final List<String> done = new CopyOnWriteArrayList<>();
    /** When set, every job operation is refused with this reason. */
    volatile String refusal;

    static JobRecord job(String qname, Schedule schedule, JobStatus status, Optional<Instant> next) {
        QName q = QName.parse(qname);
        return JobRecord.pending(q, q.namespace(), schedule).withStatus(status).withNextFireAt(next);
    }

    void add(JobRecord record) {
        jobs.add(new JobSnapshot(record, List.of(), Optional.empty()));
    }

    @Override
    public List<JobSnapshot> jobs() {
        return List.copyOf(jobs);
    }

    /** Like a host on its own: the list by name is cut from the names, not from every job. */
    @Override
    public Optional<List<QName>> names() {
        return Optional.of(jobs.stream().map(j -> j.record().qname()).sorted().toList());
    }

    @Override
    public Optional<JobSnapshot> job(QName qname) {
        return jobs.stream().filter(j -> j.record().qname().equals(qname)).findFirst();
    }

    @Override
    public List<RunResult> runs(QName qname) {
        return runs.getOrDefault(qname, List.of());
    }

    private void operate(String what, QName qname) {
        if (job(qname).isEmpty()) {
            throw new JobOperationException(JobOperationException.Reason.NOT_FOUND, "no job named " + qname);
        }
        if (refusal != null) {
            throw new JobOperationException(JobOperationException.Reason.CONFLICT, refusal);
        }
        done.add(what + " " + qname);
    }

    @Override
    public TriggerOutcome trigger(QName qname) {
        operate("trigger", qname);
        return TriggerOutcome.STARTED;
    }

    @Override
    public void pause(QName qname) {
        operate("pause", qname);
    }

    @Override
    public void resume(QName qname) {
        operate("resume", qname);
    }

    @Override
    public void cancel(QName qname) {
        operate("cancel", qname);
    }

    @Override
    public List<Map<String, Object>> plugins() {
        return List.copyOf(plugins);
    }

    @Override
    public PluginSupervisor.ReloadOutcome reload(String pluginId) {
        boolean known = plugins.stream().anyMatch(p -> p.get("id").equals(pluginId));
        if (known) {
            done.add("reload " + pluginId);
        }
        return new PluginSupervisor.ReloadOutcome(known, Optional.ofNullable(known ? refusal : null));
    }

    @Override
    public Map<String, Object> health() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("status", "ok");
        h.put("version", "test");
        h.put("engine", Map.of("jobs", jobs.size(), "runs_executing", 0));
        h.put("sidecar", Map.of("healthy", true, "pending_changes", 0));
        h.put("graph", Map.of("state", "off", "connected", false));
        h.put("plugins", plugins.size());
        h.put("plugin_problems", List.copyOf(problems));
        return h;
    }

    @Override
    public List<String> notReady() {
        return List.of();
    }

    @Override
    public String metrics() {
        return "";
    }
}
