package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.module.PluginNode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.RunOutcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;

/**
 * Runs every Cypher query in docs/graph-model.md against a graph the mirror wrote, seeded so that each one has
 * something to find: a query that fails, or quietly finds nothing because it names a property wrongly, fails here.
 */
class GraphModelDocTest {
    private static final Path DOC = Path.of("..", "..", "docs", "graph-model.md");
    private static final Pattern CYPHER_BLOCK = Pattern.compile("```cypher\\n(.*?)```", Pattern.DOTALL);

    private final GraphTestServer server = GraphTestServer.get();
    private Neo4jMirror mirror;

    @AfterEach
    void closeMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    @Test
    void shouldRunEveryDocumentedQueryAndFindSomething() throws IOException {
        List<String> queries = documentedQueries();
        assertThat(queries).as("operator queries in the doc").hasSizeGreaterThanOrEqualTo(10);
        seed();

        List<String> problems = new ArrayList<>();
        for (String query : queries) {
            try (Session s = server.session()) {
                List<Record> rows = s.executeRead(tx -> tx.run(query).list());
                if (rows.isEmpty()) {
                    problems.add("no rows:\n" + query);
                }
            } catch (RuntimeException e) {
                problems.add(e + ":\n" + query);
            }
        }
        assertThat(problems).isEmpty();
    }

    private static List<String> documentedQueries() throws IOException {
        Matcher m = CYPHER_BLOCK.matcher(Files.readString(DOC, StandardCharsets.UTF_8));
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1).strip());
        }
        return out;
    }

    /** A small host: two plugins (one depending on the other, one on a missing plugin), an orphan, runs. */
    private void seed() {
        server.wipe();
        Instant now = Instant.now();
        Instant started = now.minus(Duration.ofHours(2));
        TestJobs.Sidecar sidecar = new TestJobs.Sidecar();
        JobRecord greeting = sidecar.put(JobRecord.pending(QName.of("hello-jobs", "greeting"), "hello-jobs",
                        Schedule.cron("*/15 * * * *", ZoneId.of("Europe/Berlin")))
                .withStatus(JobStatus.FAILED_RETRYING).withNextFireAt(Optional.of(now.plus(Duration.ofMinutes(10))))
                .withLastStartedAt(Optional.of(now.minusSeconds(70))).withLastFinishedAt(Optional.of(now.minusSeconds(60)))
                .withLastOutcome(Optional.of(new RunOutcome(false, "connection refused", Duration.ofSeconds(10))))
                .withConsecutiveFailures(2).withRunCount(5).withFailureCount(2).withVersion(9));
        sidecar.put(JobRecord.pending(QName.of("hello-jobs", "tick"), "hello-jobs", Schedule.every(Duration.ofMinutes(1)))
                .withStatus(JobStatus.PAUSED).withPaused(true).withRunCount(40).withVersion(41));
        sidecar.put(JobRecord.pending(QName.of("ingest-demo", "pull"), "ingest-demo", Schedule.every(Duration.ofHours(1)))
                .withStatus(JobStatus.SCHEDULED).withNextFireAt(Optional.of(now.minus(Duration.ofMinutes(10))))
                .withVersion(2));
        sidecar.put(JobRecord.pending(QName.of("old-plugin", "sweep"), "old-plugin", Schedule.manual())
                .withStatus(JobStatus.ORPHANED).withOrphanedAt(Optional.of(now.minus(Duration.ofDays(3))))
                .withRunCount(3).withVersion(12));

        mirror = new Neo4jMirror(() -> Optional.of(server.endpoint()), sidecar::snapshot, "doc-host", started, 50,
                Clock.systemUTC());
        mirror.pluginsChanged(List.of(new PluginNode("hello-jobs", "1.0.0", "started", List.of()),
                new PluginNode("ingest-demo", "0.3.1", "started", List.of("hello-jobs")),
                new PluginNode("reports", "2.0.0", "waiting", List.of("pdf-renderer"))));
        for (int i = 0; i < 5; i++) {
            Instant fired = now.minus(Duration.ofMinutes(15L * (5 - i)));
            mirror.runFinished(new RunResult(greeting.qname(), i + 1, fired, fired, fired.plusMillis(800L * (i + 1)), 1,
                    i % 2 == 0 ? Optional.empty() : Optional.of("connection refused")));
        }
        mirror.start();
        Poll.until(() -> {
            assertThat(server.query("MATCH (r:_JobRun) RETURN count(r)").get(0).get(0).asLong()).isEqualTo(5);
            assertThat(mirror.status().queueDepth()).isZero();
        });
    }
}
