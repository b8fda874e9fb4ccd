package dev.belfry.bench.graph;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.graph.EmbeddedGraph;
import dev.belfry.host.internal.graph.GraphEndpoint;
import dev.belfry.host.internal.graph.MirrorStatus;
import dev.belfry.host.internal.graph.Neo4jMirror;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.RunLogRecords;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the mirror's (re)connection costs with a run history: {@code jobs} jobs with {@code runs} runs each from
 * an earlier life of the host, against an embedded Neo4j 5.26 in the same JVM. Three connections, each a new mirror
 * as after a host restart: into the empty graph, into the graph that now holds the runs, and after one more run per
 * job (what an outage leaves). Prints the time from the mirror's start to the end of its first resync, the CPU time
 * the JVM (mirror, embedded server, GC) spent meanwhile, and the rows the mirror wrote.
 */
public final class GraphResyncBench {
    private static final String HOST = "bench-host";

    private GraphResyncBench() {
    }

    /**
     * @param args optional: jobs (2,000), runs per job (50; 0 measures the jobs alone, without the outage step)
     * @throws Exception if Neo4j cannot start
     */
    public static void main(String[] args) throws Exception {
        int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        System.out.println(machine());
        Path dir = Files.createTempDirectory("belfry-graph-resync-bench");
        try (EmbeddedGraph graph = EmbeddedGraph.start(dir.resolve("graph"), 0, Optional.empty())) {
            List<JobRecord> state = new ArrayList<>();
            Map<QName, List<RunLogRecords.Run>> history = new HashMap<>();
            Instant now = Instant.now();
            Instant earlierLife = now.minus(Duration.ofDays(1));
            for (int i = 0; i < jobs; i++) {
                QName q = new QName("bench", "job-" + i);
                state.add(JobRecord.pending(q, "bench", Schedule.every(Duration.ofMinutes(1)))
                        .withStatus(JobStatus.SCHEDULED).withVersion(1));
                List<RunLogRecords.Run> kept = new ArrayList<>();
                for (int r = runs; r >= 1; r--) {
                    kept.add(run(q, earlierLife, r, now.minus(Duration.ofMinutes(runs + 1 - r))));
                }
                history.put(q, kept);
            }
            connect(graph.endpoint(), state, history, runs, "into the empty graph");
            connect(graph.endpoint(), state, history, runs, "restart, the graph holds the runs");
            connect(graph.endpoint(), state, history, runs, "restart again");
            if (runs == 0) {
                return;
            }
            Instant later = Instant.now();
            history.replaceAll((q, kept) -> {
                List<RunLogRecords.Run> more = new ArrayList<>();
                more.add(run(q, earlierLife, runs + 1L, later));
                more.addAll(kept.subList(0, kept.size() - 1));
                return more;
            });
            connect(graph.endpoint(), state, history, runs, "after one more run per job (an outage)");
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Newest first, as the host's run history gives them. */
    private static RunLogRecords.Run run(QName job, Instant life, long id, Instant finishedAt) {
        Instant started = finishedAt.minusMillis(200);
        return new RunLogRecords.Run(job, life, id, started, started, finishedAt, 1, Optional.empty());
    }

    private static void connect(GraphEndpoint graph, List<JobRecord> state, Map<QName, List<RunLogRecords.Run>> history,
                                int runs, String what) throws InterruptedException {
        long t0 = System.nanoTime();
        long cpu0 = processCpuNanos();
        try (Neo4jMirror mirror = new Neo4jMirror(() -> Optional.of(graph), () -> state,
                q -> history.getOrDefault(q, List.of()), HOST, Instant.now(), runs, Clock.systemUTC())) {
            mirror.start();
            MirrorStatus status = mirror.status();
            while (status.lastSyncAt().isEmpty()) {
                Thread.sleep(5);
                status = mirror.status();
            }
            System.out.printf("%-45s %,8d ms  %,8d ms CPU  %,10d rows%n", what, (System.nanoTime() - t0) / 1_000_000,
                    (processCpuNanos() - cpu0) / 1_000_000, status.rowsWritten());
        }
    }

    /** The whole JVM's CPU time: the mirror's, the embedded server's and the garbage collector's. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
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
