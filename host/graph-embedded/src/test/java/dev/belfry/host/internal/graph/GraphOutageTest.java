package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.module.PluginNode;
import static dev.belfry.host.internal.graph.TestJobs.T0;
import static dev.belfry.host.internal.graph.TestJobs.job;
import static dev.belfry.host.internal.graph.TestJobs.run;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Neo4j goes away in the middle of a stream of changes and comes back on the same folder and port. Self-contained:
 * it restarts the shared server and leaves it running.
 */
class GraphOutageTest {
    private static final Instant STARTED = Instant.parse("2026-11-23T03:00:00Z");
    private static final int JOBS = 50;
    private static final int RUNS_PER_JOB = 5;
    /** Far below anything that waits on I/O (the driver's timeouts are seconds), far above a GC pause. */
    private static final Duration NOT_BLOCKED = Duration.ofMillis(500);

    /** The injected outage is logged at WARN: asserted below, kept off the console. */
    @RegisterExtension
    final LogCapture mirrorLog = LogCapture.of(Neo4jMirror.class);

    private final GraphTestServer server = GraphTestServer.get();
    private final TestJobs.Sidecar sidecar = new TestJobs.Sidecar();
    private final ExecutorService admin = Executors.newSingleThreadExecutor();
    private Neo4jMirror mirror;
    private long slowestCallNanos;
    private long nextRunId = 1;

    @AfterEach
    void tearDown() {
        if (mirror != null) {
            mirror.close();
        }
        admin.shutdownNow();
        server.start(); // leave the shared server running, whatever happened
    }

    @Test
    void shouldNeverBlockCallersAndConvergeToTheSidecarWhenNeo4jComesBack() throws Exception {
        server.wipe();
        for (int i = 0; i < JOBS; i++) {
            sidecar.put(job("outage.j" + i, 1));
        }
        mirror = new Neo4jMirror(() -> Optional.of(server.endpoint()), sidecar::snapshot, "outage-host", STARTED,
                RUNS_PER_JOB, Clock.systemUTC(), Duration.ofMillis(100), Duration.ofSeconds(1), 10_000);
        mirror.start();
        mirror.pluginsChanged(List.of(new PluginNode("outage", "1", "started", List.of())));
        Poll.until(() -> assertThat(graphVersions()).isEqualTo(sidecarVersions()));

        long round = 2;
        Future<?> stopping = admin.submit(server::stop);
        while (!stopping.isDone()) {
            churn(round++);
        }
        stopping.get();
        Poll.until(() -> {
            churn(0);
            MirrorStatus status = mirror.status();
            assertThat(status.connected()).isFalse();
            assertThat(status.lastError()).isPresent();
        });
        for (int i = 0; i < 20; i++) {
            churn(round++);
        }
        MirrorStatus down = mirror.status();
        assertThat(down.queueDepth()).isGreaterThan(0);
        assertThat(down.lag()).isPresent();

        Future<?> starting = admin.submit(server::start);
        while (!starting.isDone()) {
            churn(round++);
        }
        starting.get();
        for (int i = 0; i < 5; i++) {
            churn(round++);
        }

        Poll.until(Duration.ofSeconds(60), () -> assertThat(graphVersions()).isEqualTo(sidecarVersions()));
        long lastRun = nextRunId - 1;
        Poll.until(() -> assertThat(server.query("MATCH (:_BackgroundJob {qname: 'outage.j0'})-[:RAN]->(r)"
                        + " RETURN r.run_id AS id ORDER BY r.started_at DESC").stream()
                .map(r -> r.get(0).asString()).toList())
                .as("runs finished during the outage are kept and trimmed")
                .containsExactly(expectedRunIds(lastRun, RUNS_PER_JOB)));
        Poll.until(() -> {
            MirrorStatus status = mirror.status();
            assertThat(status.connected()).isTrue();
            assertThat(status.lastError()).isEmpty();
            assertThat(status.queueDepth()).isZero();
        });
        assertThat(mirror.outageWarnings()).as("one warning for the whole outage").isEqualTo(1);
        assertThat(mirrorLog.matching(Level.WARN, "graph mirror cannot write to Neo4j")).hasSize(1);
        assertThat(mirror.runsDropped()).isZero();
        assertThat(Duration.ofNanos(slowestCallNanos)).as("slowest call into the mirror").isLessThan(NOT_BLOCKED);
    }

    /** One round of changes as a busy host makes them: every job moves on, one leaves, one arrives, runs end. */
    private void churn(long round) {
        if (round == 0) {
            timed(() -> mirror.status());
            return;
        }
        for (JobRecord r : sidecar.snapshot()) {
            JobRecord next = r.withVersion(r.version() + 1)
                    .withStatus(round % 2 == 0 ? JobStatus.RUNNING : JobStatus.SCHEDULED).withRunCount(round);
            sidecar.put(next);
            timed(() -> mirror.jobChanged(next));
        }
        String leaving = "outage.j" + (round % JOBS);
        if (!leaving.equals("outage.j0")) {
            sidecar.remove(leaving);
            timed(() -> mirror.jobRemoved(QName.parse(leaving)));
        }
        JobRecord arriving = sidecar.put(job("outage.n" + round, 0));
        timed(() -> mirror.jobChanged(arriving));
        long id = nextRunId++;
        timed(() -> mirror.runFinished(run("outage.j0", id, T0.plusSeconds(id), Optional.empty())));
        timed(() -> mirror.pluginsChanged(List.of(new PluginNode("outage", "1", "started", List.of()))));
    }

    private void timed(Runnable call) {
        long start = System.nanoTime();
        call.run();
        slowestCallNanos = Math.max(slowestCallNanos, System.nanoTime() - start);
    }

    private Map<String, Long> sidecarVersions() {
        return sidecar.snapshot().stream().collect(Collectors.toMap(r -> r.qname().toString(), JobRecord::version,
                (a, b) -> a, TreeMap::new));
    }

    private Map<String, Long> graphVersions() {
        return server.query("MATCH (j:_BackgroundJob) RETURN j.qname AS q, j.version AS v").stream()
                .collect(Collectors.toMap(r -> r.get("q").asString(), r -> r.get("v").asLong(), (a, b) -> a,
                        TreeMap::new));
    }

    private static String[] expectedRunIds(long last, int count) {
        return java.util.stream.LongStream.iterate(last, id -> id - 1).limit(Math.min(count, last))
                .mapToObj(id -> "outage-host/" + STARTED.toEpochMilli() + "/" + id).toArray(String[]::new);
    }
}
