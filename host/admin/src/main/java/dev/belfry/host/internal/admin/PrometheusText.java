package dev.belfry.host.internal.admin;

import dev.belfry.host.internal.engine.EngineStats;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.JobStatus;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Renders the host's metrics in the Prometheus text exposition format (version 0.0.4). */
final class PrometheusText {
    private static final Comparator<Metrics.Labels> BY_PLUGIN_AND_JOB =
            Comparator.comparing(Metrics.Labels::plugin).thenComparing(Metrics.Labels::job);
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
        Map<Metrics.Labels, Metrics.JobSeries> series = new TreeMap<>(BY_PLUGIN_AND_JOB);
        series.putAll(runs.series);
        p.header("belfry_runs_total", "counter", "Runs that ended, by plugin, job and outcome.");
        series.forEach((labels, s) -> {
            for (RunResult.Kind o : RunResult.Kind.values()) {
                p.sample("belfry_runs_total" + labels(labels, "outcome", Metrics.outcomeLabel(o)),
                        s.outcomes.get(o.ordinal()));
            }
        });
        p.header("belfry_run_failures_total", "counter",
                "Runs that failed (timeouts included), by plugin and job.");
        series.forEach((labels, s) -> p.sample("belfry_run_failures_total" + labels(labels), s.failures()));
        p.header("belfry_run_retries_total", "counter", "Runs that were retries of a failed fire, by plugin and job.");
        series.forEach((labels, s) -> p.sample("belfry_run_retries_total" + labels(labels), s.retries.sum()));
        p.header("belfry_run_timeouts_total", "counter", "Runs given up after their timeout, by plugin and job.");
        series.forEach((labels, s) -> p.sample("belfry_run_timeouts_total" + labels(labels),
                s.outcomes.get(RunResult.Kind.TIMED_OUT.ordinal())));
        p.gauge("belfry_runs_executing", "Runs executing now.", engine.runsExecuting());
        p.gauge("belfry_runs_abandoned", "Threads of timed-out runs that have not returned yet.",
                engine.abandonedStillRunning());
        p.gauge("belfry_fires_waiting_for_worker", "Due fires waiting for a free worker.",
                engine.firesWaitingForWorker());
        p.header("belfry_fire_lag_seconds", "histogram",
                "How late runs started after their scheduled instant, by plugin and job.");
        series.forEach((labels, s) -> p.histogram("belfry_fire_lag_seconds", labels, s.fireLag));
        p.header("belfry_run_duration_seconds", "histogram", "How long runs took, by plugin and job.");
        series.forEach((labels, s) -> p.histogram("belfry_run_duration_seconds", labels, s.runDuration));
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

    private void histogram(String name, Metrics.Labels labels, Metrics.Histogram h) {
        // Read once: runs may end while the scrape renders, and the buckets must add up to the count shown.
        long[] counts = new long[h.bounds.length];
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            counts[i] = h.counts.get(i);
            total += counts[i];
        }
        long cumulative = 0;
        for (int i = 0; i < h.bounds.length; i++) {
            cumulative += counts[i];
            sample(name + "_bucket" + labels(labels, "le", format(h.bounds[i])), cumulative);
        }
        long count = Math.max(total, h.count.sum());
        sample(name + "_bucket" + labels(labels, "le", "+Inf"), count);
        sample(name + "_sum" + labels(labels), h.sum());
        sample(name + "_count" + labels(labels), count);
    }

    private static String labels(Metrics.Labels labels) {
        return "{plugin=\"" + escape(labels.plugin()) + "\",belfry_job=\"" + escape(labels.job()) + "\"}";
    }

    private static String labels(Metrics.Labels labels, String name, String value) {
        return "{plugin=\"" + escape(labels.plugin()) + "\",belfry_job=\"" + escape(labels.job()) + "\"," + name + "=\""
                + escape(value) + "\"}";
    }

    /** A label value as the text format wants it: backslash, double quote and line feed escaped. */
    static String escape(String value) {
        StringBuilder b = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%s", v);
    }
}
