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

    /** Receives each valid record's payload, in order, while a segment is {@linkplain #scan scanned}. */
    @FunctionalInterface
    public interface PayloadVisitor {
        /**
         * @param buffer     holds the payload; valid only during the call
         * @param offset     where it starts in {@code buffer}
         * @param length     its length
         * @param fileOffset where its record (the frame) starts in the file
         */
        void payload(byte[] buffer, int offset, int length, long fileOffset);
    }

    /**
     * How a scanned segment ends.
     *
     * @param header      the segment header
     * @param count       how many valid records were visited
     * @param end         how the segment ends
     * @param validLength the offset just after the last valid record (see {@link Segment#validLength()})
     * @param problem     for a torn or corrupt end, one line naming the file, the offset and what is wrong
     */
    public record Scan(JournalSegment.Header header, long count, End end, long validLength,
                       Optional<String> problem) {
    }

    /**
     * Reads a segment through a bounded buffer, handing each valid payload to a visitor: memory does not grow with
     * the segment, so a huge (or sparse) file cannot exhaust the heap.
     *
     * @param file    the segment; a symbolic link is not followed
     * @param visitor gets each valid record's payload
     * @return the header, the count and how the segment ends
     * @throws JournalFormatException if the header is missing or not a journal header of a known version, or the
     *                                file is larger than {@link #MAX_SEGMENT_BYTES}; the message names the file by
     *                                its full path
     * @throws IOException            if the file cannot be read
     */
    public static Scan scan(Path file, PayloadVisitor visitor) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            if (size > MAX_SEGMENT_BYTES) {
                // Checked on the size before a byte is read: a huge sparse file is refused at once, not scanned.
                throw new JournalFormatException(file.toString(), 0, "segment of " + size + " bytes is larger than the "
                        + MAX_SEGMENT_BYTES + " bytes a segment may have");
            }
            return parse(new Window(ch, size, null), file.toString(), visitor);
        }
    }

    /**
     * Reads a segment file whole into memory.
     *
     * @param file the segment; a symbolic link is not followed
     * @return its header, valid records and end
     * @throws JournalFormatException if the header is missing or not a journal header of a known version, or the
     *                                file is larger than {@link #MAX_SEGMENT_BYTES} or than a quarter of the heap;
     *                                the message names the file by its full path
     * @throws IOException            if the file cannot be read
     */
    public static Segment read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return read(ch, file.toString());
        }
    }

    /**
     * Reads a segment from a channel, from offset 0 to its size, whole into memory.
     *
     * @param ch   a channel open for reading
     * @param name the file to put in messages
     * @return its header, valid records and end
     * @throws JournalFormatException if the header is missing or not a journal header of a known version, or the
     *                                segment is larger than {@link #MAX_SEGMENT_BYTES} or than a quarter of the heap
     * @throws IOException            if the channel cannot be read
     */
    public static Segment read(FileChannel ch, String name) throws IOException {
        long fileSize = ch.size();
        long limit = Math.min(MAX_SEGMENT_BYTES, Runtime.getRuntime().maxMemory() / 4);
        if (fileSize > limit) {
            throw new JournalFormatException(name, 0, "segment of " + fileSize + " bytes is larger than the "
                    + limit + " bytes read into memory (" + (limit == MAX_SEGMENT_BYTES ? "the most a segment may have"
                    : "a quarter of the heap") + ")");
        }
        byte[] bytes = new byte[(int) fileSize];
        readFully(ch, ByteBuffer.wrap(bytes), 0);
        IntList starts = new IntList();
        IntList lengths = new IntList();
        // The whole file is the window, so a payload's index in it is its offset in the file.
        Scan scan = parse(new Window(ch, fileSize, bytes), name, (buffer, offset, length, at) -> {
            starts.add(offset);
            lengths.add(length);
        });
        return new Segment(scan.header(), bytes, starts.toArray(), lengths.toArray(), scan.end(),
                scan.validLength(), scan.problem());
    }

    private static Scan parse(Window w, String name, PayloadVisitor visitor) throws IOException {
        long size = w.size;
        JournalSegment.Header header = readHeader(w, name);
        CRC32C crc32c = new CRC32C();
        long count = 0;
        long pos = HEADER_BYTES;
        while (pos < size) {
            if (size - pos < FRAME_BYTES) {
                return bad(w, name, header, count, pos, size, "record frame cut short");
            }
            int at = w.at(pos, FRAME_BYTES);
            int length = getInt(w.array(), at);
            int crc = getInt(w.array(), at + 4);
            if (length < 1 || length > MAX_PAYLOAD_BYTES) {
                // Impossible lengths are never allocated; the record's extent is unknown, so only zeros may follow.
                return bad(w, name, header, count, pos, pos + FRAME_BYTES,
                        "record length " + Integer.toUnsignedString(length) + " outside 1.." + MAX_PAYLOAD_BYTES);
            }
            long end = pos + FRAME_BYTES + length;
            if (end > size) {
                // A flipped bit in a middle record's length also looks cut short; it is torn only if no valid
                // record starts anywhere after it.
                return validRecordAfter(w, pos)
                        ? bad(w, name, header, count, pos, pos, "record length " + length + " runs past the end")
                        : bad(w, name, header, count, pos, size, "record cut short");
            }
            at = w.at(pos, FRAME_BYTES + length);
            crc32c.reset();
            crc32c.update(w.array(), at + FRAME_BYTES, length);
            if ((int) crc32c.getValue() != crc) {
                return bad(w, name, header, count, pos, end, "record checksum mismatch");
            }
            visitor.payload(w.array(), at + FRAME_BYTES, length, pos);
            count++;
            pos = end;
        }
        return new Scan(header, count, End.CLEAN, size, Optional.empty());
    }

    /**
     * A readable range of the segment: the whole file when it was read into memory, else a buffer refilled from the
     * channel as the parser moves on (large enough for one frame and the largest payload).
     */
    private static final class Window {
        private static final int CAPACITY = 4 << 20;
        private final FileChannel ch;
        private final long size;
        private final boolean whole;
        private byte[] buf;
        private long bufStart;
        private int bufLength;

        Window(FileChannel ch, long size, byte[] whole) {
            this.ch = ch;
            this.size = size;
            this.whole = whole != null;
            this.buf = whole != null ? whole : new byte[(int) Math.min(CAPACITY, Math.max(size, HEADER_BYTES))];
            this.bufLength = whole != null ? whole.length : 0;
        }

        /** Makes {@code [pos, pos + n)} readable; returns its index in {@link #array()}. */
        int at(long pos, int n) throws IOException {
            if (pos >= bufStart && pos + n <= bufStart + bufLength) {
                return (int) (pos - bufStart);
            }
            if (whole) {
                throw new EOFException("offset " + pos + " is past the segment's end");
            }
            if (buf.length < n) {
                buf = new byte[n];
            }
            int length = (int) Math.min(buf.length, size - pos);
            readFully(ch, ByteBuffer.wrap(buf, 0, length), pos);
            bufStart = pos;
            bufLength = length;
            return 0;
        }

        byte[] array() {
            return buf;
        }
    }

    private static int getInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
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

    private static JournalSegment.Header readHeader(Window w, String name) throws IOException {
        if (w.size < HEADER_BYTES) {
            throw new JournalFormatException(name, 0, "not a journal segment (" + w.size
                    + " bytes, shorter than the " + HEADER_BYTES + "-byte header)");
        }
        int at = w.at(0, HEADER_BYTES);
        byte[] bytes = w.array();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (!Arrays.equals(bytes, at, at + JournalSegment.MAGIC_BYTES.length, JournalSegment.MAGIC_BYTES, 0,
                JournalSegment.MAGIC_BYTES.length)) {
            throw new JournalFormatException(name, 0, "not a journal segment (bad magic bytes)");
        }
        int version = b.getInt(at + 8);
        if (version != JournalSegment.VERSION) {
            throw new JournalFormatException(name, 8,
                    "unsupported journal version " + version + " (this build reads " + JournalSegment.VERSION + ")");
        }
        long generation = b.getLong(at + 12);
        if (generation < 0) {
            throw new JournalFormatException(name, 12, "negative checkpoint generation " + generation);
        }
        return new JournalSegment.Header(version, generation);
    }

    private static Scan bad(Window w, String name, JournalSegment.Header header, long count, long at, long extent,
                            String what) throws IOException {
        boolean tail = onlyZerosFrom(w, extent);
        End end = tail ? End.TORN_TAIL : End.CORRUPT_MIDDLE;
        String problem = name + "@" + at + ": " + what
                + (tail ? "; torn tail, truncate to " + at : "; more data follows, segment refused");
        return new Scan(header, count, end, at, Optional.of(problem));
    }

    /** The bytes after a record cut short number fewer than its length + frame, so they fit under the cap. */
    private static boolean validRecordAfter(Window w, long pos) throws IOException {
        int n = (int) (w.size - pos);
        int base = w.at(pos, n);
        byte[] rest = w.array();
        ByteBuffer b = ByteBuffer.wrap(rest);
        CRC32C crc = new CRC32C();
        for (int o = base + 1; o + FRAME_BYTES < base + n; o++) {
            int length = b.getInt(o);
            if (length >= 1 && length <= base + n - o - FRAME_BYTES) {
                crc.reset();
                crc.update(rest, o + FRAME_BYTES, length);
                if ((int) crc.getValue() == b.getInt(o + 4)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean onlyZerosFrom(Window w, long from) throws IOException {
        for (long pos = from; pos < w.size; ) {
            int n = (int) Math.min(Window.CAPACITY, w.size - pos);
            int at = w.at(pos, n);
            byte[] b = w.array();
            for (int i = at; i < at + n; i++) {
                if (b[i] != 0) {
                    return false;
                }
            }
            pos += n;
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
