package dev.belfry.sidecar;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Appends framed records to a journal segment through a {@link FileChannel} the caller opens, positions and
 * closes. Records are gathered in a buffer and written by {@link #flush()} (one write for a whole batch); nothing
 * is durable until {@link #sync()} returns. Not thread-safe: one writer thread owns it.
 */
public final class JournalWriter {
    private final FileChannel channel;
    private final Path file;
    private final SidecarFileOps ops;
    private final CRC32C crc = new CRC32C();
    private ByteBuffer batch = ByteBuffer.allocateDirect(64 * 1024);
    private long written;

    /**
     * Creates a writer that appends at the channel's current position.
     *
     * @param channel a channel open for writing
     * @throws NullPointerException if channel is null
     */
    public JournalWriter(FileChannel channel) {
        this(channel, Path.of("journal"), SidecarFileOps.nio());
    }

    /**
     * Creates a writer that appends at the channel's current position through the given file operations.
     *
     * @param channel a channel open for writing
     * @param file    the segment, for messages
     * @param ops     the file operations (faulty ones in fault-injection tests)
     * @throws NullPointerException if an argument is null
     */
    public JournalWriter(FileChannel channel, Path file, SidecarFileOps ops) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.file = Objects.requireNonNull(file, "file");
        this.ops = Objects.requireNonNull(ops, "ops");
    }

    /**
     * Writes the segment header; call once, on an empty segment, before any record.
     *
     * @param generation the checkpoint generation the segment follows
     * @throws IllegalArgumentException if generation is negative
     * @throws IOException              if the write fails
     */
    public void writeHeader(long generation) throws IOException {
        writeFully(JournalSegment.encodeHeader(generation));
    }

    /**
     * Appends one record holding the payload.
     *
     * @param payload the record's contents, 1 to {@link JournalSegment#MAX_PAYLOAD_BYTES} bytes
     * @throws IllegalArgumentException if the payload is empty or too large
     * @throws IOException              if the write fails
     */
    public void append(byte[] payload) throws IOException {
        append(payload, 0, payload.length);
    }

    /**
     * Adds one record to the batch; it reaches the file at the next {@link #flush()} (or earlier, if the batch
     * buffer fills).
     *
     * @param payload a buffer holding the record's contents
     * @param offset  where they start
     * @param length  how many bytes, 1 to {@link JournalSegment#MAX_PAYLOAD_BYTES}
     * @throws IllegalArgumentException if the length is out of range
     * @throws IOException              if writing a full batch fails
     */
    public void append(byte[] payload, int offset, int length) throws IOException {
        JournalSegment.checkPayload(length);
        Objects.checkFromIndexSize(offset, length, payload.length);
        int need = JournalSegment.FRAME_BYTES + length;
        if (batch.remaining() < need) {
            flush();
            if (batch.capacity() < need) {
                batch = ByteBuffer.allocateDirect(need);
            }
        }
        crc.reset();
        crc.update(payload, offset, length);
        batch.putInt(length).putInt((int) crc.getValue()).put(payload, offset, length);
    }

    /**
     * Writes the gathered records to the file (not yet durably).
     *
     * @throws IOException if the write fails; what of the batch reached the file is then unknown
     */
    public void flush() throws IOException {
        batch.flip();
        try {
            writeFully(batch);
        } finally {
            batch.clear();
        }
    }

    /**
     * Writes the gathered records and makes everything written so far durable ({@code fdatasync}: the file's
     * contents, not its metadata times).
     *
     * @throws IOException if the write or the device fails; the written records must then not be acknowledged
     */
    public void sync() throws IOException {
        flush();
        ops.forceSegment(channel, file);
    }

    /** @return bytes written to the file through this writer, header included */
    public long written() {
        return written;
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            written += ops.writeSegment(channel, file, b);
        }
    }
}
