package dev.belfry.bench.host;

import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.engine.EngineStats;
import dev.belfry.host.internal.engine.StateSink;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.quartz.Scheduler;

/**
 * Metric 1: how late fires start at a steady rate, with many jobs registered. Every job is periodic and the jobs'
 * first fires are spread evenly over one period, so fires arrive at {@code jobs / period} per second. A fire's lag
 * is the instant its code starts (read from the system clock, microsecond resolution) minus its scheduled instant.
 */
final class FireLag {
    private final Options options;

    FireLag(Options options) {
        this.options = options;
    }

    /** The outcome of one run. */
    record Result(String name, LagRecorder.Snapshot lag, long expected, long started, double cpuPercent,
                  long gcMillis, long gcCount, String notes) {

        String line() {
            return String.format(Locale.ROOT,
                    "%-34s p50 %8s  p99 %8s  p99.9 %8s  max %8s  min %8s ms | fires %,d of %,d expected (%.1f%%),"
                            + " early %.1f%% | CPU %.0f%% of one core, GC %d ms in %d pauses%s",
                    name, ms(lag.percentile(50)), ms(lag.percentile(99)), ms(lag.percentile(99.9)), ms(lag.max()),
                    ms(lag.min()), started, expected, 100.0 * started / Math.max(1, expected),
                    100.0 * lag.earlyCount() / Math.max(1, lag.count()), cpuPercent, gcMillis, gcCount,
                    notes.isEmpty() ? "" : " | " + notes);
        }
    }

    static String ms(long micros) {
        return String.format(Locale.ROOT, "%.3f", micros / 1000.0);
    }

    /** Belfry's engine with an in-memory sink, or with the real journal store if {@code withSidecar}. */
    Result belfry(boolean withSidecar) throws Exception {
        Clock clock = Clock.systemUTC();
        LagRecorder lag = new LagRecorder();
        LongAdder started = new LongAdder();
        List<PluginJob> jobs = BelfryRig.periodicJobs(options.jobs(), options.period(), context -> {
            Instant now = clock.instant();
            lag.record(Duration.between(context.scheduledFor(), now).toNanos());
            started.increment();
        });
        Path dir = withSidecar ? Files.createTempDirectory("belfry-bench-lag-") : null;
        JournalStore writer = withSidecar
                ? BelfryRig.journalStore(dir, clock)
                : null;
        if (writer != null) {
            writer.start();
        }
        StateSink sink = withSidecar ? writer : new BelfryRig.MemorySink();
        ExecutorService workers = BelfryRig.workers();
        Engine engine = BelfryRig.engine(clock, sink, workers, EngineListener.NONE);
        try {
            engine.attach(BelfryRig.PLUGIN, jobs);
            engine.start();
            return measure(lag, started).finish("Belfry (" + (withSidecar ? "journal store" : "in-memory sink")
                    + ")", () -> {
                        EngineStats stats = engine.stats();
                        String notes = String.format(Locale.ROOT, "engine: skipped %d, missed %d, waiting for"
                                + " worker %d", stats.firesSkipped(), stats.firesMissed(),
                                stats.firesWaitingForWorker());
                        if (writer != null) {
                            StateStore.Health h = writer.health();
                            notes += String.format(Locale.ROOT, "; sidecar: %d commits so far, last took %d ms,"
                                            + " %,d bytes, %,d changes pending", h.commits(),
                                    h.lastCommitTook().toMillis(), h.checkpointBytes(), h.pendingChanges());
                        }
                        return notes;
                    });
        } finally {
            engine.shutdown(Duration.ofSeconds(1));
            workers.shutdownNow();
            if (writer != null) {
                writer.close(Duration.ofSeconds(30));
                Options.deleteTree(dir);
            }
        }
    }

    Result quartz(QuartzRig.Variant variant) throws Exception {
        Clock clock = Clock.systemUTC();
        LagRecorder lag = new LagRecorder();
        LongAdder started = new LongAdder();
        Scheduler scheduler = QuartzRig.scheduler(variant, context -> {
            Instant now = clock.instant();
            long scheduledNanos = context.getScheduledFireTime().getTime() * 1_000_000L;
            lag.record(now.getEpochSecond() * 1_000_000_000L + now.getNano() - scheduledNanos);
            started.increment();
        });
        try {
            // Jobs go in while the scheduler stands by; the first fire is after they are all in and it started.
            QuartzRig.addPeriodicJobs(scheduler, options.jobs(), options.period(), clock.instant().plusSeconds(2));
            scheduler.start();
            return measure(lag, started).finish("Quartz 2.5 RAMJobStore (" + variant.name().toLowerCase() + ")",
                    () -> "");
        } finally {
            scheduler.shutdown(true);
        }
    }

    private Window measure(LagRecorder lag, LongAdder started) throws InterruptedException {
        Thread.sleep(options.warmup().toMillis());
        return new Window(lag, started);
    }

    /** The measured interval: opened after the warm-up, closed after {@code measure}. */
    private final class Window {
        private final LagRecorder lag;
        private final LongAdder started;
        private final long cpu0 = Machine.processCpuNanos();
        private final long[] gc0 = Machine.gcTimeAndCount();
        private final long started0;
        private final long t0;

        Window(LagRecorder lag, LongAdder started) {
            this.lag = lag;
            this.started = started;
            lag.interval(); // discards the warm-up
            this.started0 = started.sum();
            this.t0 = System.nanoTime();
        }

        Result finish(String name, Supplier<String> notes) throws InterruptedException {
            Thread.sleep(options.measure().toMillis());
            LagRecorder.Snapshot snapshot = lag.interval();
            long elapsed = System.nanoTime() - t0;
            long cpu = Machine.processCpuNanos() - cpu0;
            long[] gc = Machine.gcTimeAndCount();
            long expected = Math.round(options.jobs() * (double) elapsed / options.period().toNanos());
            return new Result(name, snapshot, expected, started.sum() - started0, 100.0 * cpu / elapsed,
                    gc[0] - gc0[0], gc[1] - gc0[1], notes.get());
        }
    }
}
