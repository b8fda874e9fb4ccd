package dev.belfry.bench.host;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.state.RunLog;
import dev.belfry.sidecar.SidecarFileOps;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * What the durable run history costs: disk bytes written per run (appends and compactions, amortized) and heap per
 * run kept, with the real {@link RunLog} and its writer thread in a temporary directory. Jobs fire in turn at
 * {@code --fires} per second of simulated time (so each job's period is jobs / fires seconds); a run takes 0.2 to
 * 5 ms, 1 in 100 fails.
 *
 * <pre>
 * java -Xms2g -Xmx2g -cp bench/target/benchmarks.jar dev.belfry.bench.host.RunLogBytes [--jobs=100000]
 *     [--keep=50] [--rounds=200] [--fires=10000]
 * </pre>
 */
public final class RunLogBytes {
    private RunLogBytes() {
    }

    /**
     * @param args {@code --jobs=N --keep=N --rounds=N --fires=N}
     * @throws Exception if the run log cannot be written
     */
    public static void main(String[] args) throws Exception {
        int jobs = intArg(args, "jobs", 100_000);
        int keep = intArg(args, "keep", 50);
        int rounds = intArg(args, "rounds", 200);
        int fires = intArg(args, "fires", 10_000);
        System.out.println(Machine.describe());
        Path dir = Files.createTempDirectory("belfry-bench-runs-");
        QName[] names = new QName[jobs];
        for (int i = 0; i < jobs; i++) {
            names[i] = QName.of("plugin-" + (i % 20), String.format(Locale.ROOT, "job-%06d", i));
        }
        long heapBefore = usedHeapAfterGc();
        RunLog runs = RunLog.open(dir, SidecarFileOps.nio(), keep, Duration.ofMillis(50), RunLog.Limits.DEFAULT,
                Instant.now());
        runs.start();
        SplittableRandom random = new SplittableRandom(17);
        Instant t0 = Instant.parse("2027-01-04T12:00:00Z");
        long gapNanos = 1_000_000_000L / fires;
        long total = (long) jobs * rounds;
        long started = System.nanoTime();
        for (long k = 0; k < total; k++) {
            Instant scheduled = t0.plusNanos(k * gapNanos);
            Instant fired = scheduled.plusNanos(40_000 + random.nextInt(60_000));
            Instant finished = fired.plusNanos(200_000 + random.nextInt(4_800_000));
            Optional<String> error = random.nextInt(100) == 0
                    ? Optional.of("failed: java.lang.IllegalStateException: upstream answered 503") : Optional.empty();
            runs.add(new RunResult(names[(int) (k % jobs)], k + 1, scheduled, fired, finished, 1, error));
            if (k % 20_000 == 19_999) {
                Thread.sleep(5); // let the writer keep up, as it does at a real pace
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        runs.close(Duration.ofMinutes(1));
        long heapKept = usedHeapAfterGc() - heapBefore;
        long onDisk;
        try (Stream<Path> files = Files.list(dir)) {
            onDisk = files.mapToLong(RunLogBytes::size).sum();
        }
        System.out.printf(Locale.ROOT, "%,d jobs, %d runs kept per job, %,d runs appended in %.1f s%n", jobs, keep,
                total, seconds);
        System.out.printf(Locale.ROOT, "written: %,d bytes for %,d runs (appends and compactions): %.1f bytes per"
                        + " run appended, amortized%n", runs.bytesWritten(), runs.runsWritten(),
                runs.bytesWritten() / (double) total);
        System.out.printf(Locale.ROOT, "on disk at the end: %,d bytes for %,d runs kept: %.1f bytes per run kept%n",
                onDisk, runs.size(), onDisk / (double) runs.size());
        System.out.printf(Locale.ROOT, "heap: %,d bytes for %,d runs kept: %.1f bytes per run kept (the per-job"
                + " map entries included)%n", heapKept, runs.size(), heapKept / (double) runs.size());
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(RunLogBytes::delete);
        }
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private static void delete(Path p) {
        try {
            Files.delete(p);
        } catch (IOException e) {
            System.err.println("could not delete " + p + ": " + e.getMessage());
        }
    }

    private static int intArg(String[] args, String name, int fallback) {
        for (String a : args) {
            if (a.startsWith("--" + name + "=")) {
                return Integer.parseInt(a.substring(name.length() + 3));
            }
        }
        return fallback;
    }
}
