package dev.belfry.bench.host;

import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.host.internal.state.StateLoader;
import dev.belfry.sidecar.SidecarFileOps;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.LoadResult;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;

/**
 * Metric 3: from a sidecar of {@code jobs} records on disk to every job armed, the way the host starts: load the
 * sidecar, start the state writer on it, restore the records into the engine, attach the plugin's jobs. The
 * plugin's job objects are made before the clock starts (in the host they come from starting the plugin).
 */
final class StartupTime {
    private final Options options;

    StartupTime(Options options) {
        this.options = options;
    }

    /**
     * Milliseconds per phase of each round (round 0 runs on a cold JVM), and how many garbage collections ran
     * within it: a young collection copies the jobs just loaded, which is most of a slow round.
     */
    record Round(double loadMs, double restoreMs, double attachMs, long collections) {
        double totalMs() {
            return loadMs + restoreMs + attachMs;
        }
    }

    /** All rounds, and what the sidecar file was like. */
    record Result(List<Round> rounds, long fileBytes, double writeMs, String writerAfterStart) {

        String lines() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "sidecar of %,d bytes, written by SidecarStore.write in %.0f ms; after a start the writer"
                            + " reported: %s%n", fileBytes, writeMs, writerAfterStart));
            for (int i = 0; i < rounds.size(); i++) {
                Round r = rounds.get(i);
                sb.append(String.format(Locale.ROOT, "round %d%s: total %7.1f ms = load %6.1f + writer and"
                                + " restore %6.1f + attach %6.1f; %d GC(s) within%n", i + 1,
                        i == 0 ? " (cold JVM)" : "", r.totalMs(), r.loadMs(), r.restoreMs(), r.attachMs(),
                        r.collections()));
            }
            List<Double> warm = new ArrayList<>();
            rounds.stream().skip(1).forEach(r -> warm.add(r.totalMs()));
            warm.sort(null);
            if (!warm.isEmpty()) {
                sb.append(String.format(Locale.ROOT, "median of the warm rounds: %.1f ms%n",
                        warm.get(warm.size() / 2)));
            }
            return sb.toString();
        }
    }

    Result run() throws Exception {
        Clock clock = Clock.systemUTC();
        int n = options.jobs();
        List<PluginJob> provided = BelfryRig.periodicJobs(n, Duration.ofHours(1), context -> { });
        SidecarDocument original = SidecarDocument.of(clock.instant(), BelfryRig.pendingRecords(provided));
        Path dir = Files.createTempDirectory("belfry-bench-startup-");
        try {
            SidecarStore store = new SidecarStore(dir, clock);
            long w0 = System.nanoTime();
            store.write(original);
            double writeMs = (System.nanoTime() - w0) / 1e6;
            long bytes = Files.size(store.file());
            List<Round> rounds = new ArrayList<>();
            String writerAfterStart = "";
            for (int i = 0; i < options.rounds(); i++) {
                store.write(original); // the previous round's writer saved the jobs as armed: start from pending
                // A host starts on a heap without a previous host's 100,000 jobs to collect: the earlier rounds'
                // engines are collected now, not in the middle of this round's load.
                System.gc();
                ExecutorService workers = BelfryRig.workers();
                JournalStore writer = null;
                Engine engine = null;
                try {
                    long gc0 = collections();
                    long t0 = System.nanoTime();
                    StateLoader.Loaded loaded = StateLoader.load(dir, SidecarFileOps.nio(), clock,
                            Duration.ofMillis(50), JournalStore.Limits.DEFAULT, false);
                    long t1 = System.nanoTime();
                    writer = loaded.store();
                    writer.start();
                    engine = BelfryRig.engine(clock, writer, workers, EngineListener.NONE);
                    engine.restore(loaded.state().jobs());
                    long t2 = System.nanoTime();
                    engine.attach(BelfryRig.PLUGIN, provided);
                    long t3 = System.nanoTime();
                    rounds.add(new Round((t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6,
                            collections() - gc0));
                    if (i == 0) {
                        checkAllArmed(engine, n);
                        writer.flush().get();
                        writerAfterStart = describe(writer.health());
                    }
                } finally {
                    if (engine != null) {
                        engine.shutdown(Duration.ZERO);
                    }
                    workers.shutdownNow();
                    if (writer != null) {
                        writer.close(Duration.ofSeconds(30));
                    }
                }
            }
            return new Result(rounds, bytes, writeMs, writerAfterStart);
        } finally {
            Options.deleteTree(dir);
        }
    }

    private static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    static String describe(StateStore.Health h) {
        return String.format(Locale.ROOT, "%d commit(s), the last of %,d bytes took %d ms", h.commits(),
                h.checkpointBytes(), h.lastCommitTook().toMillis());
    }

    private static void checkAllArmed(Engine engine, int n) {
        long scheduled = engine.jobs().stream().map(JobSnapshot::record)
                .filter(r -> r.status() == JobStatus.SCHEDULED && r.nextFireAt().isPresent()).count();
        if (scheduled != n || engine.nextDue().isEmpty()) {
            throw new IllegalStateException("expected " + n + " armed jobs, found " + scheduled);
        }
    }
}
