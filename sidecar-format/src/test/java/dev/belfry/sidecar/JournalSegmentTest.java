package dev.belfry.sidecar;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JournalSegmentTest {
    private static final List<String> CHANGES = List.of(
            "{\"op\":\"put\",\"job\":{\"qname\":\"billing.invoice\",\"status\":\"SCHEDULED\"}}",
            "{\"op\":\"remove\",\"qname\":\"billing.old\"}",
            "{\"op\":\"put\",\"job\":{\"qname\":\"mail.digest\",\"message\":\"caf\u00e9 \u2603\"}}");

    @TempDir
    Path dir;

    @Test
    void shouldReadBackHeaderAndEveryRecordWhenSegmentWasWrittenWhole() throws IOException {
        // given
        Path file = segment(42, CHANGES);

        // when
        JournalReader.Segment s = JournalReader.read(file);

        // then
        assertThat(s.header()).isEqualTo(new JournalSegment.Header(1, 42));
        assertThat(texts(s)).containsExactlyElementsOf(CHANGES);
        assertThat(s.end()).isEqualTo(JournalReader.End.CLEAN);
        assertThat(s.validLength()).isEqualTo(Files.size(file));
        assertThat(s.problem()).isEmpty();
    }

    @Test
    void shouldReadEmptySegmentAsCleanWhenOnlyHeaderWasWritten() throws IOException {
        JournalReader.Segment s = JournalReader.read(segment(0, List.of()));

        assertThat(s.records()).isEmpty();
        assertThat(s.end()).isEqualTo(JournalReader.End.CLEAN);
        assertThat(s.validLength()).isEqualTo(JournalSegment.HEADER_BYTES);
    }

    @Test
    void shouldReportTornTailWhenLastRecordIsCutAtAnyByte() throws IOException {
        // given
        byte[] whole = Files.readAllBytes(segment(7, CHANGES));
        int lastStart = whole.length - recordBytes(CHANGES.get(2));

        for (int cut = lastStart + 1; cut < whole.length; cut++) {
            // when
            Path torn = write("torn.log", Arrays.copyOf(whole, cut));
            JournalReader.Segment s = JournalReader.read(torn);

            // then
            assertThat(s.end()).as("cut at %d", cut).isEqualTo(JournalReader.End.TORN_TAIL);
            assertThat(s.validLength()).as("cut at %d", cut).isEqualTo(lastStart);
            assertThat(texts(s)).as("cut at %d", cut).containsExactlyElementsOf(CHANGES.subList(0, 2));
            assertThat(s.problem()).get().asString().startsWith(torn + "@" + lastStart + ": ");
        }
    }

    @Test
    void shouldReportTornTailWhenLastRecordIsZeroFilledFromAnyByte() throws IOException {
        // given: the file size reached the disk but the tail of the last record's data did not
        byte[] whole = Files.readAllBytes(segment(7, CHANGES));
        int lastStart = whole.length - recordBytes(CHANGES.get(2));

        for (int from = lastStart; from < whole.length; from++) {
            byte[] bytes = whole.clone();
            Arrays.fill(bytes, from, bytes.length, (byte) 0);

            // when
            JournalReader.Segment s = JournalReader.read(write("zeroed.log", bytes));

            // then
            assertThat(s.end()).as("zeroed from %d", from).isEqualTo(JournalReader.End.TORN_TAIL);
            assertThat(s.validLength()).as("zeroed from %d", from).isEqualTo(lastStart);
            assertThat(texts(s)).as("zeroed from %d", from).containsExactlyElementsOf(CHANGES.subList(0, 2));
        }
    }

    @Test
    void shouldReadCleanWhenCutExactlyBetweenRecords() throws IOException {
        byte[] whole = Files.readAllBytes(segment(7, CHANGES));
        int lastStart = whole.length - recordBytes(CHANGES.get(2));

        JournalReader.Segment s = JournalReader.read(write("cut.log", Arrays.copyOf(whole, lastStart)));

        assertThat(s.end()).isEqualTo(JournalReader.End.CLEAN);
        assertThat(texts(s)).containsExactlyElementsOf(CHANGES.subList(0, 2));
    }

    @Test
    void shouldRefuseSegmentNamingOffsetWhenMiddleRecordHasFlippedByte() throws IOException {
        // given
        byte[] bytes = Files.readAllBytes(segment(7, CHANGES));
        int middleStart = JournalSegment.HEADER_BYTES + recordBytes(CHANGES.get(0));
        bytes[middleStart + JournalSegment.FRAME_BYTES + 5] ^= 0x01;

        // when
        JournalReader.Segment s = JournalReader.read(write("journal-7.log", bytes));

        // then
        assertThat(s.end()).isEqualTo(JournalReader.End.CORRUPT_MIDDLE);
        assertThat(s.validLength()).isEqualTo(middleStart);
        assertThat(texts(s)).containsExactly(CHANGES.get(0));
        assertThat(s.problem()).contains(dir.resolve("journal-7.log") + "@" + middleStart
                + ": record checksum mismatch; more data follows, segment refused");
    }

    @Test
    void shouldRefuseSegmentRatherThanTruncateWhenMiddleRecordLengthIsFlippedPastTheEnd() throws IOException {
        // given: the middle record's length grows by 64 KiB, beyond the end of the file, yet a valid record follows
        byte[] bytes = Files.readAllBytes(segment(7, CHANGES));
        int middleStart = JournalSegment.HEADER_BYTES + recordBytes(CHANGES.get(0));
        bytes[middleStart + 1] ^= 0x01;

        // when
        JournalReader.Segment s = JournalReader.read(write("journal-7.log", bytes));

        // then
        assertThat(s.end()).isEqualTo(JournalReader.End.CORRUPT_MIDDLE);
        assertThat(s.validLength()).isEqualTo(middleStart);
        assertThat(texts(s)).containsExactly(CHANGES.get(0));
        assertThat(s.problem()).get().asString().startsWith(dir.resolve("journal-7.log") + "@" + middleStart
                + ": record length ");
    }

    @ParameterizedTest
    @ValueSource(ints = {JournalSegment.MAX_PAYLOAD_BYTES + 1, 3 << 20, Integer.MAX_VALUE, -1})
    void shouldRefuseWithoutAllocatingItWhenRecordLengthIsAbsurd(int length) throws IOException {
        // given: a first record whose length field is over the cap, followed by 4 MiB of valid records, so that
        // some of the claimed lengths fit inside the file and only the cap stops the reader taking them as a record
        // (the reader holds the file's bytes, bounded by MAX_SEGMENT_BYTES, and nothing per claimed length)
        String big = "{\"op\":\"remove\",\"qname\":\"" + "x".repeat((1 << 20) - 64) + "\"}";
        byte[] bytes = Files.readAllBytes(segment(7, List.of(big, big, big, big, big)));
        ByteBuffer.wrap(bytes).putInt(JournalSegment.HEADER_BYTES, length);
        Path file = write("huge.log", bytes);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        JournalReader.read(file);
        long before = threads.getThreadAllocatedBytes(tid);

        // when
        JournalReader.Segment s = JournalReader.read(file);

        // then
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertThat(allocated).isLessThan(bytes.length + JournalSegment.MAX_PAYLOAD_BYTES / 2);
        assertThat(s.end()).isEqualTo(JournalReader.End.CORRUPT_MIDDLE);
        assertThat(s.records()).isEmpty();
        assertThat(s.problem()).get().asString().startsWith(file + "@" + JournalSegment.HEADER_BYTES
                + ": record length " + Integer.toUnsignedString(length) + " outside 1..1048576");
    }

    @Test
    void shouldRefuseWithClearMessageWhenMagicBytesAreWrong() throws IOException {
        byte[] bytes = Files.readAllBytes(segment(7, CHANGES));
        bytes[0] = '{';
        Path file = write("journal-7.log", bytes);

        assertThatThrownBy(() -> JournalReader.read(file))
                .isInstanceOf(JournalFormatException.class)
                .hasMessage(file + "@0: not a journal segment (bad magic bytes)");
    }

    @Test
    void shouldRefuseWithClearMessageWhenVersionIsUnknown() throws IOException {
        byte[] bytes = Files.readAllBytes(segment(7, CHANGES));
        ByteBuffer.wrap(bytes).putInt(8, 2);
        Path file = write("journal-7.log", bytes);

        assertThatThrownBy(() -> JournalReader.read(file))
                .isInstanceOf(JournalFormatException.class)
                .hasMessage(file + "@8: unsupported journal version 2 (this build reads 1)");
    }

    @Test
    void shouldRefuseWithClearMessageWhenHeaderIsCutShort() throws IOException {
        byte[] bytes = Arrays.copyOf(Files.readAllBytes(segment(7, CHANGES)), 11);
        Path file = write("journal-7.log", bytes);

        assertThatThrownBy(() -> JournalReader.read(file))
                .isInstanceOf(JournalFormatException.class)
                .hasMessage(file + "@0: not a journal segment (11 bytes, shorter than the 20-byte header)");
    }

    @Test
    void shouldRejectPayloadWhenEmptyOrOverCap() throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve("w.log"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            JournalWriter w = new JournalWriter(ch);
            assertThatThrownBy(() -> w.append(new byte[0]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(": 0");
            assertThatThrownBy(() -> w.append(new byte[JournalSegment.MAX_PAYLOAD_BYTES + 1]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(": 1048577");
            assertThat(ch.size()).isZero();
        }
    }

    private Path segment(long generation, List<String> changes) throws IOException {
        Path file = dir.resolve("journal-" + generation + ".log");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            JournalWriter w = new JournalWriter(ch);
            w.writeHeader(generation);
            for (String c : changes) {
                w.append(c.getBytes(UTF_8));
            }
            w.sync();
        }
        return file;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static int recordBytes(String change) {
        return JournalSegment.FRAME_BYTES + change.getBytes(UTF_8).length;
    }

    private static List<String> texts(JournalReader.Segment s) {
        return s.records().stream().map(b -> new String(b, UTF_8)).toList();
    }
}
