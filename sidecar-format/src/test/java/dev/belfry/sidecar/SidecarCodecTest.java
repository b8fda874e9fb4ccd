package dev.belfry.sidecar;

import static dev.belfry.sidecar.Fixtures.bytes;
import static dev.belfry.sidecar.Fixtures.resource;
import static dev.belfry.sidecar.Fixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SidecarCodecTest {
    private final SidecarCodec codec = new SidecarCodec();

    private SidecarDocument roundTrip(SidecarDocument doc) {
        return codec.decode(codec.encode(doc), "roundtrip.json");
    }

    @Test
    void shouldDecodeGoldenFileIntoExpectedRecordsWhenReadingCurrentFormat() {
        SidecarDocument doc = codec.decode(resource("golden/v1-full.json"), "v1-full.json");

        assertThat(doc).isEqualTo(Fixtures.fullDocument());
        assertThat(doc.job(QName.parse("hello-jobs.greeting")).orElseThrow().lastOutcome())
                .contains(new RunOutcome(false, "boom: \"quoted\" and ünïcödé", Duration.ofMillis(12)));
    }

    @Test
    void shouldEncodeExpectedRecordsToGoldenBytesWhenWriting() {
        byte[] encoded = codec.encode(Fixtures.fullDocument());

        assertThat(text(encoded)).isEqualTo(text(resource("golden/v1-full.json")));
        assertThat(encoded).isEqualTo(resource("golden/v1-full.json"));
    }

    @Test
    void shouldEndWithNewlineAndUseOnlyLineFeedsWhenEncoding() {
        String out = text(codec.encode(SidecarDocument.empty(Fixtures.WRITTEN_AT)));

        assertThat(out).doesNotContain("\r");
        assertThat(out).isEqualTo("{\n  \"format\": \"belfry.background-jobs\",\n  \"version\": 1,\n"
                + "  \"written_at\": \"2026-11-23T04:05:06Z\",\n  \"jobs\": []\n}\n");
    }

    @Test
    void shouldRoundTripEveryScheduleKindWhenEncodedAndDecoded() {
        List<Schedule> schedules = List.of(
                Schedule.manual(),
                Schedule.once(Instant.parse("2030-02-03T04:05:06.123456789Z")),
                Schedule.every(Duration.ofMillis(1)),
                Schedule.every(Duration.ofHours(25), PeriodicMode.FIXED_DELAY, Duration.ofMillis(1500)),
                Schedule.cron("*/5 * * * *"),
                Schedule.cron("0 0 3 * * *", ZoneId.of("America/New_York")),
                Schedule.cron("@daily", ZoneOffset.ofHours(2)),
                Schedule.cron("0 3 * * *", ZoneId.of("UTC")));
        List<JobRecord> jobs = new ArrayList<>();
        for (int i = 0; i < schedules.size(); i++) {
            jobs.add(JobRecord.pending(QName.of("p", "job" + i), "p", schedules.get(i)));
        }
        SidecarDocument doc = SidecarDocument.of(Fixtures.WRITTEN_AT, jobs);

        assertThat(roundTrip(doc)).isEqualTo(doc);
    }

    @Test
    void shouldCoverEveryPermittedScheduleKindWhenRoundTripping() {
        // If a new Schedule kind is added, this list (and the codec) must learn about it.
        List<Schedule> oneOfEach = List.of(Schedule.manual(), Schedule.once(Instant.EPOCH),
                Schedule.every(Duration.ofSeconds(1)), Schedule.cron("@hourly"));
        List<Class<?>> covered = oneOfEach.stream().<Class<?>>map(Object::getClass).toList();

        assertThat(covered).containsExactlyInAnyOrder(Schedule.class.getPermittedSubclasses());
        for (Schedule s : oneOfEach) {
            SidecarDocument doc =
                    SidecarDocument.of(Instant.EPOCH, List.of(JobRecord.pending(QName.of("p", "j"), "p", s)));
            assertThat(roundTrip(doc).jobs().get(0).schedule()).isEqualTo(s);
        }
    }

    @Test
    void shouldRoundTripEveryStatusWhenEncodedAndDecoded() {
        List<JobRecord> jobs = new ArrayList<>();
        for (JobStatus s : JobStatus.values()) {
            jobs.add(Fixtures.cronJob().withStatus(s).withSchedule(Schedule.manual()));
        }
        for (int i = 0; i < jobs.size(); i++) {
            JobRecord j = jobs.get(i);
            jobs.set(i, new JobRecord(QName.of("p", "j" + i), j.pluginId(), j.schedule(), j.status(),
                    j.nextFireAt(), j.lastStartedAt(), j.lastFinishedAt(), j.lastOutcome(), j.consecutiveFailures(),
                    j.runCount(), j.failureCount(), j.paused(), j.orphanedAt(), j.dynamic(), j.checkpoint(),
                    j.version(), j.unknown()));
        }
        SidecarDocument doc = SidecarDocument.of(Fixtures.WRITTEN_AT, jobs);

        assertThat(roundTrip(doc)).isEqualTo(doc);
    }

    @Test
    void shouldRoundTripExtremeValuesWhenEncodedAndDecoded() {
        JobRecord job = Fixtures.cronJob()
                .withConsecutiveFailures(Integer.MAX_VALUE)
                .withFailureCount(Long.MAX_VALUE)
                .withVersion(Long.MAX_VALUE)
                .withCheckpoint(Optional.of("x".repeat(JobRecord.MAX_CHECKPOINT_LENGTH - 3) + "\n\t\u0000"))
                .withLastOutcome(Optional.of(new RunOutcome(false, "line1\nline2 \uD83D\uDE00", Duration.ofDays(400))))
                .withNextFireAt(Optional.of(Instant.parse("+12026-01-01T00:00:00Z")));
        SidecarDocument doc = SidecarDocument.of(Instant.parse("1970-01-01T00:00:00.000000001Z"), List.of(job));

        assertThat(roundTrip(doc)).isEqualTo(doc);
    }

    @Test
    void shouldAcceptOmittedOptionalMembersWhenReading() {
        String json = """
                {"format": "belfry.background-jobs", "version": 1, "written_at": "2026-11-23T04:05:06Z",
                 "jobs": [{"qname": "hello-jobs.manual", "plugin_id": "hello-jobs", "schedule": {"type": "manual"},
                           "status": "PENDING", "consecutive_failures": 0, "run_count": 0, "failure_count": 0,
                           "paused": false, "version": 0}]}
                """;

        SidecarDocument doc = codec.decode(bytes(json), "omitted.json");

        assertThat(doc.jobs()).containsExactly(Fixtures.manualJob());
        assertThat(doc.jobs().get(0).orphanedAt()).isEmpty();
        assertThat(doc.jobs().get(0).dynamic()).isFalse();
    }

    @Test
    void shouldReadJobsAsDeclaredAndNotOrphanedWhenFileWasWrittenBeforeOrphanedAtAndDynamicExisted() {
        byte[] older = resource("golden/v1-without-orphaned-at-and-dynamic.json");

        SidecarDocument doc = codec.decode(older, "older.json");

        assertThat(doc).isEqualTo(Fixtures.documentWithoutOrphanedAtAndDynamic());
        assertThat(doc.jobs()).allSatisfy(j -> {
            assertThat(j.orphanedAt()).isEmpty();
            assertThat(j.dynamic()).isFalse();
            assertThat(j.unknown().isEmpty()).isTrue();
        });
        String rewritten = text(codec.encode(doc));
        assertThat(rewritten.split("\"orphaned_at\":null,\"dynamic\":false,", -1)).hasSize(5);
    }

    @Test
    void shouldRoundTripEveryCombinationOfOrphanedAtAndDynamicWhenEncodedAndDecoded() {
        List<Optional<Instant>> orphanTimes = List.of(Optional.empty(), Optional.of(Instant.EPOCH),
                Optional.of(Instant.parse("2026-11-21T09:30:00.123456789Z")));
        List<JobRecord> jobs = new ArrayList<>();
        for (Optional<Instant> at : orphanTimes) {
            for (boolean dynamic : new boolean[] {false, true}) {
                jobs.add(JobRecord.pending(QName.of("p", "j" + jobs.size()), "p", Schedule.manual())
                        .withStatus(at.isPresent() ? JobStatus.ORPHANED : JobStatus.IDLE)
                        .withOrphanedAt(at)
                        .withDynamic(dynamic));
            }
        }
        SidecarDocument doc = SidecarDocument.of(Fixtures.WRITTEN_AT, jobs);

        assertThat(roundTrip(doc)).isEqualTo(doc);
        assertThat(text(codec.encode(doc)))
                .contains("\"paused\":false,\"orphaned_at\":\"2026-11-21T09:30:00.123456789Z\","
                        + "\"dynamic\":true,\"checkpoint\":null,");
    }

    @Test
    void shouldReadOrphanedAtAndDynamicAndWriteThemInPlaceWhenAnOlderBelfryKeptThemAsUnknownMembers() {
        // A Belfry that predates the two members keeps them as unknown ones and writes them after "version".
        String json = """
                {"format": "belfry.background-jobs", "version": 1, "written_at": "2026-11-23T04:05:06Z",
                 "jobs": [{"qname": "hello-jobs.manual", "plugin_id": "hello-jobs", "schedule": {"type": "manual"},
                           "status": "orphaned", "next_fire_at": null, "last_started_at": null,
                           "last_finished_at": null, "last_outcome": null, "consecutive_failures": 0,
                           "run_count": 0, "failure_count": 0, "paused": false, "checkpoint": null, "version": 2,
                           "orphaned_at": "2026-11-21T09:30:00Z", "priority": 7, "dynamic": true}]}
                """;

        SidecarDocument doc = codec.decode(bytes(json), "kept-by-older.json");

        JobRecord job = doc.jobs().get(0);
        assertThat(job.orphanedAt()).contains(Instant.parse("2026-11-21T09:30:00Z"));
        assertThat(job.dynamic()).isTrue();
        assertThat(job.unknown().names()).containsExactly("priority");
        assertThat(text(codec.encode(doc))).contains("\"paused\":false,"
                + "\"orphaned_at\":\"2026-11-21T09:30:00Z\","
                + "\"dynamic\":true,"
                + "\"checkpoint\":null,"
                + "\"version\":2,"
                + "\"priority\":7}\n");
    }

    @Test
    void shouldKeepUnknownMembersByteForByteWhenNewerVersionIsRewritten() {
        byte[] original = resource("golden/v2-unknown-fields.json");

        SidecarDocument doc = codec.decode(original, "v2-unknown-fields.json");

        assertThat(doc.version()).isEqualTo(2);
        assertThat(doc.unknown().names()).containsExactly("host_id", "retention");
        JobRecord job = doc.jobs().get(0);
        assertThat(job.unknown().names()).containsExactly("priority", "tags");
        assertThat(job.runCount()).isEqualTo(5);
        assertThat(text(codec.encode(doc))).isEqualTo(text(original));
    }

    @Test
    void shouldKeepUnknownMembersWhenEngineChangesAJobAndTheDocument() {
        SidecarDocument doc = codec.decode(resource("golden/v2-unknown-fields.json"), "v2.json");
        JobRecord changed = doc.jobs().get(0).withRunCount(6).withStatus(JobStatus.RUNNING).withVersion(4);

        SidecarDocument rewritten = codec.decode(
                codec.encode(doc.withJobs(List.of(changed), Instant.parse("2026-11-24T00:00:00Z"))), "again.json");

        assertThat(rewritten.unknown()).isEqualTo(doc.unknown());
        assertThat(rewritten.jobs().get(0).unknown()).isEqualTo(doc.jobs().get(0).unknown());
        assertThat(rewritten.jobs().get(0).runCount()).isEqualTo(6);
        assertThat(text(codec.encode(rewritten))).contains("\"big\":123456789012345678901234567890")
                .contains("\"weight\":1.50").contains("\"host_id\": \"node-17\"");
    }

    @Test
    void shouldReadLegacyArrayAsPendingJobsWhenFileIsBareArray() {
        SidecarDocument doc = codec.decode(resource("golden/legacy.json"), "legacy.json");

        assertThat(doc.version()).isEqualTo(SidecarDocument.CURRENT_VERSION);
        assertThat(doc.writtenAt()).isEqualTo(Instant.EPOCH);
        assertThat(doc.unknown().isEmpty()).isTrue();
        assertThat(doc.jobs()).containsExactly(
                JobRecord.pending(QName.parse("hello-jobs.greeting"), "hello-jobs", Schedule.manual())
                        .withConsecutiveFailures(4),
                JobRecord.pending(QName.parse("hello-jobs.tick"), "hello-jobs",
                                Schedule.every(Duration.ofMinutes(5)))
                        .withNextFireAt(Optional.of(Instant.parse("2025-06-01T12:00:00Z"))),
                JobRecord.pending(QName.parse("reports.nightly.build"), "reports.nightly",
                                Schedule.cron("0 2 * * *", ZoneId.of("UTC")))
                        .withConsecutiveFailures(1));
        assertThat(doc.jobs()).allSatisfy(j -> {
            assertThat(j.orphanedAt()).isEmpty();
            assertThat(j.dynamic()).isFalse();
        });
    }

    @Test
    void shouldWriteLegacyDocumentInCurrentFormatWhenReencoded() {
        SidecarDocument legacy = codec.decode(resource("golden/legacy.json"), "legacy.json");

        String out = text(codec.encode(legacy));

        assertThat(out).startsWith("{\n  \"format\": \"belfry.background-jobs\",\n  \"version\": 1,");
        assertThat(codec.decode(bytes(out), "converted.json")).isEqualTo(legacy);
    }

    @Test
    void shouldReadEmptyLegacyArrayAsEmptyDocument() {
        assertThat(codec.decode(bytes(" [ ] "), "legacy.json").jobs()).isEmpty();
    }

    @Test
    void shouldIgnoreByteOrderMarkWhenReading() {
        byte[] golden = resource("golden/v1-full.json");
        byte[] withBom = new byte[golden.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(golden, 0, withBom, 3, golden.length);

        assertThat(codec.decode(withBom, "bom.json")).isEqualTo(Fixtures.fullDocument());
    }

    @Test
    void shouldTruncateOutcomeDurationToMillisecondsSoRoundTripIsExact() {
        RunOutcome outcome = new RunOutcome(true, "", Duration.ofNanos(12_345_678));

        assertThat(outcome.duration()).isEqualTo(Duration.ofMillis(12));
    }
}
