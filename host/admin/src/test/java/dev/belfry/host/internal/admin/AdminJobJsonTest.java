package dev.belfry.host.internal.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import dev.belfry.sidecar.JobField;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.RunOutcome;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The keys of a job in the admin API's JSON: what scripts and the CLI read, so they must not change by accident, and
 * every persisted field has one.
 */
class AdminJobJsonTest {
    private static final Instant T0 = Instant.parse("2026-11-23T04:00:00Z");
    private static final QName QNAME = QName.parse("shop.sync");
    private static final JobRecord RECORD = JobRecord.pending(QNAME, "shop", Schedule.every(Duration.ofHours(1)))
            .withEngineState(JobStatus.SCHEDULED, Optional.of(T0.plusSeconds(8)), false, Optional.empty(), true, 3)
            .withRunStarted(T0, 2)
            .withRunEnded(T0.plusSeconds(1), new RunOutcome(false, "boom", Duration.ofSeconds(1)), 1, 1)
            .withCheckpoint(Optional.of("{\"offset\":42}"));
    private static final List<String> LISTED_KEYS = List.of("qname", "plugin", "status", "schedule", "next_fire_at",
            "last_started_at", "last_finished_at", "last_outcome", "consecutive_failures", "run_count",
            "failure_count", "paused", "dynamic", "orphaned_at", "version", "running");

    private final AdminApi api = new AdminApi(new OneJob());

    @Test
    @SuppressWarnings("unchecked")
    void shouldListAJobWithTheKeysScriptsReadAndWithoutItsCheckpoint() {
        List<Map<String, Object>> jobs = (List<Map<String, Object>>) api.handle("GET", URI.create("/jobs"), null)
                .body();

        assertThat(jobs).hasSize(1);
        assertThat(jobs.get(0).keySet()).containsExactlyElementsOf(LISTED_KEYS);
        assertThat(jobs.get(0)).containsEntry("plugin", "shop").containsEntry("run_count", 2L)
                .containsEntry("next_fire_at", "2026-11-23T04:00:08Z").containsEntry("dynamic", true);
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldShowOneJobWithItsRunsAndItsCheckpointLast() {
        Map<String, Object> job = (Map<String, Object>) api.handle("GET", URI.create("/jobs/shop.sync"), null).body();

        List<String> expected = new java.util.ArrayList<>(LISTED_KEYS);
        expected.add("runs");
        expected.add("checkpoint");
        assertThat(job.keySet()).containsExactlyElementsOf(expected);
        assertThat(job).containsEntry("checkpoint", "{\"offset\":42}");
        assertThat((Map<String, Object>) job.get("last_outcome")).containsOnlyKeys("success", "message",
                "duration_ms");
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldShowEveryPersistedFieldInAJobsAnswerUnderItsSidecarNameButThePluginId() {
        Map<String, Object> job = (Map<String, Object>) api.handle("GET", URI.create("/jobs/shop.sync"), null).body();

        for (JobField field : JobField.values()) {
            assertThat(job).as("the admin view of " + field).containsKey(JobJson.key(field));
            if (field != JobField.PLUGIN_ID) {
                assertThat(JobJson.key(field)).isEqualTo(field.jsonName());
            }
        }
        assertThat(JobJson.key(JobField.PLUGIN_ID)).isEqualTo("plugin");
    }

    @Test
    void shouldPlaceEveryPersistedFieldInTheListOrInOneJobsAnswerAlone() {
        List<JobField> placed = new java.util.ArrayList<>(JobJson.LISTED);
        placed.addAll(JobJson.SHOWN_ALONE);

        assertThat(placed).as("a new JobField goes into JobJson.LISTED, or SHOWN_ALONE with the reason why")
                .containsExactlyInAnyOrder(JobField.values());
    }

    /** A host with one job and one finished run of it. */
    @Test
    void shouldAnswerTheReadinessProbeWith503AndTheReasonsWhileTheHostIsNotReady() {
        OneJob backend = new OneJob();
        AdminApi probes = new AdminApi(backend);
        assertThat(probes.handle("GET", URI.create("/readyz"), null)).isEqualTo(new AdminApi.Response(200, "ready\n"));

        backend.notReady = List.of("starting", "state store failing (its last commit failed)");

        assertThat(probes.handle("GET", URI.create("/readyz"), null)).isEqualTo(new AdminApi.Response(503,
                "not ready: starting; state store failing (its last commit failed)\n"));
        assertThat(probes.handle("GET", URI.create("/livez"), null)).isEqualTo(new AdminApi.Response(200, "ok\n"));
    }

    private static final class OneJob implements AdminBackend {
        private List<String> notReady = List.of();

        @Override
        public List<JobSnapshot> jobs() {
            return List.of(new JobSnapshot(RECORD, List.of(), java.util.Optional.empty()));
        }

        @Override
        public Optional<JobSnapshot> job(QName qname) {
            return qname.equals(QNAME) ? Optional.of(jobs().get(0)) : Optional.empty();
        }

        @Override
        public List<RunResult> runs(QName qname) {
            return List.of(new RunResult(QNAME, 1, T0, T0, T0.plusSeconds(1), 1, Optional.of("boom")));
        }

        @Override
        public TriggerOutcome trigger(QName qname) {
            throw new UnsupportedOperationException("not in this test");
        }

        @Override
        public void pause(QName qname) {
            throw new UnsupportedOperationException("not in this test");
        }

        @Override
        public void resume(QName qname) {
            throw new UnsupportedOperationException("not in this test");
        }

        @Override
        public void cancel(QName qname) {
            throw new UnsupportedOperationException("not in this test");
        }

        @Override
        public List<Map<String, Object>> plugins() {
            return List.of();
        }

        @Override
        public PluginSupervisor.ReloadOutcome reload(String pluginId) {
            throw new UnsupportedOperationException("not in this test");
        }

        @Override
        public Map<String, Object> health() {
            return Map.of();
        }

        @Override
        public java.util.List<String> notReady() {
            return notReady;
        }

        @Override
        public String metrics() {
            return "";
        }
    }
}
