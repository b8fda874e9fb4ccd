package dev.belfry.sidecar;

import static dev.belfry.sidecar.JournalSegment.FRAME_BYTES;
import static dev.belfry.sidecar.JournalSegment.HEADER_BYTES;
import static dev.belfry.sidecar.JournalSegment.MAX_PAYLOAD_BYTES;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
     * What a segment holds.
     *
     * @param header      the segment header
     * @param records     the payloads of the valid records, in order
     * @param end         how the segment ends
     * @param validLength the offset just after the last valid record: the file size when clean, the length to
     *                    truncate to when torn, the offset of the bad record when corrupt
     * @param problem     for a torn or corrupt end, one line naming the file, the offset and what is wrong
     */
    public record Segment(JournalSegment.Header header, List<byte[]> records, End end, long validLength,
                          Optional<String> problem) {
        /** Copies the record list. */
        public Segment {
            records = List.copyOf(records);
        }
    }

    /**
     * Reads a segment file.
     *
     * @param file the segment
     * @return its header, valid records and end
     * @throws JournalFormatException if the header is missing or not a journal header of a known version
     * @throws IOException            if the file cannot be read
     */
    public static Segment read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch, String.valueOf(file.getFileName()));
        }
    }

    /**
     * Reads a segment from a channel, from offset 0 to its size.
     *
     * @param ch   a channel open for reading
     * @param name the file name to put in messages
     * @return its header, valid records and end
     * @throws JournalFormatException if the header is missing or not a journal header of a known version
     * @throws IOException            if the channel cannot be read
     */
    public static Segment read(FileChannel ch, String name) throws IOException {
        long size = ch.size();
        JournalSegment.Header header = readHeader(ch, name, size);
        List<byte[]> records = new ArrayList<>();
        ByteBuffer frame = ByteBuffer.allocate(FRAME_BYTES);
        long pos = HEADER_BYTES;
        while (pos < size) {
            if (size - pos < FRAME_BYTES) {
                return bad(ch, name, header, records, pos, size, "record frame cut short");
            }
            readFully(ch, frame.clear(), pos);
            int length = frame.getInt(0);
            int crc = frame.getInt(4);
            if (length < 1 || length > MAX_PAYLOAD_BYTES) {
                // Impossible lengths are never allocated; the record's extent is unknown, so only zeros may follow.
                return bad(ch, name, header, records, pos, pos + FRAME_BYTES,
                        "record length " + Integer.toUnsignedString(length) + " outside 1.." + MAX_PAYLOAD_BYTES);
            }
            long end = pos + FRAME_BYTES + length;
            if (end > size) {
                // A flipped bit in a middle record's length also looks cut short; it is torn only if no valid
                // record starts anywhere after it.
                return validRecordAfter(ch, pos, size)
                        ? bad(ch, name, header, records, pos, pos, "record length " + length + " runs past the end")
                        : bad(ch, name, header, records, pos, size, "record cut short");
            }
            byte[] payload = new byte[length];
            readFully(ch, ByteBuffer.wrap(payload), pos + FRAME_BYTES);
            if (JournalSegment.crc(payload) != crc) {
                return bad(ch, name, header, records, pos, end, "record checksum mismatch");
            }
            records.add(payload);
            pos = end;
        }
        return new Segment(header, records, End.CLEAN, size, Optional.empty());
    }

    private static JournalSegment.Header readHeader(FileChannel ch, String name, long size) throws IOException {
        if (size < HEADER_BYTES) {
            throw new JournalFormatException(name, 0,
                    "not a journal segment (" + size + " bytes, shorter than the " + HEADER_BYTES + "-byte header)");
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
        readFully(ch, b, 0);
        byte[] magic = new byte[JournalSegment.MAGIC_BYTES.length];
        b.get(0, magic);
        if (!Arrays.equals(magic, JournalSegment.MAGIC_BYTES)) {
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

    private static Segment bad(FileChannel ch, String name, JournalSegment.Header header, List<byte[]> records,
                               long at, long extent, String what) throws IOException {
        boolean tail = onlyZerosFrom(ch, extent);
        End end = tail ? End.TORN_TAIL : End.CORRUPT_MIDDLE;
        String problem = name + "@" + at + ": " + what
                + (tail ? "; torn tail, truncate to " + at : "; more data follows, segment refused");
        return new Segment(header, records, end, at, Optional.of(problem));
    }

    /** The bytes after a record cut short number fewer than its length + frame, so they fit under the cap. */
    private static boolean validRecordAfter(FileChannel ch, long pos, long size) throws IOException {
        byte[] rest = new byte[(int) (size - pos)];
        readFully(ch, ByteBuffer.wrap(rest), pos);
        ByteBuffer b = ByteBuffer.wrap(rest);
        for (int o = 1; o + FRAME_BYTES < rest.length; o++) {
            int length = b.getInt(o);
            if (length >= 1 && length <= rest.length - o - FRAME_BYTES) {
                CRC32C crc = new CRC32C();
                crc.update(rest, o + FRAME_BYTES, length);
                if ((int) crc.getValue() == b.getInt(o + 4)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean onlyZerosFrom(FileChannel ch, long from) throws IOException {
        long size = ch.size();
        ByteBuffer chunk = ByteBuffer.allocate(8192);
        for (long pos = from; pos < size; ) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), size - pos));
            readFully(ch, chunk, pos);
            for (int i = 0; i < chunk.limit(); i++) {
                if (chunk.get(i) != 0) {
                    return false;
                }
            }
            pos += chunk.limit();
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
