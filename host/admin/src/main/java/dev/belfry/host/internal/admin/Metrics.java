package dev.belfry.host.internal.admin;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and histograms of the host's runs, kept cheaply as runs end and read when {@code /metrics} is scraped.
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
    final Histogram fireLag = new Histogram(LAG_BOUNDS);
    final Histogram runDuration = new Histogram(DURATION_BOUNDS);

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
    public static String render(java.util.Map<dev.belfry.sidecar.JobStatus, Long> jobsByStatus,
                                dev.belfry.host.internal.engine.EngineStats engine, Metrics runs,
                                dev.belfry.host.internal.state.StateStore.Health writer,
                                java.util.Map<String, Double> graph, java.util.Map<String, Double> cluster) {
        return PrometheusText.render(jobsByStatus, engine, runs, writer, graph, cluster);
    }

    void runFinished(boolean success, boolean timedOut, boolean retry, Duration lag, Duration took) {
        runs.increment();
        if (!success) {
            failures.increment();
        }
        if (timedOut) {
            timeouts.increment();
        }
        if (retry) {
            retries.increment();
        }
        fireLag.record(seconds(lag));
        runDuration.record(seconds(took));
    }

    private static double seconds(Duration d) {
        // Not toNanos(): a run scheduled for 1700 (a valid instant) is late by more than a long of nanoseconds holds.
        return d.isNegative() ? 0 : d.getSeconds() + d.getNano() / 1e9;
    }

    /** A cumulative histogram with fixed bounds. */
    static final class Histogram {
        final double[] bounds;
        final AtomicLongArray counts;
        final LongAdder count = new LongAdder();
        private final java.util.concurrent.atomic.DoubleAdder sum = new java.util.concurrent.atomic.DoubleAdder();

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
