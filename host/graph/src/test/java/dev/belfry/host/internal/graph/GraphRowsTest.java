package dev.belfry.host.internal.graph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.api.QName;
import dev.belfry.sidecar.JobField;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.RunOutcome;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** How host values become graph rows, without Neo4j. */
class GraphRowsTest {
    // How the job statements name a node's properties and a row's keys.
    private static final Pattern JOB_PROPERTY = Pattern.compile("\\bj\\.([a-z_]+)");
    private static final Pattern JOB_KEY = Pattern.compile("_BackgroundJob \\{([a-z_]+):");
    private static final Pattern ROW_KEY = Pattern.compile("\\brow\\.([a-z_]+)");

    @Test
    void shouldDescribeEveryScheduleKind() {
        List<Schedule> examples = List.of(Schedule.manual(), Schedule.once(Instant.parse("2027-01-01T00:00:00Z")),
                Schedule.every(Duration.ofSeconds(10), PeriodicMode.FIXED_DELAY, Duration.ofSeconds(5)),
                Schedule.cron("0 3 * * *", ZoneId.of("Europe/Berlin")));
        assertThat(examples).<Class<?>>extracting(s -> s.getClass())
                .as("a new schedule kind needs a graph form").containsExactlyInAnyOrder(
                        Schedule.class.getPermittedSubclasses());

        assertThat(examples).extracting(GraphRows::scheduleType).containsExactly("manual", "once", "periodic", "cron");
        assertThat(examples).extracting(GraphRows::scheduleText).containsExactly("manual", "2027-01-01T00:00:00Z",
                "every PT10S fixed_delay after PT5S", "0 3 * * *");
        assertThat(GraphRows.scheduleText(Schedule.every(Duration.ofMinutes(5)))).isEqualTo("every PT5M fixed_rate");
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldGiveRunsAnIdUniqueAcrossRestartsAndUtcDateTimes() {
        Instant fired = Instant.parse("2026-11-23T04:05:06.123Z");
        RunResult result = new RunResult(QName.parse("p.a"), 42, fired.minusSeconds(1), fired, fired.plusMillis(1500),
                2, Optional.of("boom"));

        Map<String, Object> row = GraphRows.run(result, GraphRows.runPrefix("h1", Instant.ofEpochMilli(1_000)));

        assertThat(row.get("run_id")).isEqualTo("h1/1000/42");
        Map<String, Object> props = (Map<String, Object>) row.get("props");
        assertThat(props.get("started_at")).isEqualTo(OffsetDateTime.of(2026, 11, 23, 4, 5, 6, 123_000_000,
                ZoneOffset.UTC));
        assertThat(props).containsEntry("duration_ms", 1500L).containsEntry("outcome", "failed")
                .containsEntry("error", "boom").containsEntry("attempt", 2L);
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldMarkARunCutOffByItsPluginStoppingAsCancelledNotFailed() {
        Instant fired = Instant.parse("2026-11-23T04:05:06Z");
        RunResult result = new RunResult(QName.parse("p.a"), 7, fired, fired, fired.plusSeconds(1), 1,
                Optional.of("cancelled: plugin p is stopping"));

        Map<String, Object> props = (Map<String, Object>) GraphRows.run(result, "h1/1000/").get("props");

        assertThat(props).containsEntry("outcome", "cancelled").containsEntry("error", "cancelled: plugin p is stopping");
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldWriteAJobWithThePropertyNamesOperatorsQueryAndWithoutItsCheckpoint() {
        JobRecord record = TestJobs.job("ch.a", 4).withCheckpoint(Optional.of("{\"offset\":42}"));

        Map<String, Object> row = GraphRows.job(record);

        assertThat(row.keySet()).containsExactlyInAnyOrder("qname", "plugin_id", "version", "props");
        assertThat(((Map<String, Object>) row.get("props")).keySet()).containsExactlyInAnyOrder("qname",
                "namespace", "name", "plugin_id", "status", "schedule_type", "schedule", "zone", "next_fire_at",
                "last_started_at", "last_finished_at", "last_outcome", "last_duration_ms", "consecutive_failures",
                "run_count", "failure_count", "paused", "dynamic", "orphaned_at", "version");
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldMirrorEveryPersistedFieldUnderItsSidecarNameButTheCheckpoint() {
        Map<String, Object> props = (Map<String, Object>) GraphRows.job(TestJobs.job("ch.a", 4)).get("props");

        List<JobField> notMirrored = Arrays.stream(JobField.values())
                .filter(f -> !props.containsKey(f.jsonName())).toList();

        assertThat(notMirrored).as("a job's checkpoint is its private text; every other field is a node property")
                .containsExactly(JobField.CHECKPOINT);
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldNameInTheJobCypherOnlyPropertiesAndRowKeysTheRowsHave() {
        JobRecord record = TestJobs.job("ch.a", 4);
        Map<String, Object> row = GraphRows.job(record);
        Set<String> properties = new TreeSet<>(((Map<String, ?>) row.get("props")).keySet());
        properties.add("updated_at"); // set by the statements themselves
        Set<String> rowKeys = new TreeSet<>(row.keySet());
        rowKeys.addAll(GraphRows.jobChanges(record, record.withVersion(5)).keySet());
        List<String> jobStatements = List.of(GraphWriter.SCHEMA.get(0), GraphWriter.UPSERT_JOBS,
                GraphWriter.UPDATE_JOBS, GraphWriter.DELETE_JOBS, GraphWriter.DELETE_JOBS_EXCEPT,
                GraphWriter.INSERT_RUNS, GraphWriter.TRIM_RUNS);

        Set<String> named = new TreeSet<>();
        for (String cypher : jobStatements) {
            named.addAll(matches(JOB_PROPERTY, cypher));
            named.addAll(matches(JOB_KEY, cypher));
        }
        Set<String> rowNamed = new TreeSet<>(matches(ROW_KEY, GraphWriter.UPSERT_JOBS));
        rowNamed.addAll(matches(ROW_KEY, GraphWriter.UPDATE_JOBS));

        assertThat(named).contains("qname", "version").isSubsetOf(properties);
        assertThat(rowNamed).contains("qname", "plugin_id", "version", "props", "base_version").isSubsetOf(rowKeys);
    }

    private static List<String> matches(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void shouldBeANoOpWhenTheMirrorIsOff() {
        GraphMirror off = GraphMirror.off();
        off.jobChanged(TestJobs.job("p.a", 1));
        off.close();
        assertThat(off.status().enabled()).isFalse();
        assertThat(off.status().queueDepth()).isZero();
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldSendOnlyWhatChangedSinceTheLastWrittenRecordWithItsVersionAsTheBase() {
        JobRecord before = TestJobs.job("ch.a", 4).withRunStarted(TestJobs.T0, 1).withStatus(JobStatus.RUNNING);
        JobRecord after = before.withRunEnded(TestJobs.T0.plusSeconds(2), new RunOutcome(true, "", Duration.ZERO), 0, 0)
                .withStatus(JobStatus.SCHEDULED).withNextFireAt(Optional.empty()).withVersion(5);

        Map<String, Object> row = GraphRows.jobChanges(before, after);

        assertThat(row).containsEntry("qname", "ch.a").containsEntry("version", 5L).containsEntry("base_version", 4L);
        Map<String, Object> props = (Map<String, Object>) row.get("props");
        assertThat(props.keySet()).containsExactlyInAnyOrder("status", "next_fire_at", "last_finished_at",
                "last_outcome", "last_duration_ms", "version");
        assertThat(props).containsEntry("status", "scheduled").containsEntry("next_fire_at", null)
                .containsEntry("last_outcome", "success").containsEntry("version", 5L);
        // every property of the whole row that is left out has the value the node already has
        Map<String, Object> whole = (Map<String, Object>) GraphRows.job(after).get("props");
        Map<String, Object> old = (Map<String, Object>) GraphRows.job(before).get("props");
        whole.forEach((name, value) -> {
            if (!props.containsKey(name)) {
                assertThat(old.get(name)).as(name).isEqualTo(value);
            }
        });
    }
}
