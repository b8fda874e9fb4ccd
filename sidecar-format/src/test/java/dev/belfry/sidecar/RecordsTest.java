package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecordsTest {
    private static final QName Q = QName.parse("hello-jobs.greeting");

    @Test
    void shouldWriteLowerSnakeCaseWhenStatusIsSerialised() {
        assertThat(JobStatus.FAILED_RETRYING.jsonName()).isEqualTo("failed_retrying");
        assertThat(JobStatus.ORPHANED.jsonName()).isEqualTo("orphaned");
    }

    @Test
    void shouldParseStatusInAnyCaseWhenReading() {
        assertThat(JobStatus.fromJsonName("failed_retrying")).isEqualTo(JobStatus.FAILED_RETRYING);
        assertThat(JobStatus.fromJsonName("FAILED_RETRYING")).isEqualTo(JobStatus.FAILED_RETRYING);
        assertThat(JobStatus.fromJsonName("Paused")).isEqualTo(JobStatus.PAUSED);
        assertThatThrownBy(() -> JobStatus.fromJsonName("sleeping"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"sleeping\"").hasMessageContaining("failed_retrying");
    }

    @Test
    void shouldStartPendingAndEmptyWhenJobIsNew() {
        JobRecord job = JobRecord.pending(Q, "hello-jobs", Schedule.manual());

        assertThat(job.status()).isEqualTo(JobStatus.PENDING);
        assertThat(job.nextFireAt()).isEmpty();
        assertThat(job.lastOutcome()).isEmpty();
        assertThat(job.runCount()).isZero();
        assertThat(job.version()).isZero();
        assertThat(job.orphanedAt()).isEmpty();
        assertThat(job.dynamic()).isFalse();
        assertThat(job.unknown().isEmpty()).isTrue();
    }

    @Test
    void shouldChangeOnlyOrphanedAtOrDynamicAndNotTheVersionWhenCopying() {
        JobRecord job = Fixtures.cronJob();
        Instant gone = Instant.parse("2026-11-21T09:30:00Z");

        JobRecord orphaned = job.withStatus(JobStatus.ORPHANED).withOrphanedAt(Optional.of(gone));
        JobRecord dynamic = job.withDynamic(true);

        assertThat(orphaned.orphanedAt()).contains(gone);
        assertThat(orphaned.dynamic()).isFalse();
        assertThat(orphaned.version()).isEqualTo(job.version());
        assertThat(orphaned.withStatus(job.status()).withOrphanedAt(Optional.empty())).isEqualTo(job);
        assertThat(dynamic.dynamic()).isTrue();
        assertThat(dynamic.orphanedAt()).isEmpty();
        assertThat(dynamic.version()).isEqualTo(job.version());
        assertThat(dynamic.withDynamic(false)).isEqualTo(job);
        assertThat(dynamic.withStatus(JobStatus.RUNNING).withRunCount(9).withVersion(8).dynamic()).isTrue();
        assertThat(orphaned.withPaused(false).withCheckpoint(Optional.empty()).orphanedAt()).contains(gone);
    }

    @Test
    void shouldRejectNullOrphanedAtWhenCopying() {
        assertThatThrownBy(() -> Fixtures.cronJob().withOrphanedAt(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("orphanedAt");
    }

    @Test
    void shouldChangeOnlyTheNamedFieldAndNotTheVersionWhenCopying() {
        JobRecord job = Fixtures.cronJob();

        JobRecord changed = job.withStatus(JobStatus.RUNNING)
                .withLastStartedAt(Optional.of(Instant.EPOCH))
                .withRunCount(4);

        assertThat(changed.version()).isEqualTo(job.version());
        assertThat(changed.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(changed.runCount()).isEqualTo(4);
        assertThat(changed.withStatus(job.status()).withLastStartedAt(job.lastStartedAt()).withRunCount(3))
                .isEqualTo(job);
        assertThat(changed.withVersion(8).version()).isEqualTo(8);
    }

    @Test
    void shouldRejectNegativeCountersWhenConstructing() {
        JobRecord job = Fixtures.cronJob();

        assertThatThrownBy(() -> job.withRunCount(-1)).hasMessageContaining("runCount").hasMessageContaining("-1");
        assertThatThrownBy(() -> job.withFailureCount(-2)).hasMessageContaining("failureCount");
        assertThatThrownBy(() -> job.withConsecutiveFailures(-3)).hasMessageContaining("consecutiveFailures");
        assertThatThrownBy(() -> job.withVersion(-4)).hasMessageContaining("version");
    }

    @Test
    void shouldRejectCheckpointOverLimitWhenConstructing() {
        JobRecord job = Fixtures.cronJob();

        assertThat(job.withCheckpoint(Optional.of("x".repeat(JobRecord.MAX_CHECKPOINT_LENGTH))).checkpoint())
                .hasValueSatisfying(c -> assertThat(c).hasSize(65_536));
        assertThatThrownBy(() -> job.withCheckpoint(Optional.of("x".repeat(JobRecord.MAX_CHECKPOINT_LENGTH + 1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65537");
    }

    @Test
    void shouldRejectInvalidPluginIdWhenConstructing() {
        assertThatThrownBy(() -> JobRecord.pending(Q, "bad id", Schedule.manual()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad id");
    }

    @Test
    void shouldRejectNegativeDurationWhenRecordingOutcome() {
        assertThatThrownBy(() -> new RunOutcome(true, "", Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRejectDuplicateQnamesWhenBuildingDocument() {
        JobRecord a = JobRecord.pending(Q, "hello-jobs", Schedule.manual());

        assertThatThrownBy(() -> SidecarDocument.of(Instant.EPOCH, List.of(a, Fixtures.manualJob(), a)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hello-jobs.greeting").hasMessageContaining("0 and 2");
    }

    @Test
    void shouldFindJobByQnameAndKeepVersionAndUnknownWhenReplacingJobs() {
        SidecarDocument doc = new SidecarCodec().decode(Fixtures.resource("golden/v2-unknown-fields.json"), "v2");

        SidecarDocument changed = doc.withJobs(List.of(Fixtures.manualJob()), Instant.EPOCH);

        assertThat(changed.version()).isEqualTo(2);
        assertThat(changed.unknown()).isEqualTo(doc.unknown());
        assertThat(changed.job(Fixtures.manualJob().qname())).contains(Fixtures.manualJob());
        assertThat(changed.job(Q)).isEmpty();
        assertThatThrownBy(() -> changed.jobs().add(Fixtures.cronJob()))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void shouldExposeOnlyNamesWhenHoldingUnknownFields() {
        assertThat(UnknownFields.none().isEmpty()).isTrue();
        assertThat(UnknownFields.none().names()).isEmpty();
        SidecarDocument doc = new SidecarCodec().decode(Fixtures.resource("golden/v2-unknown-fields.json"), "v2");

        assertThat(doc.unknown().toString()).isEqualTo("UnknownFields[host_id, retention]");
        assertThatThrownBy(() -> doc.unknown().names().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void shouldFormatOneLineMessageWhenFormatExceptionIsCreated() {
        SidecarFormatException e = new SidecarFormatException("background_jobs.json", 14, 25, "jobs[3].next_fire_at",
                "expected an ISO-8601 instant, found \"yesterday\"");

        assertThat(e.getMessage()).isEqualTo("background_jobs.json:14:25: jobs[3].next_fire_at: "
                + "expected an ISO-8601 instant, found \"yesterday\"");
    }

    @Test
    void shouldTellEveryComponentButVersionApartWhenComparingIgnoringVersion() throws Exception {
        JobRecord base = JobRecord.pending(Q, "hello-jobs", Schedule.manual());
        java.lang.reflect.RecordComponent[] components = JobRecord.class.getRecordComponents();
        Class<?>[] types = java.util.Arrays.stream(components).map(java.lang.reflect.RecordComponent::getType)
                .toArray(Class<?>[]::new);
        java.lang.reflect.Constructor<JobRecord> canonical = JobRecord.class.getDeclaredConstructor(types);
        for (int i = 0; i < components.length; i++) {
            Object[] args = new Object[components.length];
            for (int j = 0; j < components.length; j++) {
                args[j] = components[j].getAccessor().invoke(base);
            }
            args[i] = otherValue(components[i].getName(), args[i]);
            JobRecord changed = canonical.newInstance(args);

            boolean versionOnly = components[i].getName().equals("version");
            assertThat(changed.equalsIgnoringVersion(base)).as(components[i].getName()).isEqualTo(versionOnly);
            assertThat(base.equalsIgnoringVersion(changed)).as(components[i].getName()).isEqualTo(versionOnly);
        }
        assertThat(base.equalsIgnoringVersion(base.withVersion(9))).isTrue();
        assertThat(base.equalsIgnoringVersion(null)).isFalse();
    }

    // A value of the component's type that differs from the pending record's.
    private static Object otherValue(String component, Object value) {
        if (value instanceof QName) {
            return QName.parse("hello-jobs.other");
        } else if (value instanceof String) {
            return "other-plugin";
        } else if (value instanceof Schedule) {
            return Schedule.once(Instant.parse("2027-01-01T00:00:00Z"));
        } else if (value instanceof JobStatus) {
            return JobStatus.SCHEDULED;
        } else if (value instanceof Optional) {
            return component.equals("lastOutcome") ? Optional.of(new RunOutcome(true, "", Duration.ZERO))
                    : component.equals("checkpoint") ? Optional.of("c")
                    : Optional.of(Instant.parse("2027-01-01T00:00:00Z"));
        } else if (value instanceof Integer i) {
            return i + 1;
        } else if (value instanceof Long l) {
            return l + 1;
        } else if (value instanceof Boolean b) {
            return !b;
        } else if (value instanceof UnknownFields) {
            return UnknownFields.of(java.util.Map.of("x", new JsonTree.Null(0)));
        }
        throw new IllegalStateException("no other value for component " + component + " of " + value.getClass());
    }

    @Test
    void shouldRefuseTwoJobsWithOneNameWhetherTheJobsAreSortedByNameOrNot() {
        JobRecord a = JobRecord.pending(QName.of("p", "a"), "p", Schedule.manual());
        JobRecord b = JobRecord.pending(QName.of("p", "b"), "p", Schedule.manual());
        JobRecord c = JobRecord.pending(QName.of("p", "c"), "p", Schedule.manual());
        Instant at = Instant.EPOCH;

        assertThatThrownBy(() -> SidecarDocument.of(at, List.of(a, b, b.withVersion(3), c)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("duplicate job p.b at positions 1 and 2");
        assertThatThrownBy(() -> SidecarDocument.of(at, List.of(b, c, a, b.withVersion(3))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("duplicate job p.b at positions 0 and 3");
        assertThatThrownBy(() -> SidecarDocument.of(at, List.of(a, b, c, a)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("duplicate job p.a at positions 0 and 3");
        assertThat(SidecarDocument.of(at, List.of(c, a, b)).jobs()).containsExactly(c, a, b);
        assertThat(SidecarDocument.of(at, List.of(a, b, c)).jobs()).containsExactly(a, b, c);
    }
}
