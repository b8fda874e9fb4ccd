package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.module.PluginNode;
import static dev.belfry.host.internal.graph.TestJobs.T0;
import static dev.belfry.host.internal.graph.TestJobs.job;
import static dev.belfry.host.internal.graph.TestJobs.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.host.internal.graph.MirrorQueue.JobChange;
import dev.belfry.sidecar.JobRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.neo4j.driver.Session;

/**
 * The driver replays a transaction whose commit outcome it could not learn; every write must survive being applied
 * twice. Each batch here is written twice, as such a replay would, and the graph compared.
 */
class GraphWriterReplayTest {
    private static final Instant STARTED = Instant.parse("2026-11-23T03:00:00Z");

    private final GraphTestServer server = GraphTestServer.get();
    private final GraphWriter writer = new GraphWriter("replay-host", STARTED, 3);

    @BeforeEach
    void cleanGraph() {
        server.wipe();
    }

    @Test
    void shouldCreateNoDuplicatesWhenEveryKindOfBatchIsWrittenTwice() {
        List<PluginNode> plugins = List.of(new PluginNode("rp", "1", "started", List.of("rq")),
                new PluginNode("rq", "1", "started", List.of()));
        List<Map<String, Object>> jobs = List.of(GraphRows.job(job("rp.a", 1)), GraphRows.job(job("rq.b", 1)));
        List<Map<String, Object>> runs = LongStream.rangeClosed(1, 5)
                .mapToObj(id -> GraphRows.run(run("rp.a", id, T0.plusSeconds(id), Optional.empty()), "replay-host/1/"))
                .toList();

        String first = null;
        for (int pass = 1; pass <= 2; pass++) {
            try (Session s = server.session()) {
                s.executeWrite(tx -> writer.syncPlugins(tx, plugins));
                s.executeWrite(tx -> writer.upsertJobs(tx, jobs, false, true, T0));
                s.executeWrite(tx -> writer.upsertJobs(tx, jobs, true, true, T0.plusSeconds(60)));
                s.executeWrite(tx -> writer.insertRuns(tx, runs, true));
            }
            String graph = snapshot();
            if (first == null) {
                first = graph;
            } else {
                assertThat(graph).as("the graph after a replay").isEqualTo(first);
            }
        }
        assertThat(count("MATCH (n) RETURN count(n)")).as("host, 2 plugins, 2 jobs, 3 runs").isEqualTo(8);
        assertThat(count("MATCH ()-[r]->() RETURN count(r)"))
                .as("2 HOSTS, 1 DEPENDS_ON, 2 CONTRIBUTES, 2 OWNS, 3 RAN").isEqualTo(10);
        assertThat(count("MATCH (j:_BackgroundJob) WHERE j.updated_at = datetime($t) RETURN count(j)",
                Map.of("t", T0.toString()))).as("an equal version is not rewritten, not even by a resync").isEqualTo(2);
    }

    @Test
    void shouldApplyAJobBatchWithRemovalsOnceWhenTheTransactionFunctionRunsTwice() {
        Neo4jMirror mirror = new Neo4jMirror(Optional::empty, List::of, "replay-host", STARTED, 3,
                java.time.Clock.systemUTC());
        JobRecord comeback = job("rr.back", 0);
        List<JobChange> batch = List.of(
                new JobChange(QName.parse("rr.gone"), Optional.empty(), false, T0),
                new JobChange(comeback.qname(), Optional.of(comeback), true, T0),
                new JobChange(QName.parse("rr.new"), Optional.of(job("rr.new", 2)), false, T0));
        try (Session s = server.session()) {
            s.executeWrite(tx -> writer.upsertJobs(tx, List.of(GraphRows.job(job("rr.gone", 4)),
                    GraphRows.job(job("rr.back", 8))), false, true, T0));

            for (int pass = 1; pass <= 2; pass++) {
                s.executeWrite(tx -> mirror.writeJobs(tx, batch, true, T0));
                assertThat(server.query("MATCH (j:_BackgroundJob) RETURN j.qname + ' ' + j.version AS r ORDER BY r")
                        .stream().map(r -> r.get(0).asString()).toList())
                        .as("pass %s", pass).containsExactly("rr.back 0", "rr.new 2");
                assertThat(count("MATCH (:_Plugin)-[c:CONTRIBUTES]->() RETURN count(c)")).isEqualTo(2);
            }
        }
    }

    @Test
    void shouldApplyAChangeOnceWhenTheTransactionFunctionRunsTwice() {
        Neo4jMirror mirror = new Neo4jMirror(Optional::empty, List::of, "replay-host", STARTED, 3,
                java.time.Clock.systemUTC());
        JobRecord v1 = job("rc.a", 1);
        List<JobChange> first = List.of(new JobChange(v1.qname(), Optional.of(v1), false, T0));
        JobRecord v2 = v1.withRunCount(3).withVersion(2);
        List<JobChange> second = List.of(new JobChange(v2.qname(), Optional.of(v2), false, T0));
        try (Session s = server.session()) {
            s.executeWrite(tx -> mirror.writeJobs(tx, first, true, T0));
            mirror.rememberWritten(first); // from here on the mirror sends v2 as what changed since v1

            String once = null;
            for (int pass = 1; pass <= 2; pass++) {
                Instant at = T0.plusSeconds(pass);
                s.executeWrite(tx -> mirror.writeJobs(tx, second, true, at));
                String graph = snapshot();
                if (once == null) {
                    once = graph;
                } else {
                    assertThat(graph).as("the graph after a replay").isEqualTo(once);
                }
            }
        }
        assertThat(count("MATCH (j:_BackgroundJob {qname: 'rc.a'}) WHERE j.run_count = 3 AND j.version = 2"
                + " RETURN count(j)")).isEqualTo(1);
    }

    /** Every node with its labels and properties, and every relationship, as sorted text. */
    private String snapshot() {
        List<String> nodes = server.query("MATCH (n) RETURN labels(n) AS l, properties(n) AS p").stream()
                .map(r -> r.get("l").asList() + " " + new java.util.TreeMap<>(r.get("p").asMap())).sorted().toList();
        List<String> rels = server.query("MATCH (a)-[r]->(b) RETURN coalesce(a.id, a.qname) + ' ' + type(r) + ' '"
                + " + coalesce(b.id, b.qname, b.run_id) AS r").stream().map(r -> r.get(0).asString()).sorted().toList();
        return String.join("\n", nodes) + "\n" + String.join("\n", rels);
    }

    private long count(String cypher) {
        return count(cypher, Map.of());
    }

    private long count(String cypher, Map<String, Object> params) {
        return server.query(cypher, params).get(0).get(0).asLong();
    }
}
