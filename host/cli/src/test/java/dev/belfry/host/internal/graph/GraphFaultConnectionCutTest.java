package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.module.PluginNode;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.graph.GraphFaultProxy.Cut;
import dev.belfry.host.reliability.Depth;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.neo4j.driver.Record;

/**
 * The mirror's connections are cut, again and again, while it is busy: at random moments, in the middle of a
 * transaction, and right after a commit before the mirror hears of it (so the driver, or the mirror after a
 * reconnection, writes the same batch again). A loopback proxy written for this test sits between the mirror and
 * the shared server. Afterwards the graph must hold no node or relationship twice and must match the state.
 */
class GraphFaultConnectionCutTest {
    private static final Instant STARTED = Instant.parse("2026-11-23T05:00:00Z");
    private static final Instant T0 = Instant.parse("2026-11-23T06:00:00Z");
    private static final String HOST = "cut-host";
    private static final int PLUGINS = 6;
    private static final int JOBS_PER_PLUGIN = 20;
    private static final int RUNS_PER_JOB = 5;
    private static final int CUTS = Depth.pick(15, 90);
    /** Changes handed to the mirror per 10 ms: up to 1,000 a second, a quarter of them runs. */
    private static final int CHANGES_PER_TICK = 10;
    /**
     * The hammer waits while more changes than this wait in the mirror: on two shared cores Neo4j commits about once
     * a second, and a backlog beyond the run queue's capacity would drop runs by design (best-effort history), which
     * would hide a run lost to a cut.
     */
    private static final int BACKLOG_LIMIT = Neo4jMirror.RUN_CAPACITY / 2;
    private static final Duration SETTLE = Duration.ofSeconds(30);
    /** A plugin id that jobs never name and the host never has: a dependency that stays missing. */
    private static final String MISSING = "cut-missing";

    /** The injected outage is logged at WARN: asserted below, kept off the console. */
    @RegisterExtension
    final LogCapture mirrorLog = LogCapture.of(Neo4jMirror.class);

    private final GraphTestServer server = GraphTestServer.get();
    private final TestJobs.Sidecar sidecar = new TestJobs.Sidecar();
    private GraphFaultProxy proxy;
    private Neo4jMirror mirror;
    private Thread hammer;
    private final AtomicBoolean hammering = new AtomicBoolean(true);

    // Written by the hammer thread only; read after it has been joined.
    private final Map<String, String> runJob = new HashMap<>();         // run id -> job qname
    private final Map<String, String> latestRun = new HashMap<>();      // job -> its newest run since it was added
    private final Set<String> removed = new TreeSet<>();
    private List<PluginNode> pluginList = List.of();
    private long nextRunId = 1;
    private long changes;
    private long heldBackTicks;
    private volatile Throwable hammerFailure;

    @AfterEach
    void tearDown() throws Exception {
        hammering.set(false);
        if (hammer != null) {
            hammer.join(5_000);
        }
        if (mirror != null) {
            mirror.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void shouldWriteNothingTwiceAndConvergeWhenConnectionsAreCutMidTransactionAndAfterCommit() throws Exception {
        long seed = Depth.seed();
        server.wipe();
        GraphEndpoint ep = server.endpoint();
        proxy = new GraphFaultProxy(ep.uri());
        GraphEndpoint viaProxy = new GraphEndpoint(proxy.uri(), ep.user(), ep.password());
        for (int p = 0; p < PLUGINS; p++) {
            for (int j = 0; j < JOBS_PER_PLUGIN; j++) {
                sidecar.put(job(plugin(p) + ".j" + j, 1));
            }
        }
        mirror = new Neo4jMirror(() -> Optional.of(viaProxy), sidecar::snapshot, HOST, STARTED, RUNS_PER_JOB,
                Clock.systemUTC(), Duration.ofMillis(50), Duration.ofMillis(500), Neo4jMirror.RUN_CAPACITY);
        Random hammerRandom = new Random(seed + 1);
        pluginList = plugins(hammerRandom);
        mirror.start();
        mirror.pluginsChanged(pluginList);
        Poll.until(this::assertGraphMatchesState);

        hammer = new Thread(() -> hammer(hammerRandom), "graph-fault-hammer");
        hammer.start();
        Random random = new Random(seed);
        List<Cut> kinds = new ArrayList<>();
        for (int i = 0; i < CUTS; i++) {
            kinds.add(Cut.values()[i % Cut.values().length]);
        }
        Collections.shuffle(kinds, random);
        Map<Cut, Integer> requested = new EnumMap<>(Cut.class);
        int duplicatesSeenWhileCutting = 0;
        long cutting = System.nanoTime();
        for (Cut kind : kinds) {
            Thread.sleep(100 + random.nextInt(700)); // a seeded moment
            requested.merge(kind, 1, Integer::sum);
            if (kind == Cut.NOW) {
                proxy.cutNow();
            } else {
                proxy.arm(kind);
                Poll.until(Duration.ofSeconds(20), () -> assertThat(proxy.armed()).as("%s cut landed", kind).isFalse());
            }
            duplicatesSeenWhileCutting += duplicates().values().stream().mapToLong(Long::longValue).sum();
        }
        Duration cutFor = Duration.ofNanos(System.nanoTime() - cutting);
        hammering.set(false);
        hammer.join(10_000);
        assertThat(hammerFailure).isNull();
        // A last plugin list after every job change: the plugins' dependencies can then all be linked.
        pluginList = plugins(hammerRandom);
        mirror.pluginsChanged(pluginList);

        long settling = System.nanoTime();
        Poll.until(SETTLE, () -> {
            MirrorStatus status = mirror.status();
            assertThat(status.connected()).isTrue();
            assertThat(status.queueDepth()).isZero();
            assertGraphMatchesState();
        });
        Duration settled = Duration.ofNanos(System.nanoTime() - settling);
        Map<String, Long> duplicates = duplicates();
        long nodes = server.query("MATCH (n) RETURN count(n) AS n").get(0).get("n").asLong();
        long relationships = server.query("MATCH ()-[r]->() RETURN count(r) AS n").get(0).get("n").asLong();
        System.out.printf("GraphFaultConnectionCutTest: seed %d; %d cuts in %.1f s (landed %s, %d connections"
                        + " reset, %d opened), %d changes handed over (%d runs, %d dropped; held back %.1f s for"
                        + " the backlog), %d commits through the"
                        + " proxy, %d outages logged; settled %.1f s after the last cut; %d nodes and %d"
                        + " relationships; duplicates %s while cutting, %d at the end %s%n",
                seed, CUTS, cutFor.toMillis() / 1e3, proxy.cuts(), proxy.connectionsCut(), proxy.connections(),
                changes, nextRunId - 1, mirror.runsDropped(), heldBackTicks / 100.0, proxy.commits(),
                mirror.outageWarnings(),
                settled.toMillis() / 1e3, nodes, relationships, duplicatesSeenWhileCutting,
                duplicates.values().stream().mapToLong(Long::longValue).sum(), duplicates);

        assertThat(proxy.cuts()).as("cuts landed (seed %d)", seed).isEqualTo(requested);
        assertThat(proxy.commits()).isPositive();
        assertThat(duplicatesSeenWhileCutting).as("duplicates while cutting (seed %d)", seed).isZero();
        assertThat(duplicates).as("duplicates at the end (seed %d)", seed).allSatisfy((what, n) -> assertThat(n)
                .as(what).isZero());
        assertThat(mirror.runsDropped()).isZero();
        assertThat(mirrorLog.matching(Level.WARN, "graph mirror cannot write to Neo4j")).as("outages logged")
                .hasSize(mirror.outageWarnings());
    }

    // ---------------------------------------------------------------- the load

    /** Changes as a busy host makes them: jobs move on, leave and come back, runs end, plugins change. */
    private void hammer(Random random) {
        try {
            while (hammering.get()) {
                if (mirror.status().queueDepth() > BACKLOG_LIMIT) {
                    heldBackTicks++;
                    Thread.sleep(10);
                    continue;
                }
                for (int i = 0; i < CHANGES_PER_TICK; i++) {
                    change(random);
                    changes++;
                }
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | AssertionError e) {
            hammerFailure = e;
        }
    }

    private void change(Random random) {
        List<JobRecord> jobs = sidecar.snapshot();
        int dice = random.nextInt(100);
        if (dice < 65 && !jobs.isEmpty()) {
            JobRecord r = jobs.get(random.nextInt(jobs.size()));
            JobRecord next = r.withVersion(r.version() + 1).withRunCount(r.runCount() + 1)
                    .withStatus(random.nextBoolean() ? JobStatus.RUNNING : JobStatus.SCHEDULED);
            sidecar.put(next);
            mirror.jobChanged(next);
        } else if (dice < 70 && jobs.size() > PLUGINS * JOBS_PER_PLUGIN / 2) {
            String q = jobs.get(random.nextInt(jobs.size())).qname().toString();
            sidecar.remove(q);
            removed.add(q);
            latestRun.remove(q);
            mirror.jobRemoved(QName.parse(q));
        } else if (dice < 75 && !removed.isEmpty()) {
            // Back after a removal: its versions start again, below what the graph may still hold.
            String q = new ArrayList<>(removed).get(random.nextInt(removed.size()));
            removed.remove(q);
            JobRecord back = sidecar.put(job(q, 0));
            mirror.jobChanged(back);
        } else if (dice < 98 && !jobs.isEmpty()) {
            String q = jobs.get(random.nextInt(jobs.size())).qname().toString();
            long id = nextRunId++;
            Instant fired = T0.plusSeconds(id);
            String runId = GraphRows.runPrefix(HOST, STARTED) + id;
            runJob.put(runId, q);
            latestRun.put(q, runId);
            Optional<String> error = random.nextInt(10) == 0 ? Optional.of("failed with \"quotes\" and 'ticks' } {")
                    : Optional.empty();
            mirror.runFinished(new RunResult(QName.parse(q), id, fired, fired, fired.plusMillis(random.nextInt(500)),
                    1, error));
        } else {
            pluginList = plugins(random);
            mirror.pluginsChanged(pluginList);
        }
    }

    /** A plugin list: most of the plugins, in varying states, with varying dependencies (one never present). */
    private static List<PluginNode> plugins(Random random) {
        List<PluginNode> out = new ArrayList<>();
        String[] states = {"started", "failed", "waiting"};
        for (int p = 0; p < PLUGINS; p++) {
            if (random.nextInt(5) == 0) {
                continue;
            }
            List<String> deps = new ArrayList<>();
            for (int d = 0; d < PLUGINS; d++) {
                if (d != p && random.nextInt(3) == 0) {
                    deps.add(plugin(d));
                }
            }
            if (random.nextInt(4) == 0) {
                deps.add(MISSING);
            }
            out.add(new PluginNode(plugin(p), "1." + random.nextInt(5), states[random.nextInt(states.length)], deps));
        }
        return out;
    }

    private static String plugin(int p) {
        return "cut-p" + p;
    }

    private static JobRecord job(String qname, long version) {
        QName q = QName.parse(qname);
        return JobRecord.pending(q, q.namespace(), Schedule.every(Duration.ofSeconds(10)))
                .withStatus(JobStatus.SCHEDULED).withNextFireAt(Optional.of(T0)).withVersion(version);
    }

    // ---------------------------------------------------------------- what the graph must be

    /** @return how many keys or pairs occur more than once, by what was counted */
    private Map<String, Long> duplicates() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String[] node : new String[][] {{"_BackgroundJob", "qname"}, {"_JobRun", "run_id"}, {"_Plugin", "id"},
                {"_Host", "id"}}) {
            out.put(node[0] + " per " + node[1], count("MATCH (n:" + node[0] + ") WITH n." + node[1] + " AS k,"
                    + " count(*) AS c WHERE c > 1 RETURN count(k) AS n"));
        }
        for (String type : List.of("CONTRIBUTES", "HOSTS", "RAN", "DEPENDS_ON")) {
            out.put(type + " per pair", count("MATCH (a)-[r:" + type + "]->(b) WITH a, b, count(r) AS c"
                    + " WHERE c > 1 RETURN count(*) AS n"));
        }
        return out;
    }

    private long count(String cypher) {
        return server.query(cypher).get(0).get("n").asLong();
    }

    /** The graph shows the state exactly: jobs and versions, their plugins, the host's plugins, and the runs. */
    private void assertGraphMatchesState() {
        List<JobRecord> state = sidecar.snapshot();
        Map<String, Long> versions = state.stream().collect(Collectors.toMap(r -> r.qname().toString(),
                JobRecord::version, (a, b) -> a, TreeMap::new));
        Map<String, Long> graphVersions = new TreeMap<>();
        Map<String, List<String>> contributors = new TreeMap<>();
        for (Record r : server.query("MATCH (j:_BackgroundJob) OPTIONAL MATCH (p:_Plugin)-[:CONTRIBUTES]->(j)"
                + " RETURN j.qname AS q, j.version AS v, collect(p.id) AS ps")) {
            graphVersions.put(r.get("q").asString(), r.get("v").asLong());
            contributors.put(r.get("q").asString(), r.get("ps").asList(v -> v.asString()));
        }
        assertThat(graphVersions).as("jobs and versions").isEqualTo(versions);
        assertThat(contributors).as("each job's plugins").isEqualTo(state.stream().collect(Collectors.toMap(
                r -> r.qname().toString(), r -> List.of(r.pluginId()), (a, b) -> a, TreeMap::new)));

        Set<String> listed = pluginList.stream().map(PluginNode::id).collect(Collectors.toSet());
        Set<String> expectedPlugins = new TreeSet<>(listed);
        state.forEach(r -> expectedPlugins.add(r.pluginId()));
        Map<String, Record> graphPlugins = new TreeMap<>();
        server.query("MATCH (p:_Plugin) OPTIONAL MATCH (h:_Host)-[:HOSTS]->(p)"
                        + " OPTIONAL MATCH (p)-[:DEPENDS_ON]->(d:_Plugin)"
                        + " RETURN p.id AS id, p.version AS version, p.state AS state, p.depends_on AS dependsOn,"
                        + " collect(DISTINCT h.id) AS hosts, collect(DISTINCT d.id) AS deps")
                .forEach(r -> graphPlugins.put(r.get("id").asString(), r));
        assertThat(graphPlugins.keySet()).as("plugins").isEqualTo(expectedPlugins);
        for (PluginNode p : pluginList) {
            Record r = graphPlugins.get(p.id());
            assertThat(r.get("version").asString()).as("%s version", p.id()).isEqualTo(p.version());
            assertThat(r.get("state").asString()).as("%s state", p.id()).isEqualTo(p.state());
            assertThat(r.get("dependsOn").asList(v -> v.asString())).as("%s depends_on", p.id())
                    .isEqualTo(p.dependsOn());
            assertThat(r.get("hosts").asList(v -> v.asString())).as("%s hosted", p.id()).containsExactly(HOST);
            assertThat(new TreeSet<>(r.get("deps").asList(v -> v.asString()))).as("%s DEPENDS_ON", p.id())
                    .isEqualTo(p.dependsOn().stream().filter(graphPlugins::containsKey)
                            .collect(Collectors.toCollection(TreeSet::new)));
        }
        for (String gone : expectedPlugins) {
            if (!listed.contains(gone)) {
                assertThat(graphPlugins.get(gone).get("state").asString()).as("%s state", gone).isEqualTo("gone");
                assertThat(graphPlugins.get(gone).get("hosts").asList()).as("%s hosted", gone).isEmpty();
            }
        }
        assertThat(count("MATCH (h:_Host) RETURN count(h) AS n")).as("hosts").isEqualTo(1);

        Map<String, List<String>> runsByJob = new HashMap<>();
        for (Record r : server.query("MATCH (r:_JobRun) OPTIONAL MATCH (j:_BackgroundJob)-[:RAN]->(r)"
                + " RETURN r.run_id AS run, r.started_at AS at, collect(j.qname) AS jobs ORDER BY at DESC")) {
            String run = r.get("run").asString();
            List<String> jobs = r.get("jobs").asList(v -> v.asString());
            assertThat(jobs).as("jobs of run %s", run).hasSize(1);
            assertThat(jobs.get(0)).as("job of run %s", run).isEqualTo(runJob.get(run));
            runsByJob.computeIfAbsent(jobs.get(0), k -> new ArrayList<>()).add(run);
        }
        runsByJob.forEach((job, runs) -> assertThat(runs).as("runs kept for %s", job).hasSizeLessThanOrEqualTo(
                RUNS_PER_JOB));
        if (!hammering.get()) {
            Map<String, String> newest = new TreeMap<>();
            runsByJob.forEach((job, runs) -> newest.put(job, runs.get(0)));
            Map<String, String> expected = new TreeMap<>(latestRun);
            assertThat(newest).as("each job's newest run").containsAllEntriesOf(expected);
        }
    }
}
