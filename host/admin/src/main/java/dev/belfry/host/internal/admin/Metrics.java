package dev.belfry.host.internal.admin;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.module.JobLabels;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and histograms of the host's runs, kept cheaply as runs end and read when {@code /metrics} is scraped.
 * Each job has its own series, labelled with its plugin and its name, up to a limit of jobs ({@link JobLabels}): a
 * host with more jobs counts the runs of the rest per plugin under the job label {@code _other}, so that the number
 * of series never grows with the number of jobs beyond that (a scrape of 100,000 jobs' histograms is megabytes).
 * Histograms use fixed bucket bounds in seconds, as Prometheus expects them.
 */
public final class Metrics {
    /** Fire-lag bucket bounds, seconds: how late a run started compared to its scheduled instant. */
    static final double[] LAG_BOUNDS = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300};
    /** Run-duration bucket bounds, seconds. */
    static final double[] DURATION_BOUNDS = {0.001, 0.01, 0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600};

    final LongAdder runs = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder retries = new LongAdder();
    /** Series by (plugin, job); bounded by the job label limit plus one per plugin. */
    final Map<Labels, JobSeries> series = new ConcurrentHashMap<>();
    private final JobLabels jobLabels;

    /** @param jobLabelLimit how many jobs get series of their own (0: per plugin only) */
    public Metrics(int jobLabelLimit) {
        this.jobLabels = new JobLabels(jobLabelLimit);
    }

    /** With the default job label limit. */
    public Metrics() {
        this(JobLabels.DEFAULT_LIMIT);
    }

    /**
     * Renders every metric in the Prometheus text format.
     *
     * @param jobsByStatus jobs per status
     * @param engine       the engine's counters
     * @param runs         the run metrics
     * @param writer       the state writer's health
     * @param graph        graph mirror gauges by name; empty when the mirror is off
     * @param cluster      cluster gauges by name (ready, shards, hosts, transactions); empty on a host alone
     * @return the exposition text
     */
    public static String render(Map<dev.belfry.sidecar.JobStatus, Long> jobsByStatus,
                                dev.belfry.host.internal.engine.EngineStats engine, Metrics runs,
                                dev.belfry.host.internal.state.StateStore.Health writer,
                                Map<String, Double> graph, Map<String, Double> cluster) {
        return PrometheusText.render(jobsByStatus, engine, runs, writer, graph, cluster);
    }

    /**
     * @param kind how a run ended
     * @return its {@code outcome} label: succeeded, failed, timed_out or cancelled
     */
    public static String outcomeLabel(RunResult.Kind kind) {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }

    void runFinished(QName job, RunResult.Kind outcome, boolean retry, Duration lag, Duration took) {
        runs.increment();
        if (outcome == RunResult.Kind.FAILED || outcome == RunResult.Kind.TIMED_OUT) {
            failures.increment();
        }
        if (outcome == RunResult.Kind.TIMED_OUT) {
            timeouts.increment();
        }
        if (retry) {
            retries.increment();
        }
        JobSeries s = seriesOf(job);
        s.outcomes.incrementAndGet(outcome.ordinal());
        if (retry) {
            s.retries.increment();
        }
        s.fireLag.record(seconds(lag));
        s.runDuration.record(seconds(took));
    }

    private JobSeries seriesOf(QName job) {
        return series.computeIfAbsent(new Labels(JobLabels.pluginOf(job), jobLabels.of(job)), l -> new JobSeries());
    }

    private static double seconds(Duration d) {
        // Not toNanos(): a run scheduled for 1700 (a valid instant) is late by more than a long of nanoseconds holds.
        return d.isNegative() ? 0 : d.getSeconds() + d.getNano() / 1e9;
    }

    /** A series' labels: the job's plugin (its namespace) and the job, or {@code _other}. */
    record Labels(String plugin, String job) {
    }

    /** One job's (or one plugin's other jobs') runs. */
    static final class JobSeries {
        final AtomicLongArray outcomes = new AtomicLongArray(RunResult.Kind.values().length);
        final LongAdder retries = new LongAdder();
        final Histogram fireLag = new Histogram(LAG_BOUNDS);
        final Histogram runDuration = new Histogram(DURATION_BOUNDS);

        long failures() {
            return outcomes.get(RunResult.Kind.FAILED.ordinal()) + outcomes.get(RunResult.Kind.TIMED_OUT.ordinal());
        }
    }

    /** A cumulative histogram with fixed bounds. */
    static final class Histogram {
        final double[] bounds;
        final AtomicLongArray counts;
        final LongAdder count = new LongAdder();
        private final DoubleAdder sum = new DoubleAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new AtomicLongArray(bounds.length);
        }

        void record(double value) {
            for (int i = 0; i < bounds.length; i++) {
                if (value <= bounds[i]) {
                    counts.incrementAndGet(i);
                    break;
                }
            }
            count.increment();
            sum.add(value);
        }

        double sum() {
            return sum.sum();
        }
    }
}
