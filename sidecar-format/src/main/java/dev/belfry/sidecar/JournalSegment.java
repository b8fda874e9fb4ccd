package dev.belfry.sidecar;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The on-disk framing of a journal segment: a fixed header naming the checkpoint generation the segment follows,
 * then records, each a big-endian payload length, the CRC32C of the payload and the payload bytes. The grammar is
 * documented in {@code docs/sidecar-format.md} ("Journal segments"); payloads are opaque to the framing.
 */
public final class JournalSegment {
    /** The eight ASCII bytes every segment starts with. */
    public static final String MAGIC = "BELFRYJ1";
    /** The format version this code writes and the only one it reads. */
    public static final int VERSION = 1;
    /** Bytes of the segment header: magic, version (int), generation (long). */
    public static final int HEADER_BYTES = 8 + 4 + 8;
    /** Bytes in front of each payload: length (int) and CRC32C (int). */
    public static final int FRAME_BYTES = 4 + 4;
    /**
     * The largest payload a record may carry (1 MiB). A larger length read from disk is corruption, so the reader
     * never allocates more than this for one record.
     */
    public static final int MAX_PAYLOAD_BYTES = 1 << 20;

    static final byte[] MAGIC_BYTES = MAGIC.getBytes(StandardCharsets.US_ASCII);

    private JournalSegment() {
    }

    /**
     * The header of a segment.
     *
     * @param version    the format version
     * @param generation the checkpoint generation whose changes this segment follows
     */
    public record Header(int version, long generation) {
        /**
         * Validates the header.
         *
         * @throws IllegalArgumentException if generation is negative
         */
        public Header {
            if (generation < 0) {
                throw new IllegalArgumentException("generation must not be negative: " + generation);
            }
        }
    }

    static ByteBuffer encodeHeader(long generation) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
        b.put(MAGIC_BYTES).putInt(VERSION).putLong(new Header(VERSION, generation).generation());
        return b.flip();
    }

    static ByteBuffer encodeRecord(byte[] payload) {
        checkPayload(payload.length);
        ByteBuffer b = ByteBuffer.allocate(FRAME_BYTES + payload.length);
        b.putInt(payload.length).putInt(crc(payload)).put(payload);
        return b.flip();
    }

    static void checkPayload(int length) {
        // Empty payloads are refused so that a zero-filled tail can never parse as valid records
        // (the CRC32C of no bytes is 0).
        if (length < 1 || length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException(
                    "payload must be 1.." + MAX_PAYLOAD_BYTES + " bytes: " + length);
        }
    }

    static int crc(byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload, 0, payload.length);
        return (int) crc.getValue();
    }
}
