package dev.belfry.host.internal.admin;

import dev.belfry.host.internal.engine.EngineStats;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.JobStatus;
import java.util.Locale;
import java.util.Map;

/** Renders the host's metrics in the Prometheus text exposition format (version 0.0.4). */
final class PrometheusText {
    private final StringBuilder out = new StringBuilder(4096);

    private PrometheusText() {
    }

    /**
     * @param jobsByStatus how many jobs are in each status
     * @param engine       the engine's counters
     * @param runs         run counters and histograms
     * @param writer       the state writer's health
     * @param graph        the graph mirror's figures: connected (0/1), queue depth, lag seconds; empty when off
     * @return the exposition text
     */
    static String render(Map<JobStatus, Long> jobsByStatus, EngineStats engine, Metrics runs,
                         StateStore.Health writer, Map<String, Double> graph, Map<String, Double> cluster) {
        PrometheusText p = new PrometheusText();
        p.header("belfry_jobs", "gauge", "Jobs by status.");
        for (JobStatus s : JobStatus.values()) {
            p.sample("belfry_jobs{status=\"" + s.jsonName() + "\"}", jobsByStatus.getOrDefault(s, 0L));
        }
        p.counter("belfry_fires_total", "Runs dispatched to workers.", engine.runsDispatched());
        p.counter("belfry_fires_skipped_total", "Fires skipped because the job was still running.",
                engine.firesSkipped());
        p.counter("belfry_fires_missed_total", "Fires missed (downtime, pause, stall), before the misfire policy.",
                engine.firesMissed());
        p.counter("belfry_runs_total", "Runs that ended.", runs.runs.sum());
        p.counter("belfry_run_failures_total", "Runs that failed (including timeouts and cancellations).",
                runs.failures.sum());
        p.counter("belfry_run_retries_total", "Runs that were retries of a failed fire.", runs.retries.sum());
        p.counter("belfry_run_timeouts_total", "Runs given up after their timeout.", runs.timeouts.sum());
        p.gauge("belfry_runs_executing", "Runs executing now.", engine.runsExecuting());
        p.gauge("belfry_runs_abandoned", "Threads of timed-out runs that have not returned yet.",
                engine.abandonedStillRunning());
        p.gauge("belfry_fires_waiting_for_worker", "Due fires waiting for a free worker.",
                engine.firesWaitingForWorker());
        p.histogram("belfry_fire_lag_seconds", "How late runs started after their scheduled instant.", runs.fireLag);
        p.histogram("belfry_run_duration_seconds", "How long runs took.", runs.runDuration);
        p.counter("belfry_sidecar_commits_total", "Durable commits of job state (journal syncs and recoveries).",
                writer.commits());
        p.counter("belfry_sidecar_commit_failures_total", "Failed commits and checkpoints of job state.",
                writer.failures());
        p.gauge("belfry_sidecar_pending_changes", "State changes not yet durable.", writer.pendingChanges());
        p.gauge("belfry_sidecar_last_commit_seconds", "How long the last durable commit took.",
                writer.lastCommitTook().toNanos() / 1e9);
        p.gauge("belfry_sidecar_bytes", "Size of the state file after the last checkpoint.", writer.checkpointBytes());
        p.counter("belfry_sidecar_checkpoints_total", "Checkpoints (state file rewrites) since start.",
                writer.checkpoints());
        p.gauge("belfry_journal_bytes", "Size of the journal segment being written.", writer.journalBytes());
        p.gauge("belfry_sidecar_healthy", "1 if the last commit of job state succeeded.",
                writer.lastError().isEmpty() ? 1 : 0);
        graph.forEach((name, value) -> p.gauge("belfry_graph_mirror_" + name, "Graph mirror: " + name.replace('_', ' ')
                + ".", value));
        // Cluster mode: ready (1/0), shards firing and held, live hosts, renewal failures, database transactions.
        cluster.forEach((name, value) -> p.gauge("belfry_cluster_" + name, "Cluster: " + name.replace('_', ' ') + ".",
                value));
        return p.out.toString();
    }

    private void header(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private void sample(String series, double value) {
        out.append(series).append(' ').append(format(value)).append('\n');
    }

    private void counter(String name, String help, double value) {
        header(name, "counter", help);
        sample(name, value);
    }

    private void gauge(String name, String help, double value) {
        header(name, "gauge", help);
        sample(name, value);
    }

    private void histogram(String name, String help, Metrics.Histogram h) {
        header(name, "histogram", help);
        long cumulative = 0;
        for (int i = 0; i < h.bounds.length; i++) {
            cumulative += h.counts.get(i);
            sample(name + "_bucket{le=\"" + format(h.bounds[i]) + "\"}", cumulative);
        }
        sample(name + "_bucket{le=\"+Inf\"}", h.count.sum());
        sample(name + "_sum", h.sum());
        sample(name + "_count", h.count.sum());
    }

    private static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%s", v);
    }
}
