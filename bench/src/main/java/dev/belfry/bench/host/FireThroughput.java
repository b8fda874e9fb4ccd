package dev.belfry.bench.host;

import dev.belfry.test.SettableClock;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.engine.StateSink;
import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.quartz.Scheduler;

/**
 * Metric 2: how many trivial fires per second a scheduler gets through. A burst of one-shot no-op jobs is made due
 * at one instant; the time runs from the first job's code starting to the last run being finished (Belfry: its
 * {@code runFinished} bookkeeping done; Quartz: its job body returned, which flatters Quartz slightly).
 */
final class FireThroughput {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration QUARTZ_LIMIT = Duration.ofSeconds(90);

    private final Options options;

    FireThroughput(Options options) {
        this.options = options;
    }

    /** Fires per second of each round. */
    record Result(String name, List<Double> perSecond, List<Double> cpuPercent, String notes) {

        double median() {
            List<Double> sorted = new ArrayList<>(perSecond);
            sorted.sort(null);
            return sorted.get(sorted.size() / 2);
        }

        String line() {
            StringBuilder rounds = new StringBuilder();
            for (double r : perSecond) {
                rounds.append(String.format(Locale.ROOT, " %,.0f", r));
            }
            StringBuilder cpu = new StringBuilder();
            for (double c : cpuPercent) {
                cpu.append(String.format(Locale.ROOT, " %.0f%%", c));
            }
            return String.format(Locale.ROOT, "%-34s median %,10.0f fires/s | rounds:%s | CPU of one core:%s%s", name,
                    median(), rounds, cpu, notes.isEmpty() ? "" : " | " + notes);
        }
    }

    /**
     * Rounds of Belfry's engine with an in-memory sink (durable start on, as one-shot jobs have by default: the
     * sink answers at once) or with the real journal store (durable start off).
     */
    Result belfry(boolean withSidecar) throws Exception {
        List<Double> rates = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        for (int round = 0; round < options.rounds(); round++) {
            double[] r = belfryRound(withSidecar, !withSidecar, options.burst());
            rates.add(r[0]);
            cpu.add(r[1]);
        }
        return new Result("Belfry (" + (withSidecar ? "journal store, no durable start" : "in-memory sink") + ")",
                rates, cpu, "burst of " + options.burst() + "; clock stopped at the due instant");
    }

    /**
     * One-shot jobs as they are by default, durable start on, over the real journal store: every run waits for a
     * sync of the journal, so this is bounded by syncs per second times the worker cap.
     */
    Result belfryDurableStart(int burst) throws Exception {
        List<Double> rates = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        for (int round = 0; round < Math.min(3, options.rounds()); round++) {
            double[] r = belfryRound(true, true, burst);
            rates.add(r[0]);
            cpu.add(r[1]);
        }
        return new Result("Belfry (journal store, durable start)", rates, cpu, "burst of " + burst);
    }

    /** @return fires per second and the process's CPU use in percent of one core */
    private double[] belfryRound(boolean withSidecar, boolean durableStart, int n) throws Exception {
        SettableClock clock = SettableClock.at(T0);
        AtomicLong firstStart = new AtomicLong();
        AtomicLong lastEnd = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        EngineListener counter = new EngineListener() {
            private int finished; // called under the engine's lock

            @Override
            public void runFinished(RunResult result) {
                if (++finished == n) {
                    lastEnd.set(System.nanoTime());
                    done.countDown();
                }
            }
        };
        Path dir = withSidecar ? Files.createTempDirectory("belfry-bench-burst-") : null;
        JournalStore writer = withSidecar ? BelfryRig.journalStore(dir, clock) : null;
        if (writer != null) {
            writer.start();
        }
        StateSink sink = withSidecar ? writer : new BelfryRig.MemorySink();
        ExecutorService workers = BelfryRig.workers();
        Engine engine = BelfryRig.engine(clock, sink, workers, counter);
        try {
            Instant due = T0.plusSeconds(1);
            engine.attach(BelfryRig.PLUGIN, BelfryRig.onceJobs(n, due, durableStart, context -> {
                if (firstStart.get() == 0) {
                    firstStart.compareAndSet(0, System.nanoTime());
                }
            }));
            clock.set(due);
            long cpu0 = Machine.processCpuNanos();
            long t0 = System.nanoTime();
            engine.runDue();
            if (!done.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("Belfry did not finish the burst: " + engine.stats());
            }
            if (engine.stats().runsDispatched() != n) {
                throw new IllegalStateException("expected " + n + " runs: " + engine.stats());
            }
            double cpu = 100.0 * (Machine.processCpuNanos() - cpu0) / (System.nanoTime() - t0);
            return new double[] {n * 1e9 / (lastEnd.get() - firstStart.get()), cpu};
        } finally {
            engine.shutdown(Duration.ofSeconds(1));
            workers.shutdownNow();
            if (writer != null) {
                writer.close(Duration.ofSeconds(30));
                Options.deleteTree(dir);
            }
        }
    }

    /** One round of Quartz (it is slower, so fewer rounds keep the whole program short). */
    Result quartz(QuartzRig.Variant variant) throws Exception {
        int n = options.burst();
        AtomicLong firstStart = new AtomicLong();
        AtomicLong finished = new AtomicLong();
        AtomicLong lastEnd = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        Scheduler scheduler = QuartzRig.scheduler(variant, context -> {
            if (firstStart.get() == 0) {
                firstStart.compareAndSet(0, System.nanoTime());
            }
            if (finished.incrementAndGet() == n) {
                lastEnd.set(System.nanoTime());
                done.countDown();
            }
        });
        try {
            QuartzRig.addOnceJobs(scheduler, n, Clock.systemUTC().instant().plusSeconds(1));
            scheduler.start();
            while (firstStart.get() == 0) {
                Thread.sleep(1);
            }
            long cpu0 = Machine.processCpuNanos();
            long t0 = System.nanoTime();
            String notes = "one round; first fire 1 s after the jobs were added";
            boolean finishedInTime = done.await(QUARTZ_LIMIT.toSeconds() + 1, TimeUnit.SECONDS);
            List<Double> cpu = List.of(100.0 * (Machine.processCpuNanos() - cpu0) / (System.nanoTime() - t0));
            if (!finishedInTime) {
                long end = System.nanoTime();
                return new Result("Quartz 2.5 RAMJobStore (" + variant.name().toLowerCase() + ")",
                        List.of(finished.get() * 1e9 / (end - firstStart.get())), cpu,
                        notes + "; stopped after " + QUARTZ_LIMIT.toSeconds() + " s with " + finished.get()
                                + " of " + n + " done");
            }
            return new Result("Quartz 2.5 RAMJobStore (" + variant.name().toLowerCase() + ")",
                    List.of(n * 1e9 / (lastEnd.get() - firstStart.get())), cpu, "burst of " + n + "; " + notes);
        } finally {
            scheduler.shutdown(true);
        }
    }
}
