package dev.belfry.bench.host;

import dev.belfry.api.BackgroundJob;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import javax.management.ObjectName;
import org.quartz.Scheduler;

/**
 * Metric 4: heap retained per registered job, from the live heap (after full collections) at three points: before
 * the jobs exist, once the plugin has made its job objects (an instance per job holding its spec), and once the
 * jobs are registered. The host's own cost is the last step: the engine's slot and timer, the job's name, and the
 * records the engine and the state writer share. The plugin's objects are reported beside it; they exist whatever
 * runs them. A class histogram (the JVM's GC.class_histogram diagnostic command) says what dominates.
 */
final class HeapPerJob {
    private final Options options;

    HeapPerJob(Options options) {
        this.options = options;
    }

    /** Bytes per job, in total and by the classes that grew most. */
    record Result(String name, double bytesPerJob, String notes, List<String> topClasses) {

        String lines() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-34s %6.0f bytes per job%s%n", name,
                    bytesPerJob, notes.isEmpty() ? "" : " (" + notes + ")"));
            for (String c : topClasses) {
                sb.append("    ").append(c).append('\n');
            }
            return sb.toString();
        }
    }

    Result belfry() throws Exception {
        int n = options.jobs();
        Clock clock = Clock.systemUTC();
        Path dir = Files.createTempDirectory("belfry-bench-heap-");
        ExecutorService workers = BelfryRig.workers();
        JournalStore writer = BelfryRig.journalStore(dir, clock);
        writer.start();
        Engine engine = BelfryRig.engine(clock, writer, workers, EngineListener.NONE);
        try {
            long empty = usedAfterGc();
            List<BackgroundJob> pluginObjects = BelfryRig.periodicPluginObjects(n, Duration.ofHours(1), c -> { });
            Map<String, long[]> histBefore = classHistogram();
            long before = usedAfterGc();
            List<PluginJob> jobs = BelfryRig.asRegistered(pluginObjects);
            engine.attach(BelfryRig.PLUGIN, jobs);
            writer.flush().get(); // the writer's snapshot and encoding buffers are gone once this is on disk
            jobs = null; // the host keeps no list of PluginJob wrappers, only what the engine retains
            long after = usedAfterGc();
            Map<String, long[]> histAfter = classHistogram();
            if (engine.stats().jobs() != n || pluginObjects.size() != n) {
                throw new IllegalStateException("expected " + n + " jobs: " + engine.stats());
            }
            double plugin = (before - empty) / (double) n;
            return new Result("Belfry (engine + state writer)", (after - before) / (double) n,
                    String.format(Locale.ROOT, "host's own; the plugin's job instances and specs add %.0f,"
                            + " %.0f in all", plugin, (after - empty) / (double) n),
                    topGrowth(histBefore, histAfter, n));
        } finally {
            engine.shutdown(Duration.ZERO);
            workers.shutdownNow();
            writer.close(Duration.ofSeconds(30));
            Options.deleteTree(dir);
        }
    }

    Result quartz() throws Exception {
        int n = options.jobs();
        Scheduler scheduler = QuartzRig.scheduler(QuartzRig.Variant.DEFAULT, context -> { });
        try {
            Map<String, long[]> histBefore = classHistogram();
            long before = usedAfterGc();
            QuartzRig.addPeriodicJobs(scheduler, n, Duration.ofHours(1), Instant.parse("2030-01-01T00:00:00Z"));
            long after = usedAfterGc();
            Map<String, long[]> histAfter = classHistogram();
            return new Result("Quartz 2.5 RAMJobStore", (after - before) / (double) n,
                    "job details, triggers, keys and maps; one shared job instance", topGrowth(histBefore, histAfter, n));
        } finally {
            scheduler.shutdown(false);
        }
    }

    /** Used heap once repeated full collections stop freeing anything. */
    static long usedAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(50);
            long now = rt.totalMemory() - rt.freeMemory();
            if (Math.abs(used - now) < 64 * 1024) {
                return now;
            }
            used = now;
        }
        return used;
    }

    /** Class name to {instances, bytes}, from the diagnostic command behind {@code jcmd <pid> GC.class_histogram}. */
    private static Map<String, long[]> classHistogram() {
        Map<String, long[]> out = new HashMap<>();
        try {
            String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            for (String line : text.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 4 && f[0].endsWith(":")) {
                    out.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                }
            }
        } catch (Exception e) {
            out.put("(class histogram unavailable: " + e + ")", new long[] {0, 0});
        }
        return out;
    }

    private static List<String> topGrowth(Map<String, long[]> before, Map<String, long[]> after, int n) {
        List<Map.Entry<String, long[]>> grown = new ArrayList<>();
        for (Map.Entry<String, long[]> e : after.entrySet()) {
            long[] b = before.getOrDefault(e.getKey(), new long[2]);
            grown.add(Map.entry(e.getKey(), new long[] {e.getValue()[0] - b[0], e.getValue()[1] - b[1]}));
        }
        grown.sort((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]));
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, long[]> e : grown.subList(0, Math.min(12, grown.size()))) {
            lines.add(String.format(Locale.ROOT, "%6.1f B/job  %5.2f objects/job  %s", e.getValue()[1] / (double) n,
                    e.getValue()[0] / (double) n, e.getKey()));
        }
        return lines;
    }
}
