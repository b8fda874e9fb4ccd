package dev.belfry.sidecar;

import static dev.belfry.sidecar.JournalSegment.FRAME_BYTES;
import static dev.belfry.sidecar.JournalSegment.HEADER_BYTES;
import static dev.belfry.sidecar.JournalSegment.MAX_PAYLOAD_BYTES;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Reads a journal segment: its header, every valid record, and how it ends. A bad record ends the segment as a
 * {@link End#TORN_TAIL torn tail} when nothing valid follows it: a record cut short by the end of the file with no
 * valid record starting inside its bytes, or a record with a bad checksum or an impossible length followed by nothing
 * but zero bytes. Anything else is {@link End#CORRUPT_MIDDLE corrupt}. The reader only reads; truncating a torn tail
 * is the caller's decision.
 */
public final class JournalReader {
    private JournalReader() {
    }

    /** How a segment ends. */
    public enum End {
        /** The segment ends exactly after its last valid record. */
        CLEAN,
        /**
         * The last record is incomplete or fails its checksum and nothing valid follows: it was never synced, so
         * never acknowledged; truncate the segment to {@link Segment#validLength()}.
         */
        TORN_TAIL,
        /** A bad record is followed by more data: the segment must be refused, not truncated. */
        CORRUPT_MIDDLE
    }

    /**
     * What a segment holds: its bytes, read whole, and where each valid record's payload lies in them.
     *
     * @param header      the segment header
     * @param bytes       the segment's bytes
     * @param starts      the offset in {@code bytes} of each valid record's payload, in order
     * @param lengths     each valid record's payload length
     * @param end         how the segment ends
     * @param validLength the offset just after the last valid record: the file size when clean, the length to
     *                    truncate to when torn, the offset of the bad record when corrupt
     * @param problem     for a torn or corrupt end, one line naming the file, the offset and what is wrong
     */
    public record Segment(JournalSegment.Header header, byte[] bytes, int[] starts, int[] lengths, End end,
                          long validLength, Optional<String> problem) {
        /** @return how many valid records the segment holds */
        public int count() {
            return starts.length;
        }

        /** @return a copy of each valid record's payload, in order */
        public List<byte[]> records() {
            List<byte[]> out = new ArrayList<>(starts.length);
            for (int i = 0; i < starts.length; i++) {
                out.add(Arrays.copyOfRange(bytes, starts[i], starts[i] + lengths[i]));
            }
            return out;
        }
    }

    /** The largest segment read: a segment is rolled long before this, so a larger file is damage. */
    public static final long MAX_SEGMENT_BYTES = 1L << 30;

    /**
     * Reads a segment file.
     *
     * @param file the segment
     * @return its header, valid records and end
     * @throws JournalFormatException if the header is missing or not a journal header of a known version, or the
     *                                file is larger than {@link #MAX_SEGMENT_BYTES}
     * @throws IOException            if the file cannot be read
     */
    public static Segment read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return read(ch, file.toString());
        }
    }

    /**
     * Reads a segment from a channel, from offset 0 to its size.
     *
     * @param ch   a channel open for reading
     * @param name the file to name in messages (its path, so the operator can find it)
     * @return its header, valid records and end
     * @throws JournalFormatException if the header is missing or not a journal header of a known version
     * @throws IOException            if the channel cannot be read
     */
    public static Segment read(FileChannel ch, String name) throws IOException {
        long fileSize = ch.size();
        if (fileSize > MAX_SEGMENT_BYTES) {
            throw new JournalFormatException(name, 0, "segment of " + fileSize + " bytes is larger than the "
                    + MAX_SEGMENT_BYTES + " bytes a segment may have");
        }
        byte[] bytes = new byte[(int) fileSize];
        readFully(ch, ByteBuffer.wrap(bytes), 0);
        int size = bytes.length;
        JournalSegment.Header header = readHeader(bytes, name);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        IntList starts = new IntList();
        IntList lengths = new IntList();
        CRC32C crc32c = new CRC32C();
        int pos = HEADER_BYTES;
        while (pos < size) {
            if (size - pos < FRAME_BYTES) {
                return bad(bytes, name, header, starts, lengths, pos, size, "record frame cut short");
            }
            int length = b.getInt(pos);
            int crc = b.getInt(pos + 4);
            if (length < 1 || length > MAX_PAYLOAD_BYTES) {
                // Impossible lengths are never allocated; the record's extent is unknown, so only zeros may follow.
                return bad(bytes, name, header, starts, lengths, pos, pos + FRAME_BYTES,
                        "record length " + Integer.toUnsignedString(length) + " outside 1.." + MAX_PAYLOAD_BYTES);
            }
            long end = (long) pos + FRAME_BYTES + length;
            if (end > size) {
                // A flipped bit in a middle record's length also looks cut short; it is torn only if no valid
                // record starts anywhere after it.
                return validRecordAfter(bytes, pos)
                        ? bad(bytes, name, header, starts, lengths, pos, pos,
                                "record length " + length + " runs past the end")
                        : bad(bytes, name, header, starts, lengths, pos, size, "record cut short");
            }
            crc32c.reset();
            crc32c.update(bytes, pos + FRAME_BYTES, length);
            if ((int) crc32c.getValue() != crc) {
                return bad(bytes, name, header, starts, lengths, pos, (int) end, "record checksum mismatch");
            }
            starts.add(pos + FRAME_BYTES);
            lengths.add(length);
            pos = (int) end;
        }
        return new Segment(header, bytes, starts.toArray(), lengths.toArray(), End.CLEAN, size, Optional.empty());
    }

    /** A growable int array: a million records need no million Integer boxes. */
    private static final class IntList {
        private int[] values = new int[64];
        private int size;

        void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    private static JournalSegment.Header readHeader(byte[] bytes, String name) {
        if (bytes.length < HEADER_BYTES) {
            throw new JournalFormatException(name, 0, "not a journal segment (" + bytes.length
                    + " bytes, shorter than the " + HEADER_BYTES + "-byte header)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (!Arrays.equals(bytes, 0, JournalSegment.MAGIC_BYTES.length, JournalSegment.MAGIC_BYTES, 0,
                JournalSegment.MAGIC_BYTES.length)) {
            throw new JournalFormatException(name, 0, "not a journal segment (bad magic bytes)");
        }
        int version = b.getInt(8);
        if (version != JournalSegment.VERSION) {
            throw new JournalFormatException(name, 8,
                    "unsupported journal version " + version + " (this build reads " + JournalSegment.VERSION + ")");
        }
        long generation = b.getLong(12);
        if (generation < 0) {
            throw new JournalFormatException(name, 12, "negative checkpoint generation " + generation);
        }
        return new JournalSegment.Header(version, generation);
    }

    private static Segment bad(byte[] bytes, String name, JournalSegment.Header header, IntList starts,
                               IntList lengths, int at, int extent, String what) {
        boolean tail = onlyZerosFrom(bytes, extent);
        End end = tail ? End.TORN_TAIL : End.CORRUPT_MIDDLE;
        String problem = name + "@" + at + ": " + what
                + (tail ? "; torn tail, truncate to " + at : "; more data follows, segment refused");
        return new Segment(header, bytes, starts.toArray(), lengths.toArray(), end, at, Optional.of(problem));
    }

    /** The bytes after a record cut short number fewer than its length + frame, so they fit under the cap. */
    private static boolean validRecordAfter(byte[] bytes, int pos) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        for (int o = pos + 1; o + FRAME_BYTES < bytes.length; o++) {
            int length = b.getInt(o);
            if (length >= 1 && length <= bytes.length - o - FRAME_BYTES) {
                crc.reset();
                crc.update(bytes, o + FRAME_BYTES, length);
                if ((int) crc.getValue() == b.getInt(o + 4)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean onlyZerosFrom(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos + b.position());
            if (n < 0) {
                throw new EOFException("segment shrank while being read at offset " + (pos + b.position()));
            }
        }
    }
}
