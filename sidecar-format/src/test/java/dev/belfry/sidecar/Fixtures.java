package dev.belfry.sidecar;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;

// Shared test data: the documents the golden files describe.
final class Fixtures {
    static final Instant WRITTEN_AT = Instant.parse("2026-11-23T04:05:06Z");

    private Fixtures() {
    }

    static JobRecord cronJob() {
        return new JobRecord(QName.parse("hello-jobs.greeting"), "hello-jobs",
                Schedule.cron("0 3 * * *", ZoneId.of("Europe/Berlin")), JobStatus.FAILED_RETRYING,
                Optional.of(Instant.parse("2026-11-24T02:00:00Z")),
                Optional.of(Instant.parse("2026-11-23T02:00:00.125Z")),
                Optional.of(Instant.parse("2026-11-23T02:00:00.137Z")),
                Optional.of(new RunOutcome(false, "boom: \"quoted\" and ünïcödé", Duration.ofMillis(12))),
                2, 3, 1, true, Optional.empty(), false, Optional.of("{\"offset\":42}"), 7, UnknownFields.none());
    }

    static JobRecord manualJob() {
        return JobRecord.pending(QName.parse("hello-jobs.manual"), "hello-jobs", Schedule.manual());
    }

    static JobRecord onceJob() {
        Instant at = Instant.parse("2027-01-01T00:00:00Z");
        return JobRecord.pending(QName.parse("reports.nightly.once"), "reports.nightly", Schedule.once(at))
                .withStatus(JobStatus.SCHEDULED)
                .withNextFireAt(Optional.of(at))
                .withDynamic(true)
                .withVersion(1);
    }

    static JobRecord periodicJob() {
        return JobRecord.pending(QName.parse("reports.nightly.tick"), "reports.nightly",
                        Schedule.every(Duration.ofSeconds(10), PeriodicMode.FIXED_DELAY, Duration.ofSeconds(90)))
                .withStatus(JobStatus.IDLE)
                .withNextFireAt(Optional.of(Instant.parse("2026-11-23T04:05:16Z")))
                .withLastStartedAt(Optional.of(Instant.parse("2026-11-23T04:05:05Z")))
                .withLastFinishedAt(Optional.of(Instant.parse("2026-11-23T04:05:06Z")))
                .withLastOutcome(Optional.of(new RunOutcome(true, "", Duration.ofSeconds(1))))
                .withRunCount(Long.MAX_VALUE)
                .withCheckpoint(Optional.of(""))
                .withVersion(42);
    }

    /** A job added at run time whose plugin has gone away: the only one with orphaned_at set. */
    static JobRecord orphanedJob() {
        return JobRecord.pending(QName.parse("retired-plugin.cleanup"), "retired-plugin",
                        Schedule.cron("@daily", ZoneId.of("UTC")))
                .withStatus(JobStatus.ORPHANED)
                .withLastStartedAt(Optional.of(Instant.parse("2026-11-20T00:00:00Z")))
                .withLastFinishedAt(Optional.of(Instant.parse("2026-11-20T00:00:01.500Z")))
                .withLastOutcome(Optional.of(new RunOutcome(true, "", Duration.ofMillis(1500))))
                .withRunCount(12)
                .withOrphanedAt(Optional.of(Instant.parse("2026-11-21T09:30:00Z")))
                .withDynamic(true)
                .withVersion(13);
    }

    /** The document in golden/v1-full.json. */
    static SidecarDocument fullDocument() {
        return SidecarDocument.of(WRITTEN_AT,
                List.of(cronJob(), manualJob(), onceJob(), periodicJob(), orphanedJob()));
    }

    /**
     * The document in golden/v1-without-orphaned-at-and-dynamic.json, a file written before those members existed:
     * the first four jobs of {@link #fullDocument()}, none of them dynamic or orphaned.
     */
    static SidecarDocument documentWithoutOrphanedAtAndDynamic() {
        return SidecarDocument.of(WRITTEN_AT,
                List.of(cronJob(), manualJob(), onceJob().withDynamic(false), periodicJob()));
    }

    static byte[] resource(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
