package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
    @TempDir
    Path dir;

    private static final Instant T = Instant.parse("2026-12-06T10:15:30.123456789Z");

    private static JobRecord job(String name, long runs) {
        return JobRecord.pending(QName.of("demo", name), "demo", new Schedule.Manual()).withRunCount(runs);
    }

    private static byte[] put(JobRecord job) {
        JournalRecords.Encoder e = new JournalRecords.Encoder();
        e.put(job);
        return e.toByteArray();
    }

    private static byte[] remove(String name) {
        JournalRecords.Encoder e = new JournalRecords.Encoder();
        e.remove(QName.of("demo", name));
        return e.toByteArray();
    }

    private Path segment(long generation, byte[]... records) throws IOException {
        Path file = Journal.segment(dir, generation);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            JournalWriter w = new JournalWriter(ch);
            w.writeHeader(generation);
            for (byte[] r : records) {
                w.append(r);
            }
            w.sync();
        }
        return file;
    }

    private static SidecarDocument checkpoint(long generation, JobRecord... jobs) {
        return SidecarDocument.of(T, List.of(jobs)).withJournalGeneration(generation);
    }

    @Test
    void shouldReadBackEveryFieldOfEveryScheduleKind() {
        List<Schedule> schedules = List.of(new Schedule.Manual(), new Schedule.Once(T),
                new Schedule.Periodic(Duration.ofMillis(1500), PeriodicMode.FIXED_DELAY, Duration.ofSeconds(7)),
                new Schedule.Cron("0 30 2 * * ?", ZoneId.of("Europe/Berlin")),
                new Schedule.Once(Instant.parse("1969-07-20T20:17:40Z")));
        JournalRecords.Decoder d = new JournalRecords.Decoder();
        for (Schedule s : schedules) {
            JobRecord full = JobRecord.pending(QName.of("ns-ü", "jöb-ß"), "ns-ü", s)
                    .withStatus(JobStatus.FAILED_RETRYING).withNextFireAt(Optional.of(T))
                    .withLastStartedAt(Optional.of(T.minusSeconds(5))).withLastFinishedAt(Optional.of(T.minusNanos(1)))
                    .withLastOutcome(Optional.of(new RunOutcome(false, "boom: ∆", Duration.ofMillis(1234))))
                    .withConsecutiveFailures(3).withRunCount(Long.MAX_VALUE).withFailureCount(1L << 40)
                    .withPaused(true).withOrphanedAt(Optional.of(T.plusSeconds(1))).withDynamic(true)
                    .withCheckpoint(Optional.of("{\"offset\": 42, \"note\": \"ß\"}")).withVersion(99);
            byte[] bytes = put(full);

            JournalRecords.Change back = d.decode(bytes, 0, bytes.length);

            assertThat(back).isEqualTo(new JournalRecords.Put(full));
            JobRecord bare = JobRecord.pending(QName.of("a", "b"), "a", s);
            byte[] small = put(bare);
            assertThat(d.decode(small, 0, small.length)).isEqualTo(new JournalRecords.Put(bare));
        }
    }

    @Test
    void shouldKeepUnknownMembersOfANewerWriter() {
        SidecarDocument doc = new SidecarCodec().decode(("{\"format\":\"belfry.background-jobs\",\"version\":2,"
                + "\"written_at\":\"2026-12-06T00:00:00Z\",\"jobs\":[{\"qname\":\"a.b\",\"plugin_id\":\"a\","
                + "\"schedule\":{\"type\":\"manual\"},\"status\":\"pending\",\"next_fire_at\":null,"
                + "\"last_started_at\":null,\"last_finished_at\":null,\"last_outcome\":null,"
                + "\"consecutive_failures\":0,\"run_count\":0,\"failure_count\":0,\"paused\":false,"
                + "\"orphaned_at\":null,\"dynamic\":false,\"checkpoint\":null,\"version\":1,"
                + "\"priority\":{\"level\":1.50,\"tags\":[\"x\",null,true]}}]}").getBytes(), "test");
        JobRecord job = doc.jobs().get(0);
        assertThat(job.unknown().isEmpty()).isFalse();
        byte[] bytes = put(job);

        JournalRecords.Change back = new JournalRecords.Decoder().decode(bytes, 0, bytes.length);

        assertThat(back).isEqualTo(new JournalRecords.Put(job));
    }

    @Test
    void shouldRefuseARecordThatDoesNotDecode() {
        byte[] good = put(job("a", 1));
        JournalRecords.Decoder d = new JournalRecords.Decoder();

        assertThatThrownBy(() -> d.decode(new byte[] {'X'}, 0, 1)).hasMessageContaining("unknown record kind 0x58");
        assertThatThrownBy(() -> d.decode(good, 0, good.length - 1)).hasMessageContaining("cut short");
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> d.decode(longer, 0, longer.length)).hasMessageContaining("1 byte(s) left");
    }

    @Test
    void shouldReplaySegmentsFromTheCheckpointsGenerationInOrderLastRecordWinning() throws IOException {
        segment(2, put(job("old", 100))); // already in checkpoint 3: must not be replayed over it
        segment(3, put(job("a", 1)), put(job("b", 1)), put(job("a", 2)));
        segment(4, remove("b"), put(job("c", 1)), put(job("a", 3)));

        Journal.Recovery r = Journal.recover(checkpoint(3, job("old", 5), job("b", 0)), dir, false);

        assertThat(r.jobs()).containsOnlyKeys(QName.of("demo", "old"), QName.of("demo", "a"), QName.of("demo", "c"));
        assertThat(r.jobs().get(QName.of("demo", "old")).runCount()).isEqualTo(5);
        assertThat(r.jobs().get(QName.of("demo", "a")).runCount()).isEqualTo(3);
        assertThat(r.records()).isEqualTo(6);
        assertThat(r.obsolete()).extracting(Journal.SegmentFile::generation).containsExactly(2L);
        assertThat(r.replayed()).extracting(Journal.SegmentFile::generation).containsExactly(3L, 4L);
        assertThat(r.tornTail()).isEmpty();
        assertThat(r.nextGeneration()).isEqualTo(5);
    }

    @Test
    void shouldStartAtTheCheckpointsGenerationWhenNoSegmentFollowsIt() throws IOException {
        Journal.Recovery r = Journal.recover(checkpoint(7, job("a", 1)), dir, false);

        assertThat(r.jobs()).containsOnlyKeys(QName.of("demo", "a"));
        assertThat(r.nextGeneration()).isEqualTo(7);
    }

    @Test
    void shouldStopAtATornTailAtEveryByteOffsetOfTheLastRecord() throws IOException {
        byte[] last = put(job("a", 2));
        Path file = segment(0, put(job("a", 1)), put(job("b", 1)), last);
        byte[] whole = Files.readAllBytes(file);
        int lastStart = whole.length - JournalSegment.FRAME_BYTES - last.length;
        for (int cut = lastStart; cut < whole.length; cut++) {
            Files.write(file, Arrays.copyOf(whole, cut));

            Journal.Recovery r = Journal.recover(checkpoint(0), dir, false);

            assertThat(r.jobs().get(QName.of("demo", "a")).runCount()).as("cut at %d", cut).isEqualTo(1);
            assertThat(r.jobs()).as("cut at %d", cut).containsKey(QName.of("demo", "b"));
            if (cut == lastStart) {
                assertThat(r.tornTail()).as("cut exactly after a record").isEmpty();
            } else {
                assertThat(r.tornTail()).as("cut at %d", cut).hasValueSatisfying(t -> {
                    assertThat(t.validLength()).isEqualTo(lastStart);
                    assertThat(t.segment().generation()).isZero();
                });
            }
        }
        Files.write(file, whole);
        assertThat(Journal.recover(checkpoint(0), dir, false).jobs().get(QName.of("demo", "a")).runCount())
                .isEqualTo(2);
    }

    @Test
    void shouldRefuseABadChecksumInTheMiddleNamingTheFileAndOffset() throws IOException {
        byte[] first = put(job("a", 1));
        Path file = segment(0, first, put(job("b", 1)), put(job("c", 1)));
        byte[] bytes = Files.readAllBytes(file);
        int second = JournalSegment.HEADER_BYTES + JournalSegment.FRAME_BYTES + first.length;
        bytes[second + JournalSegment.FRAME_BYTES + 3] ^= 0x10;
        Files.write(file, bytes);

        assertThatThrownBy(() -> Journal.recover(checkpoint(0), dir, false))
                .isInstanceOfSatisfying(JournalFormatException.class, e -> {
                    assertThat(e.file()).isEqualTo(file.toString());
                    assertThat(e.offset()).isEqualTo(second);
                    assertThat(e.getMessage()).isEqualTo(file + "@" + second
                            + ": record checksum mismatch; more data follows, segment refused");
                });
    }

    @Test
    void shouldRefuseATornRecordFollowedByALaterSegmentWithChanges() throws IOException {
        Path first = segment(0, put(job("a", 1)), put(job("a", 2)));
        byte[] bytes = Files.readAllBytes(first);
        Files.write(first, Arrays.copyOf(bytes, bytes.length - 3));
        segment(1);                       // header only: allowed after a torn tail
        Journal.Recovery ok = Journal.recover(checkpoint(0), dir, false);
        assertThat(ok.tornTail()).isPresent();
        segment(2, put(job("b", 1)));     // but later changes mean the torn record was not the end

        assertThatThrownBy(() -> Journal.recover(checkpoint(0), dir, false))
                .isInstanceOf(JournalFormatException.class)
                .hasMessageContaining("torn record in the middle of the journal (segment 2 holds later changes)")
                .hasMessageStartingWith(first.toString());
    }

    @Test
    void shouldRefuseAMissingSegmentUnlessTheCheckpointIsTheBackup() throws IOException {
        segment(5, put(job("a", 1)));
        segment(7, put(job("a", 3)));

        assertThatThrownBy(() -> Journal.recover(checkpoint(5), dir, false))
                .isInstanceOf(JournalFormatException.class)
                .hasMessageContaining("journal segment 6 is missing");
        assertThatThrownBy(() -> Journal.recover(checkpoint(4), dir, false))
                .hasMessageContaining("journal segment 4 is missing");
        Files.delete(Journal.segment(dir, 7));
        Journal.Recovery fromBackup = Journal.recover(checkpoint(3, job("a", 0)), dir, true);
        assertThat(fromBackup.jobs().get(QName.of("demo", "a")).runCount()).isEqualTo(1);
        assertThat(fromBackup.nextGeneration()).isEqualTo(6);
    }

    @Test
    void shouldTreatALastSegmentWithATornHeaderAsEmpty() throws IOException {
        segment(0, put(job("a", 1)));
        Files.write(Journal.segment(dir, 1), Arrays.copyOf(JournalSegment.MAGIC_BYTES, 5));

        Journal.Recovery r = Journal.recover(checkpoint(0), dir, false);

        assertThat(r.jobs()).containsKey(QName.of("demo", "a"));
        assertThat(r.tornTail()).hasValueSatisfying(t -> {
            assertThat(t.segment().generation()).isEqualTo(1);
            assertThat(t.validLength()).isZero();
        });
        assertThat(r.replayed()).extracting(Journal.SegmentFile::generation).containsExactly(0L);
        assertThat(r.nextGeneration()).as("the next segment replaces the torn one").isEqualTo(1);
    }

    @Test
    void shouldRefuseARecordWithAGoodChecksumThatDoesNotDecode() throws IOException {
        Path file = segment(0, put(job("a", 1)), new byte[] {'Z', 1, 2}, put(job("a", 2)));

        assertThatThrownBy(() -> Journal.recover(checkpoint(0), dir, false))
                .isInstanceOf(JournalFormatException.class)
                .hasMessageStartingWith(file + "@")
                .hasMessageContaining("record does not decode: unknown record kind 0x5a");
    }

    @Test
    void shouldRefuseAReplacedRecordCutShortThoughALaterChangeOfItsJobWins() throws IOException {
        byte[] whole = put(job("a", 1));
        Path file = segment(0, Arrays.copyOf(whole, whole.length - 1), put(job("a", 2)));

        assertThatThrownBy(() -> Journal.recover(checkpoint(0), dir, false))
                .isInstanceOf(JournalFormatException.class)
                .hasMessageStartingWith(file + "@")
                .hasMessageContaining("record does not decode: record cut short");
    }

    @Test
    void shouldNameTheFirstOfTwoRecordsThatDoNotDecode() throws IOException {
        byte[] a = put(job("a", 1));
        Path file = segment(0, put(job("b", 1)), new byte[] {'Z'}, a, new byte[] {'Y'});
        long firstBad = JournalSegment.HEADER_BYTES + JournalSegment.FRAME_BYTES + put(job("b", 1)).length;

        assertThatThrownBy(() -> Journal.recover(checkpoint(0), dir, false))
                .isInstanceOf(JournalFormatException.class)
                .hasMessageStartingWith(file + "@" + firstBad + ":")
                .hasMessageContaining("unknown record kind 0x5a");
    }

    @Test
    void shouldKeepAJobRemovedAndAddedAgainWithItsLastStateAcrossSegments() throws IOException {
        segment(0, put(job("a", 1)), remove("a"), put(job("b", 1)));
        segment(1, put(job("a", 7)), remove("b"), put(job("b", 9)), put(job("c", 1)), remove("c"));

        Journal.Recovery r = Journal.recover(checkpoint(0, job("c", 4)), dir, false);

        assertThat(r.jobs()).containsOnlyKeys(QName.of("demo", "a"), QName.of("demo", "b"));
        assertThat(r.jobs().get(QName.of("demo", "a")).runCount()).isEqualTo(7);
        assertThat(r.jobs().get(QName.of("demo", "b")).runCount()).isEqualTo(9);
        assertThat(r.records()).isEqualTo(8);
    }

    @Test
    void shouldRefuseASegmentWhoseHeaderDisagreesWithItsName() throws IOException {
        Path file = segment(3, put(job("a", 1)));
        Files.move(file, Journal.segment(dir, 0));

        assertThatThrownBy(() -> Journal.recover(checkpoint(0), dir, false))
                .hasMessageContaining("header says generation 3 but the file name says 0");
    }

    @Test
    void shouldRefuseASegmentNameTakenByALinkOrDirectory() throws IOException {
        Files.createDirectory(Journal.segment(dir, 0));

        assertThatThrownBy(() -> Journal.recover(checkpoint(0), dir, false))
                .isInstanceOf(JournalFormatException.class)
                .hasMessageContaining("not a regular file (a directory)");
    }

    @Test
    void shouldNameOnlyDecimalGenerationsAsSegments() {
        assertThat(Journal.generationOf("background_jobs.journal.42")).isEqualTo(42);
        assertThat(Journal.generationOf("background_jobs.journal.")).isEqualTo(-1);
        assertThat(Journal.generationOf("background_jobs.journal.4x")).isEqualTo(-1);
        assertThat(Journal.generationOf("background_jobs.journal.1.corrupt-20261206T000000Z")).isEqualTo(-1);
        assertThat(Journal.generationOf("background_jobs.json")).isEqualTo(-1);
        assertThat(Journal.generationOf("background_jobs.journal.0")).isZero();
        assertThat(Journal.generationOf("background_jobs.journal.0009")).as("not the canonical spelling").isEqualTo(-1);
        assertThat(Journal.generationOf("background_jobs.journal.-5")).isEqualTo(-1);
        assertThat(Journal.generationOf("background_jobs.journal.+10")).isEqualTo(-1);
        assertThat(Journal.generationOf("background_jobs.journal.99999999999999999999")).isEqualTo(-1);
    }

    @Test
    void shouldWriteAndReadTheCheckpointsGeneration() {
        SidecarCodec codec = new SidecarCodec();
        SidecarDocument doc = checkpoint(12, job("a", 1));

        byte[] bytes = codec.encode(doc);

        assertThat(new String(bytes)).contains("\"journal_generation\": 12");
        assertThat(codec.decode(bytes, "x").journalGeneration()).isEqualTo(12);
        assertThat(codec.decodeText(bytes, "x").journalGeneration()).isEqualTo(12);
        assertThat(new String(codec.encode(checkpoint(0)))).doesNotContain("journal_generation");
    }

    @Test
    void shouldRefuseACheckpointGenerationBeyondTheLargestAJournalReaches() {
        String doc = "{\"format\":\"belfry.background-jobs\",\"version\":1,\"written_at\":\"2026-12-06T00:00:00Z\","
                + "\"journal_generation\":9223372036854775807,\"jobs\":[]}";

        assertThatThrownBy(() -> new SidecarCodec().decode(doc.getBytes(), "background_jobs.json"))
                .isInstanceOf(SidecarFormatException.class)
                .hasMessageContaining("journal_generation");
    }
}
