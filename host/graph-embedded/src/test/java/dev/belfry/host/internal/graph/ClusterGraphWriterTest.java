package dev.belfry.host.internal.graph;

import static dev.belfry.host.internal.graph.TestJobs.T0;
import static dev.belfry.host.internal.graph.TestJobs.job;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.internal.module.PluginNode;
import dev.belfry.sidecar.JobRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;

/** The writes of two cluster hosts into one graph: who owns a job, and whose row changes it. */
class ClusterGraphWriterTest {
    private static final Instant STARTED = Instant.parse("2026-12-06T03:00:00Z");

    private final GraphTestServer server = GraphTestServer.get();
    private final GraphWriter a = new GraphWriter("host-a", STARTED, 3, true);
    private final GraphWriter b = new GraphWriter("host-b", STARTED, 3, true);

    @BeforeEach
    void cleanGraph() {
        server.wipe();
    }

    @Test
    void shouldGiveAJobToTheHostThatTakesItOverWhateverItsVersion() {
        // given a job a wrote at version 5 (its lease lost unnoticed: the database has version 2)
        upsert(a, job("c.j", 5), true);
        assertThat(owner()).isEqualTo("host-a 5");

        // when b takes the job over with the database's version and writes its first change
        upsert(b, job("c.j", 3), true);

        // then b owns it, at b's version, with one owner
        assertThat(owner()).isEqualTo("host-b 3");
        assertThat(server.query("MATCH (:_Host)-[o:OWNS]->(:_BackgroundJob) RETURN count(o) AS n").get(0)
                .get("n").asLong()).isEqualTo(1);
    }

    @Test
    void shouldLeaveAJobAnotherHostOwnsAloneOnAResyncAndOnALateChange() {
        // given a job b owns at version 3
        upsert(b, job("c.j", 3), true);

        // when a resyncs it from the database at a higher version, and sends a change computed from version 3
        upsert(a, job("c.j", 9), false);
        JobRecord before = job("c.j", 3);
        JobRecord after = before.withRunCount(7).withVersion(4);
        try (Session s = server.session()) {
            Set<String> applied = s.executeWrite(tx -> a.updateJobs(tx, List.of(GraphRows.jobChanges(before, after)),
                    T0));
            assertThat(applied).as("applied").isEmpty();
        }

        // then the job is b's as b wrote it
        assertThat(owner()).isEqualTo("host-b 3");
    }

    @Test
    void shouldFillInAJobNoHostOwnsYetOnAResyncWithoutTakingIt() {
        // when a resyncs a job the graph lacks
        upsert(a, job("c.j", 2), false);

        // then it is there, owned by none, until its owner writes it
        assertThat(owner()).isEqualTo("none 2");
        upsert(b, job("c.j", 2), true);
        assertThat(owner()).isEqualTo("host-b 2");
    }

    @Test
    void shouldDeleteOnAResyncOnlyTheMissingJobsNoHostWroteShortlyBeforeTheStateWasRead() {
        // given two jobs the cluster no longer has in a host's reading: one written long before, one just after
        try (Session s = server.session()) {
            s.executeWrite(tx -> b.upsertJobs(tx, List.of(GraphRows.job(job("c.old", 1))), false, true, true, T0));
            s.executeWrite(tx -> b.upsertJobs(tx, List.of(GraphRows.job(job("c.new", 1))), false, true, true,
                    T0.plusSeconds(600)));

            // when a resyncs with a state read at T0 + 10 minutes less its margin
            s.executeWrite(tx -> a.deleteJobsExcept(tx, List.of("c.kept"), Optional.of(T0.plusSeconds(540))));
        }

        // then only the job written before the margin is gone
        assertThat(server.query("MATCH (j:_BackgroundJob) RETURN j.qname AS q").stream()
                .map(r -> r.get("q").asString()).toList()).containsExactly("c.new");
    }

    @Test
    void shouldKeepAPluginAnotherHostStillHasWhenAHostWithoutItSyncsItsPlugins() {
        // given b has two plugins, a one of them
        PluginNode shared = new PluginNode("shared", "1", "started", List.of());
        PluginNode onlyB = new PluginNode("only-b", "1", "started", List.of());
        try (Session s = server.session()) {
            s.executeWrite(tx -> b.syncPlugins(tx, List.of(shared, onlyB)));
            s.executeWrite(tx -> a.syncPlugins(tx, List.of(shared)));
        }

        // then both stay started, each hosted by the hosts that have it
        assertThat(plugins()).containsExactly("only-b started [host-b]", "shared started [host-a, host-b]");

        // when b no longer has only-b
        try (Session s = server.session()) {
            s.executeWrite(tx -> b.syncPlugins(tx, List.of(shared)));
        }

        // then it is gone from the graph (no job names it)
        assertThat(plugins()).containsExactly("shared started [host-a, host-b]");
    }

    private List<String> plugins() {
        return server.query("MATCH (p:_Plugin) OPTIONAL MATCH (h:_Host)-[:HOSTS]->(p) WITH p, h ORDER BY h.id"
                + " RETURN p.id + ' ' + p.state AS p, collect(h.id) AS hosts ORDER BY p").stream()
                .map(r -> r.get("p").asString() + " " + r.get("hosts").asList(v -> v.asString())).toList();
    }

    private void upsert(GraphWriter writer, JobRecord job, boolean own) {
        try (Session s = server.session()) {
            s.executeWrite(tx -> writer.upsertJobs(tx, List.of(GraphRows.job(job)), false, own, true, T0));
        }
    }

    /** @return the job's owner and version, as "owner version" */
    private String owner() {
        List<Record> rows = server.query("MATCH (j:_BackgroundJob {qname: 'c.j'}) OPTIONAL MATCH (h:_Host)-[:OWNS]->(j)"
                + " RETURN coalesce(h.id, 'none') + ' ' + j.version AS r", Map.of());
        assertThat(rows).hasSize(1);
        return rows.get(0).get("r").asString();
    }
}
