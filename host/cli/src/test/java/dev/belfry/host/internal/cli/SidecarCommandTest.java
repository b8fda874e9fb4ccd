package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JournalRecords;
import dev.belfry.sidecar.JournalSegment;
import dev.belfry.sidecar.JournalWriter;
import dev.belfry.sidecar.RunOutcome;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SidecarCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int belfry(String... args) {
        return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private Path writeValid() throws IOException {
        JobRecord nightly = JobRecord.pending(QName.parse("reports.nightly"), "reports",
                        Schedule.cron("0 3 * * *", ZoneId.of("Europe/Berlin")))
                .withStatus(JobStatus.FAILED_RETRYING)
                .withNextFireAt(Optional.of(Instant.parse("2027-01-05T02:00:00Z")))
                .withLastFinishedAt(Optional.of(Instant.parse("2027-01-04T02:00:03Z")))
                .withLastOutcome(Optional.of(new RunOutcome(false, "db down\nretrying", Duration.ofSeconds(3))))
                .withRunCount(12).withFailureCount(2);
        JobRecord manual = JobRecord.pending(QName.parse("reports.rebuild"), "reports", Schedule.manual());
        Path file = dir.resolve("background_jobs.json");
        Files.write(file, new SidecarCodec().encode(SidecarDocument.of(Instant.parse("2027-01-04T12:00:00Z"),
                List.of(nightly, manual))));
        return file;
    }

    @Test
    void shouldConfirmAValidFile() throws IOException {
        Path file = writeValid();

        assertThat(belfry("sidecar", "validate", file.toString())).isZero();
        assertThat(out.toString()).isEqualTo(file + ": valid, format version 1, 2 job(s)" + System.lineSeparator());
    }

    /** A segment beside the file, following its checkpoint (generation 0), holding the given changes. */
    private Path journal(JobRecord... changes) throws IOException {
        Path segment = Journal.segment(dir, 0);
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            JournalWriter w = new JournalWriter(ch);
            w.writeHeader(0);
            JournalRecords.Encoder e = new JournalRecords.Encoder();
            for (JobRecord r : changes) {
                e.put(r);
                w.append(e.toByteArray());
            }
            w.sync();
        }
        return segment;
    }

    @Test
    void shouldValidateAndDumpWhatAStartWouldLoadWithTheJournalReplayed() throws IOException {
        Path file = writeValid();
        JobRecord added = JobRecord.pending(QName.parse("reports.weekly"), "reports", Schedule.manual())
                .withRunCount(4);
        Path segment = journal(added, added.withRunCount(5));

        assertThat(belfry("sidecar", "validate", file.toString())).isZero();
        assertThat(out.toString()).isEqualTo(file + ": valid, format version 1, 2 job(s); journal: 1 segment(s)"
                + " from generation 0, 2 record(s); a start loads 3 job(s)" + System.lineSeparator());

        out.getBuffer().setLength(0);
        assertThat(belfry("sidecar", "dump", file.toString())).isZero();
        assertThat(out.toString().lines()).anySatisfy(l -> assertThat(l).startsWith("reports.weekly")
                .contains(" 5 "));

        byte[] bytes = Files.readAllBytes(segment);
        Files.write(segment, java.util.Arrays.copyOf(bytes, bytes.length - 2));
        out.getBuffer().setLength(0);
        assertThat(belfry("sidecar", "validate", file.toString())).isZero();
        assertThat(out.toString()).contains("a start loads 3 job(s)").contains(segment.getFileName()
                + " ends in a record cut short at offset");
    }

    @Test
    void shouldExitOneNamingTheSegmentAndOffsetWhenTheJournalIsDamaged() throws IOException {
        Path file = writeValid();
        JobRecord added = JobRecord.pending(QName.parse("reports.weekly"), "reports", Schedule.manual());
        Path segment = journal(added, added.withRunCount(1), added.withRunCount(2));
        byte[] bytes = Files.readAllBytes(segment);
        bytes[JournalSegment.HEADER_BYTES + JournalSegment.FRAME_BYTES + 1] ^= 0x20;
        Files.write(segment, bytes);

        assertThat(belfry("sidecar", "validate", file.toString())).isEqualTo(1);
        assertThat(err.toString().lines()).singleElement().asString()
                .isEqualTo(segment + "@" + JournalSegment.HEADER_BYTES
                        + ": record checksum mismatch; more data follows, segment refused");
        err.getBuffer().setLength(0);
        assertThat(belfry("sidecar", "dump", file.toString())).isEqualTo(1);
        assertThat(err.toString()).contains(segment + "@");
    }

    @Test
    void shouldExitOneWithFileLineColumnAndFieldWhenInvalid() throws IOException {
        Path file = writeValid();
        Files.writeString(file, Files.readString(file).replace("\"failed_retrying\"", "\"exploded\""));

        assertThat(belfry("sidecar", "validate", file.toString())).isEqualTo(1);
        assertThat(err.toString().lines()).singleElement().asString()
                .startsWith(file + ":").contains("jobs[0].status").contains("exploded");
    }

    @Test
    void shouldRefuseADeviceAtOnceInsteadOfReadingItForeverWhenValidating() {
        Path zero = Path.of("/dev/zero");
        Assumptions.assumeTrue(Files.exists(zero), "no /dev/zero here");

        int exit = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> belfry("sidecar", "validate", "/dev/zero"));

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString().lines())
                .containsExactly("/dev/zero:1:1: $: is a character device, not a regular file");
    }

    @Test
    void shouldRefuseANamedPipeAtOnceWhenDumping() throws Exception {
        Path fifo = dir.resolve("pipe.json");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is not available here");

        int exit = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> belfry("sidecar", "dump", fifo.toString()));

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString().lines())
                .containsExactly(fifo + ":1:1: $: is a named pipe (FIFO), not a regular file");
    }

    @Test
    void shouldCallANamedPipeInASegmentsPlaceByItsName() throws Exception {
        Path file = writeValid();
        Path fifo = Journal.segment(dir, 0);
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is not available here");

        int exit = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> belfry("sidecar", "validate",
                file.toString()));

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString().lines()).containsExactly(fifo + "@0: not a regular file (a named pipe (FIFO)); a"
                + " journal segment must be one");
    }

    @Test
    void shouldNameTheWholePathOfASegmentOverTheSizeLimit() throws IOException {
        Path file = writeValid();
        Path segment = journal();
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            // Sparse: the limit is checked on the size before a byte is read.
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}), dev.belfry.sidecar.JournalReader.MAX_SEGMENT_BYTES);
        }

        assertThat(belfry("sidecar", "validate", file.toString())).isEqualTo(1);

        assertThat(err.toString().lines()).containsExactly(segment + "@0: segment of "
                + (dev.belfry.sidecar.JournalReader.MAX_SEGMENT_BYTES + 1) + " bytes is larger than the "
                + dev.belfry.sidecar.JournalReader.MAX_SEGMENT_BYTES + " bytes a segment may have");
    }

    @Test
    void shouldFollowALinkTheUserNames() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("link.json"), writeValid());

        assertThat(belfry("sidecar", "validate", link.toString())).isZero();
        assertThat(out.toString()).startsWith(link + ": valid");
    }

    @Test
    void shouldExitTwoWhenTheFileDoesNotExist() {
        assertThat(belfry("sidecar", "validate", dir.resolve("nope.json").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("no such file").contains("nope.json");
    }

    @Test
    void shouldDumpTheJobsAsAnAlignedTable() throws IOException {
        Path file = writeValid();

        assertThat(belfry("sidecar", "dump", file.toString())).isZero();

        List<String> lines = out.toString().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("QNAME").contains("STATUS").contains("NEXT FIRE");
        assertThat(lines.get(1)).startsWith("reports.nightly").contains("failed_retrying")
                .contains("cron 0 3 * * * Europe/Berlin").contains("2027-01-05T02:00:00Z")
                .contains("failed: db down retrying").contains("12");
        assertThat(lines.get(2)).startsWith("reports.rebuild").contains("pending").contains("manual");
        int statusColumn = lines.get(0).indexOf("STATUS");
        assertThat(lines.get(1).indexOf("failed_retrying")).isEqualTo(statusColumn);
        assertThat(lines.get(2).indexOf("pending")).isEqualTo(statusColumn);
    }
}
