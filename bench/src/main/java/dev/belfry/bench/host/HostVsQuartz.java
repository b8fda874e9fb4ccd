package dev.belfry.bench.host;

import dev.belfry.host.internal.engine.Engine;
import java.time.Duration;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Belfry's engine against Quartz 2.5 (RAMJobStore) in one JVM on one machine: fire lag at a steady rate, trivial
 * fires per second, sidecar load to armed, heap per job, and group-commit throughput of the state writer. A plain
 * main rather than JMH, because fixed-rate latency needs a scheduler running at its own pace, not a hot loop.
 *
 * <p>Run (about five minutes with the defaults):
 * {@code java -Xms2g -Xmx2g -DBELFRY_LOG_LEVEL=WARN -cp bench/target/benchmarks.jar dev.belfry.bench.host.HostVsQuartz}
 * with optional {@code --only=startup,heap,throughput,commit,lag,durable,recovery}, {@code --jobs=100000},
 * {@code --period-seconds=10}, {@code --warmup-seconds=10}, {@code --measure-seconds=30}, {@code --burst=100000},
 * {@code --rounds=5}, {@code --commit-jobs=10000}, {@code --commit-seconds=10}, {@code --commit-threads=2}, {@code --ack-rate=1000},
 * {@code --ack-seconds=20}, {@code --recovery-records=1000000}, {@code --recovery-dir=DIR} (made once and kept).
 */
public final class HostVsQuartz {
    private HostVsQuartz() {
    }

    /**
     * Runs the selected measurements and prints each number with the JVM, GC and machine it belongs to.
     *
     * @param args {@code --name=value} options, see the class description
     * @throws Exception if a measurement cannot be set up
     */
    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        long started = System.nanoTime();
        System.out.println(Machine.describe());
        System.out.println("Engine INFO logging: " + (LoggerFactory.getLogger(Engine.class).isInfoEnabled()
                ? "on (the engine logs one line per job registered)" : "off"));
        System.out.println("Options: " + options);
        for (String section : options.sections()) {
            HeapPerJob.usedAfterGc(); // each section starts from a collected heap
            long t0 = System.nanoTime();
            switch (section) {
                case "startup" -> startup(options);
                case "heap" -> heap(options);
                case "throughput" -> throughput(options);
                case "commit" -> commit(options);
                case "lag" -> lag(options);
                case "durable" -> durable(options);
                case "recovery" -> recovery(options);
                default -> throw new IllegalStateException("unknown section " + section);
            }
            System.out.printf(Locale.ROOT, "(%s took %.0f s)%n", section, (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf(Locale.ROOT, "%nAll done in %.0f s.%n", (System.nanoTime() - started) / 1e9);
        System.exit(0); // Quartz and worker pools leave daemon threads only, but do not wait for them
    }

    private static void heading(String text) {
        System.out.println();
        System.out.println("== " + text);
    }

    private static void startup(Options options) throws Exception {
        heading(String.format(Locale.ROOT, "3. Sidecar load -> every job armed, %,d jobs (target <= 300 ms)",
                options.jobs()));
        System.out.print(new StartupTime(options).run().lines());
        System.out.println("Quartz: n/a (RAMJobStore keeps nothing across restarts)");
    }

    private static void heap(Options options) throws Exception {
        heading(String.format(Locale.ROOT, "4. Heap per registered job, %,d jobs (target <= 400 B)", options.jobs()));
        HeapPerJob heap = new HeapPerJob(options);
        System.out.print(heap.belfry().lines());
        HeapPerJob.usedAfterGc();
        System.out.print(heap.quartz().lines());
    }

    private static void throughput(Options options) throws Exception {
        heading("2. Trivial fires per second (target >= 200,000/s)");
        FireThroughput throughput = new FireThroughput(options);
        System.out.println(throughput.belfry(false).line());
        System.out.println(throughput.belfry(true).line());
        System.out.println(throughput.belfryDurableStart(Math.min(2_000, options.burst())).line());
        for (QuartzRig.Variant variant : QuartzRig.Variant.values()) {
            HeapPerJob.usedAfterGc();
            System.out.println(throughput.quartz(variant).line());
        }
    }

    private static void commit(Options options) throws Exception {
        heading("5. State updates through the group-commit writer (50 ms commit interval)");
        System.out.print(new GroupCommit(options).run().lines());
    }

    private static void durable(Options options) throws Exception {
        Duration period = options.period();
        heading(String.format(Locale.ROOT, "6. Durable state: %,d periodic jobs every %d s = %,.0f fires/s over the"
                        + " journal store, Quartz RAMJobStore beside it; warm-up %d s, measured %d s (targets: p99 <="
                        + " 0.5 ms, p99.9 <= 2 ms and below Quartz; <= 300 disk bytes per fire; ack p99 <= 2 ms;"
                        + " >= 20,000 durable starts/s)", options.jobs(), period.toSeconds(),
                options.jobs() / (double) period.toSeconds(), options.warmup().toSeconds(),
                options.measure().toSeconds()));
        System.out.print(new DurableState(options).run());
        FireLag lag = new FireLag(options);
        for (QuartzRig.Variant variant : QuartzRig.Variant.values()) {
            HeapPerJob.usedAfterGc();
            System.out.println(lag.quartz(variant).line());
        }
        HeapPerJob.usedAfterGc();
        System.out.println(new FireThroughput(options).belfryDurableStart(options.burst()).line());
    }

    private static void recovery(Options options) throws Exception {
        heading(String.format(Locale.ROOT, "7. Recovery: checkpoint of %,d jobs + %,d journal records ->"
                + " StateLoader.load done (target <= 1 s warm)", options.jobs(), options.recoveryRecords()));
        System.out.print(new Recovery(options).run());
    }

    private static void lag(Options options) throws Exception {
        Duration period = options.period();
        heading(String.format(Locale.ROOT, "1. Fire lag, %,d periodic jobs every %d s = %,.0f fires/s; warm-up %d s,"
                        + " measured %d s each (target: Belfry p99 <= 2 ms and >= 20x lower than Quartz)",
                options.jobs(), period.toSeconds(), options.jobs() / (double) period.toSeconds(),
                options.warmup().toSeconds(), options.measure().toSeconds()));
        FireLag lag = new FireLag(options);
        System.out.println(lag.belfry(false).line());
        HeapPerJob.usedAfterGc();
        System.out.println(lag.belfry(true).line());
        for (QuartzRig.Variant variant : QuartzRig.Variant.values()) {
            HeapPerJob.usedAfterGc();
            System.out.println(lag.quartz(variant).line());
        }
        System.out.println("Quartz keeps fire times in whole milliseconds and may start a fire up to 2 ms early;"
                + " Belfry's clock here has microsecond resolution.");
    }
}
