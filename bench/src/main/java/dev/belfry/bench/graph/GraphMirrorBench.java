package dev.belfry.bench.graph;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.engine.EngineSettings;
import dev.belfry.host.internal.engine.FireClaim;
import dev.belfry.host.internal.engine.RunExecutor;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.engine.StateSink;
import dev.belfry.host.internal.graph.EmbeddedGraph;
import dev.belfry.host.internal.graph.GraphEndpoint;
import dev.belfry.host.internal.graph.GraphMirror;
import dev.belfry.host.internal.graph.MirrorStatus;
import dev.belfry.host.internal.graph.Neo4jMirror;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.plugins.ScheduleValidator;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The job graph mirror under load, against a real embedded Neo4j: mirror lag at 10k job updates per second, rows
 * written per second, and the engine's fire lag with the mirror on and off. A plain main (a steady rate needs a
 * producer at its own pace, not a JMH hot loop).
 *
 * <p>Run: {@code java -Xms1g -Xmx1g -DBELFRY_LOG_LEVEL=WARN -cp bench/target/benchmarks.jar
 * dev.belfry.bench.graph.GraphMirrorBench [updatesPerSecond=10000] [seconds=30] [firesPerSecond=1000] [pairs=1]}
 * (updatesPerSecond 0 leaves out the mirror-lag part, firesPerSecond 0 the fire-lag comparison; the comparison
 * runs off then on {@code pairs} times, so that a noisy spell of the machine shows as such).
 */
public final class GraphMirrorBench {
    private static final int JOBS = 10_000;
    /** How often the mirror's lag is sampled. */
    private static final Duration SAMPLE_EVERY = Duration.ofMillis(50);

    private GraphMirrorBench() {
    }

    /**
     * @param args optional: updates per second, measured seconds, fires per second for the fire-lag comparison,
     *             off/on pairs
     * @throws Exception if Neo4j cannot start
     */
    public static void main(String[] args) throws Exception {
        int updatesPerSecond = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int firesPerSecond = args.length > 2 ? Integer.parseInt(args[2]) : 1_000;
        int pairs = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        System.out.println(machine());
        String external = System.getProperty("graph.dir");
        if (external != null) {
            // A server in another process (for example `belfry graph-server`, run under `nice`): no shared heap.
            GraphEndpoint endpoint = EmbeddedGraph.readEndpoint(Path.of(external))
                    .orElseThrow(() -> new IllegalArgumentException("no bolt.url and credentials in " + external));
            System.out.printf("Neo4j in another process at %s%n", endpoint.uri());
            measure(endpoint, updatesPerSecond, seconds, firesPerSecond, pairs);
            return;
        }
        Path dir = Files.createTempDirectory("belfry-graph-bench");
        long t0 = System.nanoTime();
        try (EmbeddedGraph graph = EmbeddedGraph.start(dir.resolve("graph"), 0, Optional.empty())) {
            System.out.printf("embedded Neo4j started in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
            measure(graph.endpoint(), updatesPerSecond, seconds, firesPerSecond, pairs);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void measure(GraphEndpoint graph, int updatesPerSecond, int seconds, int firesPerSecond,
                                int pairs) throws InterruptedException {
        if (updatesPerSecond > 0) {
            mirrorLag(graph, updatesPerSecond, seconds);
        }
        for (int i = 0; i < pairs && firesPerSecond > 0; i++) {
            fireLag(graph, firesPerSecond, seconds);
        }
    }

    /** Job updates at a steady rate; the mirror's lag (age of its oldest unwritten change) sampled every 10 ms. */
    private static void mirrorLag(GraphEndpoint graph, int perSecond, int seconds) throws InterruptedException {
        ConcurrentHashMap<QName, JobRecord> state = new ConcurrentHashMap<>();
        for (int i = 0; i < JOBS; i++) {
            QName q = new QName("bench", "job-" + i);
            state.put(q, JobRecord.pending(q, "bench", Schedule.every(Duration.ofMinutes(1)))
                    .withStatus(JobStatus.SCHEDULED).withVersion(1));
        }
        Neo4jMirror mirror = new Neo4jMirror(() -> Optional.of(graph), () -> List.copyOf(state.values()),
                "bench-host", Instant.now(), 50, Clock.systemUTC());
        mirror.start();
        awaitIdle(mirror, Duration.ofMinutes(2));
        System.out.printf("initial resync of %,d jobs done%n", JOBS);

        List<QName> names = new ArrayList<>(state.keySet());
        SplittableRandom random = new SplittableRandom(42);
        Recorder lag = new Recorder(3);
        int[] maxQueue = {0};
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                MirrorStatus s = mirror.status();
                lag.recordValue(s.lag().map(Duration::toMillis).orElse(0L));
                maxQueue[0] = Math.max(maxQueue[0], s.queueDepth());
                try {
                    Thread.sleep(SAMPLE_EVERY.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "lag-sampler");
        long rowsBefore = mirror.status().rowsWritten();
        sampler.start();
        long start = System.nanoTime();
        long sent = 0;
        long end = start + Duration.ofSeconds(seconds).toNanos();
        JobStatus[] statuses = {JobStatus.RUNNING, JobStatus.SCHEDULED, JobStatus.FAILED_RETRYING};
        while (System.nanoTime() < end) {
            long due = (System.nanoTime() - start) * perSecond / 1_000_000_000L;
            for (; sent < due; sent++) {
                QName q = names.get(random.nextInt(names.size()));
                JobRecord next = state.compute(q, (k, r) -> r.withVersion(r.version() + 1)
                        .withStatus(statuses[random.nextInt(statuses.length)]).withRunCount(r.runCount() + 1));
                mirror.jobChanged(next);
            }
            // Updates go out in steps of a millisecond (10 at a time at 10,000/s): a producer spinning between
            // them would take one of the two cores the mirror and Neo4j need.
            LockSupport.parkNanos(1_000_000);
        }
        double producedSeconds = (System.nanoTime() - start) / 1e9;
        Instant drainStart = Instant.now();
        awaitIdle(mirror, Duration.ofMinutes(5));
        Duration drain = Duration.between(drainStart, Instant.now());
        sampler.interrupt();
        sampler.join();
        long rows = mirror.status().rowsWritten() - rowsBefore;
        double elapsed = producedSeconds + drain.toNanos() / 1e9;
        Histogram h = lag.getIntervalHistogram();
        System.out.printf("mirror: %,d updates in %.1f s (%,.0f/s offered) to %,d jobs; coalesced to %,d rows written"
                        + " in %.1f s (%,.0f rows/s); lag p50 %d ms, p99 %d ms, p99.9 %d ms, max %d ms; max queue depth %,d;"
                        + " drained %d ms after the last update%n",
                sent, producedSeconds, sent / producedSeconds, JOBS, rows, elapsed, rows / elapsed,
                h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(),
                maxQueue[0], drain.toMillis());
        mirror.close();
    }

    private static void awaitIdle(GraphMirror mirror, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            MirrorStatus s = mirror.status();
            if (s.connected() && s.lastSyncAt().isPresent() && s.queueDepth() == 0 && s.lag().isEmpty()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("mirror not idle within " + limit + ": " + mirror.status());
    }

    /** The engine firing periodic jobs at a steady rate, its state going nowhere or also to the mirror. */
    private static void fireLag(GraphEndpoint graph, int perSecond, int seconds) throws InterruptedException {
        for (boolean withMirror : new boolean[] {false, true}) {
            Histogram h = fireLagRun(graph, perSecond, seconds, withMirror);
            System.out.printf("fire lag at %,d fires/s, mirror %s: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms"
                            + " (%,d fires)%n", perSecond, withMirror ? "on " : "off",
                    h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                    h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0, h.getTotalCount());
        }
    }

    private static Histogram fireLagRun(GraphEndpoint graph, int perSecond, int seconds, boolean withMirror)
            throws InterruptedException {
        Recorder lag = new Recorder(3);
        ConcurrentHashMap<QName, JobRecord> state = new ConcurrentHashMap<>();
        StateSink memory = new StateSink() {
            @Override
            public long put(JobRecord record) {
                state.put(record.qname(), record);
                return 0;
            }

            @Override
            public long remove(QName qname) {
                state.remove(qname);
                return 0;
            }

            @Override
            public CompletableFuture<Void> durable(long ticket) {
                return CompletableFuture.completedFuture(null);
            }
        };
        GraphMirror mirror = GraphMirror.off();
        if (withMirror) {
            Neo4jMirror m = new Neo4jMirror(() -> Optional.of(graph), () -> List.copyOf(state.values()),
                    "bench-host-fire", Instant.now(), 50, Clock.systemUTC());
            m.start();
            mirror = m;
        }
        GraphMirror runs = mirror;
        int threads = RunExecutor.threadLimitFor(EngineSettings.DEFAULTS.maxConcurrentRuns());
        ExecutorService workers = RunExecutor.workerThreads(threads, RunExecutor.namedThreads());
        Engine engine = new Engine(Clock.systemUTC(), withMirror ? new MirroringSink(memory, mirror) : memory,
                FireClaim.ALWAYS, RunExecutor.pooled(workers, threads), EngineSettings.DEFAULTS, () -> 0.5,
                ScheduleValidator.compiling(),
                new EngineListener() {
                    @Override
                    public void runFinished(RunResult result) {
                        runs.runFinished(result);
                    }
                });
        Clock clock = Clock.systemUTC();
        BackgroundJob body = new BackgroundJob() {
            @Override
            public JobSpec spec() {
                throw new UnsupportedOperationException("specs are given with each job");
            }

            @Override
            public void run(JobContext context) {
                Instant now = clock.instant();
                lag.recordValue(Math.max(0, Duration.between(context.scheduledFor(), now).toNanos() / 1_000));
            }
        };
        int jobs = perSecond; // each fires once a second, spread over the second
        List<PluginJob> list = new ArrayList<>(jobs);
        for (int i = 0; i < jobs; i++) {
            JobSpec spec = JobSpec.builder("j" + i, Schedule.every(Duration.ofSeconds(1), PeriodicMode.FIXED_RATE,
                    Duration.ofNanos(1_000_000_000L * i / jobs + 500_000_000L))).build();
            list.add(new PluginJob(new QName("bench", spec.name()), spec, body));
        }
        engine.attach("bench", list);
        engine.start();
        Thread.sleep(10_000); // warm-up
        lag.getIntervalHistogram();
        Thread.sleep(seconds * 1000L);
        Histogram h = lag.getIntervalHistogram();
        engine.shutdown(Duration.ofSeconds(5));
        workers.shutdownNow();
        mirror.close();
        return h;
    }

    private static String machine() {
        String gcs = ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                .collect(Collectors.joining(", "));
        String cpu = "unknown CPU";
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpu = lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.replaceAll(".*:\\s*", ""))
                    .orElse(cpu);
        } catch (IOException ignored) {
            // not Linux: the CPU model stays unknown
        }
        return String.format("JVM %s %s; GC %s; heap max %d MiB; %d cores (%s)", System.getProperty("java.vm.name"),
                System.getProperty("java.vm.version"), gcs, Runtime.getRuntime().maxMemory() >> 20,
                Runtime.getRuntime().availableProcessors(), cpu);
    }
}
