package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.module.PluginNode;
import static dev.belfry.host.internal.graph.TestJobs.T0;
import static dev.belfry.host.internal.graph.TestJobs.job;
import static dev.belfry.host.internal.graph.TestJobs.run;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.RunLogRecords;
import dev.belfry.sidecar.RunOutcome;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.neo4j.driver.Record;
import org.neo4j.driver.Value;
import org.neo4j.driver.types.Node;

/** The mirror against a real Neo4j: the model, run history, orphans, hostile text, removal, resync, credentials. */
class Neo4jMirrorTest {
    private static final String HOST = "host-a";
    private static final Instant STARTED = Instant.parse("2026-11-23T03:59:00Z");

    /** The injected outage is logged at WARN: asserted below, kept off the console. */
    @RegisterExtension
    final LogCapture mirrorLog = LogCapture.of(Neo4jMirror.class).atLevel(Level.INFO);

    private final GraphTestServer server = GraphTestServer.get();
    private final FakeClock clock = new FakeClock(T0);
    private final TestJobs.Sidecar sidecar = new TestJobs.Sidecar();
    private final List<Neo4jMirror> mirrors = new ArrayList<>();
    private Neo4jMirror mirror;

    @BeforeEach
    void cleanGraph() {
        server.wipe();
    }

    @AfterEach
    void closeMirrors() {
        mirrors.forEach(Neo4jMirror::close);
    }

    @Test
    void shouldMirrorJobsPluginsHostAndRunsWithTypedPropertiesWhenConnected() {
        PluginNode alpha = new PluginNode("alpha", "1.2.0", "started", List.of("beta"));
        PluginNode beta = new PluginNode("beta", "2.0.0", "started", List.of());
        Instant next = Instant.parse("2026-11-24T02:00:00Z");
        JobRecord nightly = JobRecord.pending(QName.of("alpha", "nightly"), "alpha",
                        Schedule.cron("0 3 * * *", ZoneId.of("Europe/Berlin")))
                .withStatus(JobStatus.SCHEDULED).withNextFireAt(Optional.of(next))
                .withLastStartedAt(Optional.of(T0.minusSeconds(60))).withLastFinishedAt(Optional.of(T0.minusSeconds(58)))
                .withLastOutcome(Optional.of(new RunOutcome(false, "disk full", Duration.ofMillis(2_000))))
                .withConsecutiveFailures(2).withRunCount(9).withFailureCount(3).withVersion(12);
        JobRecord tick = JobRecord.pending(QName.of("beta", "tick"), "beta",
                        Schedule.every(Duration.ofSeconds(10), PeriodicMode.FIXED_RATE, Duration.ZERO))
                .withStatus(JobStatus.PAUSED).withPaused(true)
                .withLastOutcome(Optional.of(new RunOutcome(true, "", Duration.ofMillis(5)))).withVersion(1);
        JobRecord once = JobRecord.pending(QName.of("beta", "once"), "beta", Schedule.once(next)).withVersion(0);
        JobRecord manual = JobRecord.pending(QName.of("beta", "by-hand"), "beta", Schedule.manual())
                .withStatus(JobStatus.IDLE).withVersion(4);

        mirror = start(50);
        mirror.pluginsChanged(List.of(alpha, beta));
        List.of(nightly, tick, once, manual).forEach(this::change);
        mirror.runFinished(run("alpha.nightly", 1, T0.minusSeconds(120), Optional.empty()));
        mirror.runFinished(run("alpha.nightly", 2, T0.minusSeconds(60), Optional.of("disk full")));

        Poll.until(() -> assertThat(count("MATCH (:_BackgroundJob)-[:RAN]->(r:_JobRun) RETURN count(r)")).isEqualTo(2));

        Node job = node("MATCH (j:_BackgroundJob {qname: 'alpha.nightly'}) RETURN j");
        assertThat(job.asMap()).containsEntry("namespace", "alpha").containsEntry("name", "nightly")
                .containsEntry("status", "scheduled").containsEntry("schedule_type", "cron")
                .containsEntry("schedule", "0 3 * * *").containsEntry("zone", "Europe/Berlin")
                .containsEntry("last_outcome", "disk full").containsEntry("last_duration_ms", 2_000L)
                .containsEntry("consecutive_failures", 2L).containsEntry("run_count", 9L)
                .containsEntry("failure_count", 3L).containsEntry("paused", false).containsEntry("version", 12L)
                .containsEntry("plugin_id", "alpha").containsEntry("dynamic", false)
                .doesNotContainKey("orphaned_at");
        assertDateTime(job.get("next_fire_at"), next);
        assertDateTime(job.get("last_started_at"), T0.minusSeconds(60));
        assertDateTime(job.get("last_finished_at"), T0.minusSeconds(58));
        assertDateTime(job.get("updated_at"), T0);

        assertThat(node("MATCH (j:_BackgroundJob {qname: 'beta.tick'}) RETURN j").asMap())
                .containsEntry("schedule_type", "periodic").containsEntry("schedule", "every PT10S fixed_rate")
                .containsEntry("status", "paused").containsEntry("paused", true)
                .containsEntry("last_outcome", "success").doesNotContainKey("zone");
        assertThat(node("MATCH (j:_BackgroundJob {qname: 'beta.once'}) RETURN j").asMap())
                .containsEntry("schedule_type", "once").containsEntry("schedule", next.toString())
                .containsEntry("status", "pending").doesNotContainKeys("last_outcome", "next_fire_at");
        assertThat(node("MATCH (j:_BackgroundJob {qname: 'beta.by-hand'}) RETURN j").asMap())
                .containsEntry("schedule_type", "manual").containsEntry("schedule", "manual");

        assertThat(rows("MATCH (h:_Host)-[:HOSTS]->(p:_Plugin) RETURN h.id + ' ' + p.id + ' ' + p.version + ' '"
                + " + p.state AS r ORDER BY r")).containsExactly("host-a alpha 1.2.0 started", "host-a beta 2.0.0 started");
        assertDateTime(node("MATCH (h:_Host) RETURN h").get("started_at"), STARTED);
        assertThat(rows("MATCH (p:_Plugin)-[:DEPENDS_ON]->(q:_Plugin) RETURN p.id + '->' + q.id AS r"))
                .containsExactly("alpha->beta");
        assertThat(rows("MATCH (p:_Plugin)-[:CONTRIBUTES]->(j:_BackgroundJob) RETURN p.id + ' ' + j.qname AS r"
                + " ORDER BY r")).containsExactly("alpha alpha.nightly", "beta beta.by-hand", "beta beta.once",
                "beta beta.tick");

        Node failedRun = node("MATCH (:_BackgroundJob {qname: 'alpha.nightly'})-[:RAN]->(r:_JobRun {outcome: 'failed'})"
                + " RETURN r");
        assertThat(failedRun.asMap()).containsEntry("run_id", "host-a/" + STARTED.toEpochMilli() + "/2")
                .containsEntry("error", "disk full").containsEntry("attempt", 1L).containsEntry("duration_ms", 252L);
        assertDateTime(failedRun.get("started_at"), T0.minusSeconds(60));
        assertDateTime(failedRun.get("scheduled_for"), T0.minusSeconds(60));
        assertDateTime(failedRun.get("finished_at"), T0.minusSeconds(60).plusMillis(252));
        assertThat(node("MATCH (r:_JobRun {outcome: 'success'}) RETURN r").asMap()).doesNotContainKey("error");

        assertThat(count("MATCH (j:_BackgroundJob {qname: 'alpha.nightly'})"
                + " WHERE j.next_fire_at > datetime('2026-11-24T01:30:00Z')"
                + " AND j.next_fire_at < datetime('2026-11-24T01:30:00Z') + duration('PT1H') RETURN count(j)"))
                .as("datetime() arithmetic works on stored instants").isEqualTo(1);

        Poll.until(() -> {
            MirrorStatus status = mirror.status();
            assertThat(status.enabled()).isTrue();
            assertThat(status.connected()).isTrue();
            assertThat(status.queueDepth()).isZero();
            assertThat(status.lag()).isEmpty();
            assertThat(status.lastError()).isEmpty();
            assertThat(status.lastSyncAt()).contains(T0);
            assertThat(status.rowsWritten()).isGreaterThanOrEqualTo(4 + 2 + 3);
        });
    }

    @Test
    void shouldKeepOnlyTheLatestRunsWhenMoreThanTheLimitFinish() {
        mirror = start(3);
        change(job("trim.a", 1));
        change(job("trim.b", 1));
        for (long id = 1; id <= 4; id++) {
            mirror.runFinished(run("trim.a", id, T0.plusSeconds(id), Optional.empty()));
        }
        Poll.until(() -> assertThat(runIds("trim.a")).containsExactly("4", "3", "2"));

        for (long id = 5; id <= 9; id++) {
            mirror.runFinished(run("trim.a", id, T0.plusSeconds(id), Optional.empty()));
        }
        mirror.runFinished(run("trim.b", 10, T0.plusSeconds(10), Optional.empty()));

        Poll.until(() -> assertThat(runIds("trim.b")).containsExactly("10"));
        assertThat(runIds("trim.a")).containsExactly("9", "8", "7");
        assertThat(count("MATCH (r:_JobRun) RETURN count(r)")).as("trimmed runs are deleted").isEqualTo(4);
    }

    @Test
    void shouldNotRollAJobBackWhenAnOlderVersionArrivesLate() {
        mirror = start(50);
        change(job("guard.a", 5).withStatus(JobStatus.RUNNING));
        Poll.until(() -> assertThat(rows("MATCH (j:_BackgroundJob {qname: 'guard.a'}) RETURN j.status")).containsExactly("running"));

        mirror.jobChanged(job("guard.a", 3).withStatus(JobStatus.FAILED));
        change(job("guard.z", 1));

        Poll.until(() -> assertThat(count("MATCH (j:_BackgroundJob {qname: 'guard.z'}) RETURN count(j)")).isEqualTo(1));
        assertThat(rows("MATCH (j:_BackgroundJob {qname: 'guard.a'}) RETURN j.status + ' ' + j.version"))
                .containsExactly("running 5");
    }

    @Test
    void shouldEndWithTheWholeRecordAfterChangesSentAsWhatChanged() {
        mirror = start(50);
        JobRecord v1 = job("delta.a", 1);
        change(v1);
        Poll.until(() -> assertThat(rows("MATCH (j:_BackgroundJob {qname: 'delta.a'}) RETURN j.status"))
                .containsExactly("scheduled"));

        JobRecord v2 = v1.withRunStarted(T0.plusSeconds(10), 1).withStatus(JobStatus.RUNNING).withVersion(2);
        change(v2);
        JobRecord v3 = v2.withRunEnded(T0.plusSeconds(11), new RunOutcome(false, "boom", Duration.ofSeconds(1)), 1, 1)
                .withStatus(JobStatus.SCHEDULED).withNextFireAt(Optional.of(T0.plusSeconds(20))).withPaused(true)
                .withVersion(3);
        change(v3);

        Poll.until(() -> assertThat(count("MATCH (j:_BackgroundJob {qname: 'delta.a'}) RETURN j.version"))
                .isEqualTo(3));
        assertThat(properties("delta.a")).isEqualTo(expectedProperties(v3));
    }

    @Test
    void shouldSendTheWholeRecordWhenTheNodeIsNoLongerWhereTheMirrorLeftIt() {
        mirror = start(50);
        JobRecord v1 = job("delta.b", 1);
        change(v1);
        Poll.until(() -> assertThat(count("MATCH (j:_BackgroundJob {qname: 'delta.b'}) RETURN count(j)"))
                .isEqualTo(1));
        // Someone changes the node by hand, version and all: a change computed from v1 would leave "bogus" there.
        server.query("MATCH (j:_BackgroundJob {qname: 'delta.b'}) SET j.status = 'bogus', j.version = 0",
                Map.of());

        JobRecord v2 = v1.withRunCount(7).withVersion(2);
        change(v2);

        Poll.until(() -> assertThat(count("MATCH (j:_BackgroundJob {qname: 'delta.b'}) RETURN j.version"))
                .isEqualTo(2));
        assertThat(properties("delta.b")).isEqualTo(expectedProperties(v2));
    }

    /** The node a whole row for the record makes: absent values are no property, date-times come back zoned. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> expectedProperties(JobRecord record) {
        Map<String, Object> props = new java.util.HashMap<>();
        ((Map<String, Object>) GraphRows.job(record).get("props")).forEach((name, value) -> {
            if (value != null) {
                props.put(name, value instanceof java.time.OffsetDateTime t ? t.toZonedDateTime() : value);
            }
        });
        return props;
    }

    /** A job node's properties as the driver returns them, with updated_at (set by the graph) left out. */
    private Map<String, Object> properties(String qname) {
        Map<String, Object> props = new java.util.HashMap<>(
                node("MATCH (j:_BackgroundJob {qname: '" + qname + "'}) RETURN j").asMap());
        props.remove("updated_at");
        return props;
    }

    @Test
    void shouldShowOrphansWithTheirGonePluginAndDropThemOncePrunedFromTheSidecar() {
        PluginNode gamma = new PluginNode("gamma", "3.0", "started", List.of());
        PluginNode delta = new PluginNode("delta", "1.0", "started", List.of("gamma"));
        mirror = start(50);
        mirror.pluginsChanged(List.of(gamma, delta));
        change(job("gamma.sweep", 1));
        change(job("delta.keep", 1));
        mirror.runFinished(run("gamma.sweep", 1, T0, Optional.empty()));
        Poll.until(() -> assertThat(count("MATCH (r:_JobRun) RETURN count(r)")).isEqualTo(1));

        // The gamma jar is removed: the host drops it from its list and orphans its job.
        mirror.pluginsChanged(List.of(delta));
        change(job("gamma.sweep", 2).withStatus(JobStatus.ORPHANED).withOrphanedAt(Optional.of(T0)));

        Poll.until(() -> assertThat(rows("MATCH (p:_Plugin {id: 'gamma'})-[:CONTRIBUTES]->(j) RETURN p.state + ' '"
                + " + j.status")).containsExactly("gone orphaned"));
        assertThat(count("MATCH (:_Host)-[:HOSTS]->(p:_Plugin {id: 'gamma'}) RETURN count(p)")).isZero();
        assertThat(count("MATCH (j:_BackgroundJob {qname: 'gamma.sweep'}) WHERE j.orphaned_at = datetime($t)"
                + " RETURN count(j)", Map.of("t", T0.toString()))).isEqualTo(1);
        assertThat(rows("MATCH (p:_Plugin {id: 'delta'})-[:DEPENDS_ON]->(q) RETURN q.id"))
                .as("a dependency on a gone plugin still shows").containsExactly("gamma");

        // Past the retention the host prunes the orphan from the sidecar; the next start resyncs.
        sidecar.remove("gamma.sweep");
        mirror.close();
        mirror = start(50);
        mirror.pluginsChanged(List.of(delta));

        Poll.until(() -> assertThat(rows("MATCH (n) WHERE n:_BackgroundJob OR n:_Plugin OR n:_JobRun"
                + " RETURN coalesce(n.qname, n.id, n.run_id) AS r ORDER BY r")).containsExactly("delta", "delta.keep"));
    }

    @Test
    void shouldStoreHostileTextVerbatimAndChangeNothingElse() {
        String injection = "x'}) DETACH DELETE n //";
        String nasty = "\"quoted\" 'single' back\\slash \\' \\\" `tick` $param {brace} ]]> \u0000 "
                + injection + " \n\t 日本語 😀 \u202Eevil";
        server.query("CREATE (:Canary {id: 'canary'})");
        PluginNode plugin = new PluginNode("wörk-π", injection, nasty, List.of("ünknown-dep"));
        QName qname = QName.of("wörk-π", "räder_nächtlich-日本");
        JobRecord record = JobRecord.pending(qname, "wörk-π", Schedule.cron("'}) DETACH DELETE n //", ZoneOffset.UTC))
                .withStatus(JobStatus.FAILED)
                .withLastOutcome(Optional.of(new RunOutcome(false, nasty, Duration.ofMillis(1))))
                .withCheckpoint(Optional.of(nasty)).withVersion(3);

        mirror = start(50);
        mirror.pluginsChanged(List.of(plugin));
        change(record);
        mirror.runFinished(new RunResult(qname, 7, T0, T0, T0.plusMillis(1), 1, Optional.of(nasty)));

        Poll.until(() -> assertThat(count("MATCH (r:_JobRun) RETURN count(r)")).isEqualTo(1));
        Node job = node("MATCH (j:_BackgroundJob) RETURN j");
        assertThat(job.get("qname").asString()).isEqualTo("wörk-π.räder_nächtlich-日本");
        assertThat(job.get("name").asString()).isEqualTo("räder_nächtlich-日本");
        assertThat(job.get("last_outcome").asString()).isEqualTo(nasty);
        assertThat(job.get("schedule").asString()).isEqualTo("'}) DETACH DELETE n //");
        Node p = node("MATCH (p:_Plugin) RETURN p");
        assertThat(p.get("version").asString()).isEqualTo(injection);
        assertThat(p.get("state").asString()).isEqualTo(nasty);
        assertThat(p.get("depends_on").asList()).containsExactly("ünknown-dep");
        assertThat(node("MATCH (r:_JobRun) RETURN r").get("error").asString()).isEqualTo(nasty);
        assertThat(rows("MATCH (n) RETURN labels(n)[0] AS r ORDER BY r"))
                .as("nothing deleted, nothing extra").containsExactly("Canary", "_BackgroundJob", "_Host", "_JobRun",
                        "_Plugin");
        assertThat(count("MATCH ()-[r]->() RETURN count(r)")).as("HOSTS, CONTRIBUTES, OWNS, RAN").isEqualTo(4);
    }

    @Test
    void shouldDeleteAJobAndItsRunsWhenRemovedAndStartAfreshWhenItComesBack() {
        mirror = start(50);
        change(job("gone.a", 7));
        mirror.runFinished(run("gone.a", 1, T0, Optional.empty()));
        Poll.until(() -> assertThat(runIds("gone.a")).containsExactly("1"));

        mirror.jobRemoved(QName.parse("gone.a"));
        Poll.until(() -> assertThat(count("MATCH (n) WHERE n:_BackgroundJob OR n:_JobRun RETURN count(n)")).isZero());

        // Removed and added again in one breath: versions start over, and the old node must not block them.
        change(job("gone.b", 9));
        mirror.runFinished(run("gone.b", 2, T0, Optional.empty()));
        Poll.until(() -> assertThat(runIds("gone.b")).containsExactly("2"));
        mirror.jobRemoved(QName.parse("gone.b"));
        change(job("gone.b", 0).withStatus(JobStatus.IDLE));

        Poll.until(() -> assertThat(rows("MATCH (j:_BackgroundJob {qname: 'gone.b'}) RETURN j.status + ' ' + j.version"))
                .containsExactly("idle 0"));
        assertThat(runIds("gone.b")).isEmpty();
    }

    @Test
    void shouldKeepARunOfANewJobThatWaitedBehindMoreThanABatchOfChanges() {
        mirror = start(50);
        Poll.until(() -> assertThat(mirror.status().connected()).isTrue()); // past the resync, which writes all
        int jobs = 2 * Neo4jMirror.BATCH_SIZE + 1;
        for (int i = 0; i < jobs; i++) {
            change(job("burst.j" + i, 1));
        }
        mirror.runFinished(run("burst.j" + (jobs - 1), 1, T0, Optional.empty()));

        Poll.until(() -> assertThat(runIds("burst.j" + (jobs - 1))).containsExactly("1"));
        assertThat(count("MATCH (j:_BackgroundJob) WHERE j.qname STARTS WITH 'burst.' RETURN count(j)"))
                .isEqualTo(jobs);
    }

    @Test
    void shouldTakeTheSidecarsVersionOnResyncEvenWhenLowerAfterAStateReset() {
        mirror = start(50);
        change(job("reset.a", 40).withStatus(JobStatus.FAILED));
        Poll.until(() -> assertThat(count("MATCH (j:_BackgroundJob {version: 40}) RETURN count(j)")).isEqualTo(1));
        mirror.close();

        sidecar.put(job("reset.a", 0));
        mirror = start(50);

        Poll.until(() -> assertThat(rows("MATCH (j:_BackgroundJob {qname: 'reset.a'}) RETURN j.status + ' ' + j.version"))
                .containsExactly("scheduled 0"));
    }

    @Test
    void shouldWaitForTheEndpointWithoutAnErrorAndSyncOnceItAppears() {
        AtomicBoolean up = new AtomicBoolean();
        change(job("late.a", 1));
        mirror = start(50, () -> up.get() ? Optional.of(server.endpoint()) : Optional.empty());
        mirror.jobChanged(job("late.a", 2));
        clock.advance(Duration.ofSeconds(3));

        MirrorStatus waiting = mirror.status();
        assertThat(waiting.connected()).isFalse();
        assertThat(waiting.lastError()).isEmpty();
        assertThat(waiting.queueDepth()).isEqualTo(1);
        assertThat(waiting.lag()).contains(Duration.ofSeconds(3));

        up.set(true);
        Poll.until(() -> assertThat(mirror.status().connected()).isTrue());
        Poll.until(() -> assertThat(rows("MATCH (j:_BackgroundJob) RETURN j.qname + ' ' + j.version"))
                .containsExactly("late.a 2"));
    }

    @Test
    void shouldReportBadCredentialsOnceAndConnectWhenTheyAreFixed() {
        AtomicBoolean fixed = new AtomicBoolean();
        change(job("auth.a", 1));
        GraphEndpoint good = server.endpoint();
        GraphEndpoint bad = new GraphEndpoint(good.uri(), good.user(), "not-the-password");
        // A long first backoff: Neo4j locks a user out for a while after a few failed logins in a row.
        mirror = track(new Neo4jMirror(() -> Optional.of(fixed.get() ? good : bad), sidecar::snapshot, HOST, STARTED,
                50, clock, Duration.ofSeconds(2), Duration.ofSeconds(2), 100));
        mirror.start();

        Poll.until(() -> assertThat(mirror.status().lastError()).hasValueSatisfying(
                e -> assertThat(e).contains("Authentication")));
        assertThat(mirror.status().connected()).isFalse();
        assertThat(mirror.outageWarnings()).isEqualTo(1);
        assertThat(mirror.status().lastError().orElseThrow()).doesNotContain("not-the-password");

        fixed.set(true);
        Poll.until(() -> assertThat(mirror.status().connected()).isTrue());
        assertThat(mirror.status().lastError()).isEmpty();
        assertThat(count("MATCH (j:_BackgroundJob {qname: 'auth.a'}) RETURN count(j)")).isEqualTo(1);
        assertThat(mirrorLog.matching(Level.WARN, "AuthenticationException")).as("bad credentials logged once")
                .hasSize(1).allMatch(l -> !l.contains("not-the-password"));
    }

    @Test
    void shouldPutBackWhatWasChangedFromOutsideAtTheNextPeriodicResync() {
        change(job("kept.idle", 3));
        mirror = start(50);
        Poll.until(() -> assertThat(mirror.status().lastSyncAt()).isPresent());
        assertThat(count("MATCH (j:_BackgroundJob {qname: 'kept.idle'}) RETURN count(j)")).isEqualTo(1);

        server.query("MATCH (j:_BackgroundJob) DETACH DELETE j");
        clock.advance(Neo4jMirror.RESYNC_INTERVAL);

        Poll.until(() -> assertThat(count("MATCH (:_Plugin)-[:CONTRIBUTES]->(j:_BackgroundJob {qname: 'kept.idle'})"
                + " RETURN count(j)")).isEqualTo(1));
    }

    @Test
    void shouldWriteTheRunsOfEarlierLivesFromTheRunHistoryWhenItConnectsAndNotDoubleThemAfterARestart() {
        change(job("hist.a", 1));
        QName a = QName.parse("hist.a");
        Instant earlier = STARTED.minus(Duration.ofHours(1));
        List<RunLogRecords.Run> history = List.of(
                new RunLogRecords.Run(a, earlier, 7, T0.minusSeconds(60), T0.minusSeconds(60), T0.minusSeconds(59), 1,
                        Optional.of("failed: no invoices today")),
                new RunLogRecords.Run(a, earlier, 6, T0.minusSeconds(120), T0.minusSeconds(120), T0.minusSeconds(119),
                        1, Optional.empty()),
                new RunLogRecords.Run(a, earlier, 5, T0.minusSeconds(180), T0.minusSeconds(180), T0.minusSeconds(179),
                        1, Optional.empty()));
        String query = "MATCH (:_BackgroundJob {qname: 'hist.a'})-[:RAN]->(r:_JobRun) RETURN r.run_id + ' '"
                + " + r.outcome AS r ORDER BY r";
        String life = "host-a/" + earlier.toEpochMilli() + "/";

        mirror = withHistory(q -> q.equals(a) ? history : List.of());
        Poll.until(() -> assertThat(mirror.status().lastSyncAt()).isPresent());

        assertThat(rows(query)).containsExactly(life + "6 success", life + "7 failed");
        mirror.close();
        Neo4jMirror again = withHistory(q -> q.equals(a) ? history : List.of());
        Poll.until(() -> assertThat(again.status().lastSyncAt()).isPresent());
        assertThat(rows(query)).containsExactly(life + "6 success", life + "7 failed");
    }

    @Test
    void shouldWriteOnlyTheRunsNearTheNewestItWroteWhenRestartedAgainstAGraphThatHoldsThem() {
        // given three jobs with 20 runs each in the host's history, ten minutes apart, already in the graph
        Map<QName, List<RunLogRecords.Run>> history = threeJobsOfTwentyRuns();
        Neo4jMirror first = connected(withHistory(history::get, 50));
        assertThat(first.status().rowsWritten()).as("3 jobs and all 60 runs").isEqualTo(63);
        assertDateTime(node("MATCH (h:_Host) RETURN h").get("runs_written_until"), T0.minusSeconds(10));
        first.close();

        // when the host restarts
        Neo4jMirror again = connected(withHistory(history::get, 50));

        // then only the runs within the margin before the newest one written are sent again: the newest of each job
        assertThat(again.status().rowsWritten()).as("3 jobs and 3 runs").isEqualTo(6);
        assertThat(count("MATCH (:_BackgroundJob)-[:RAN]->(r:_JobRun) RETURN count(r)")).isEqualTo(60);
        assertThat(mirrorLog.matching(Level.INFO, "synced 3 jobs and 3 runs of the run history")).hasSize(1);
    }

    @Test
    void shouldWriteTheWholeHistoryAgainWhenTheGraphLostRuns() {
        Map<QName, List<RunLogRecords.Run>> history = threeJobsOfTwentyRuns();
        connected(withHistory(history::get, 50)).close();

        // given a graph whose runs were all deleted, the host node and its mark kept
        server.query("MATCH (r:_JobRun) DETACH DELETE r");
        Neo4jMirror m = connected(withHistory(history::get, 50));
        assertThat(runIds("runs.a")).hasSize(20);
        assertThat(count("MATCH (:_BackgroundJob)-[:RAN]->(r:_JobRun) RETURN count(r)")).isEqualTo(60);
        m.close();

        // given a graph that lost five older runs of one job
        server.query("MATCH (:_BackgroundJob {qname: 'runs.b'})-[:RAN]->(r:_JobRun) WITH r ORDER BY r.started_at"
                + " LIMIT 5 DETACH DELETE r");
        assertThat(runIds("runs.b")).hasSize(15);
        m = connected(withHistory(history::get, 50));
        assertThat(runIds("runs.b")).hasSize(20);
        assertThat(m.status().rowsWritten()).as("3 jobs, all 20 runs of runs.b, the newest of the others")
                .isEqualTo(3 + 20 + 2);
        m.close();

        // given a new, empty graph
        server.wipe();
        m = connected(withHistory(history::get, 50));
        assertThat(count("MATCH (:_BackgroundJob)-[:RAN]->(r:_JobRun) RETURN count(r)")).isEqualTo(60);
        assertThat(m.status().rowsWritten()).isEqualTo(63);
    }

    @Test
    void shouldWriteTheRunsThatFinishedDuringAnOutageWhenNeo4jIsBack() throws Exception {
        // given a job with three runs of an earlier life, in the graph through a proxy
        change(job("out.a", 1));
        QName a = QName.parse("out.a");
        Map<QName, List<RunLogRecords.Run>> history = new java.util.concurrent.ConcurrentHashMap<>();
        history.put(a, List.of(earlierRun(a, 3, T0.minusSeconds(60)), earlierRun(a, 2, T0.minusSeconds(120)),
                earlierRun(a, 1, T0.minusSeconds(180))));
        GraphEndpoint direct = server.endpoint();
        try (GraphFaultProxy proxy = new GraphFaultProxy(direct.uri())) {
            AtomicReference<GraphEndpoint> at = new AtomicReference<>(
                    new GraphEndpoint(proxy.uri(), direct.user(), direct.password()));
            // A queue of one run: those that finish while Neo4j is away are dropped from it, the history keeps them.
            mirror = track(new Neo4jMirror(() -> Optional.of(at.get()), sidecar::snapshot,
                    q -> history.getOrDefault(q, List.of()), HOST, STARTED, 50, clock, Duration.ofMillis(50),
                    Duration.ofSeconds(1), 1));
            mirror.start();
            connected(mirror);
            assertThat(runIds("out.a")).containsExactly("3", "2", "1");

            // when Neo4j goes away and five runs finish
            proxy.close();
            finish(history, run("out.a", 1, T0.plusSeconds(1), Optional.empty()));
            Poll.until(() -> assertThat(mirror.status().connected()).isFalse());
            for (long id = 2; id <= 5; id++) {
                finish(history, run("out.a", id, T0.plusSeconds(id), Optional.empty()));
            }
            assertThat(mirror.runsDropped()).isPositive();

            // then, once it is back, they are all in the graph
            at.set(direct);
            Poll.until(() -> assertThat(runIds("out.a")).containsExactly("5", "4", "3", "2", "1", "3", "2", "1"));
        }
        assertThat(mirrorLog.matching(Level.WARN, "graph mirror cannot write to Neo4j")).hasSize(1);
    }

    /** As the host does: the run goes into its run history, newest first, and to the mirror. */
    private void finish(Map<QName, List<RunLogRecords.Run>> history, RunResult result) {
        List<RunLogRecords.Run> runs = new ArrayList<>();
        runs.add(new RunLogRecords.Run(result.job(), STARTED, result.runId(), result.scheduledFor(), result.firedAt(),
                result.finishedAt(), result.attempt(), result.error()));
        runs.addAll(history.getOrDefault(result.job(), List.of()));
        history.put(result.job(), runs);
        mirror.runFinished(result);
    }

    /**
     * runs.a, runs.b and runs.c with 20 runs each of an earlier life (ids 101-120, 201-220, 301-320), ten minutes
     * apart; the newest ended T0-10s, -20s, -30s.
     */
    private Map<QName, List<RunLogRecords.Run>> threeJobsOfTwentyRuns() {
        Map<QName, List<RunLogRecords.Run>> history = new java.util.HashMap<>();
        List<String> names = List.of("runs.a", "runs.b", "runs.c");
        for (int j = 0; j < names.size(); j++) {
            change(job(names.get(j), 1));
            QName q = QName.parse(names.get(j));
            List<RunLogRecords.Run> runs = new ArrayList<>();
            for (int id = 20; id >= 1; id--) {
                runs.add(earlierRun(q, 100L * (j + 1) + id,
                        T0.minusSeconds(10L * (j + 1)).minus(Duration.ofMinutes(10L * (20 - id)))));
            }
            history.put(q, runs);
        }
        return history;
    }

    private static RunLogRecords.Run earlierRun(QName job, long id, Instant finishedAt) {
        Instant started = finishedAt.minusSeconds(1);
        return new RunLogRecords.Run(job, STARTED.minus(Duration.ofHours(1)), id, started, started, finishedAt, 1,
                Optional.empty());
    }

    /** Waits for the mirror's first resync. */
    private static Neo4jMirror connected(Neo4jMirror m) {
        Poll.until(() -> assertThat(m.status().lastSyncAt()).isPresent());
        return m;
    }

    private Neo4jMirror withHistory(java.util.function.Function<QName, List<RunLogRecords.Run>> history) {
        return withHistory(history, 2);
    }

    private Neo4jMirror withHistory(java.util.function.Function<QName, List<RunLogRecords.Run>> history,
                                    int runsPerJob) {
        Neo4jMirror m = track(new Neo4jMirror(() -> Optional.of(server.endpoint()), sidecar::snapshot,
                q -> Optional.ofNullable(history.apply(q)).orElse(List.of()), HOST, STARTED, runsPerJob, clock,
                Duration.ofMillis(50), Duration.ofSeconds(1), 10_000));
        m.start();
        return m;
    }

    // ---------------------------------------------------------------- helpers

    private Neo4jMirror start(int runsPerJob) {
        return start(runsPerJob, () -> Optional.of(server.endpoint()));
    }

    private Neo4jMirror start(int runsPerJob, Supplier<Optional<GraphEndpoint>> endpoint) {
        Neo4jMirror m = track(new Neo4jMirror(endpoint, sidecar::snapshot, HOST, STARTED, runsPerJob, clock,
                Duration.ofMillis(50), Duration.ofSeconds(1), 10_000));
        m.start();
        return m;
    }

    private Neo4jMirror track(Neo4jMirror m) {
        mirrors.add(m);
        return m;
    }

    /** As the engine does: commit to the sidecar, then tell the mirror. */
    private void change(JobRecord record) {
        sidecar.put(record);
        if (mirror != null) {
            mirror.jobChanged(record);
        }
    }

    private List<String> runIds(String qname) {
        return rows("MATCH (:_BackgroundJob {qname: $q})-[:RAN]->(r:_JobRun) RETURN r ORDER BY r.started_at DESC",
                Map.of("q", qname)).stream().map(id -> id.substring(id.lastIndexOf('/') + 1)).toList();
    }

    private List<String> rows(String cypher) {
        return rows(cypher, Map.of());
    }

    private List<String> rows(String cypher, Map<String, Object> params) {
        return server.query(cypher, params).stream().map(r -> {
            Value v = r.get(0);
            return v.type().name().equals("NODE") ? v.asNode().get("run_id").asString() : v.asString();
        }).toList();
    }

    private long count(String cypher) {
        return count(cypher, Map.of());
    }

    private long count(String cypher, Map<String, Object> params) {
        return server.query(cypher, params).get(0).get(0).asLong();
    }

    private Node node(String cypher) {
        List<Record> records = server.query(cypher);
        assertThat(records).hasSize(1);
        return records.get(0).get(0).asNode();
    }

    private static void assertDateTime(Value value, Instant expected) {
        assertThat(value.type().name()).isEqualTo("DATE_TIME");
        ZonedDateTime stored = value.asZonedDateTime();
        assertThat(stored.toInstant()).isEqualTo(expected);
        assertThat(stored.getOffset()).isEqualTo(ZoneOffset.UTC);
    }
}
