package dev.belfry.sidecar;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * Appends framed records to a journal segment through a {@link FileChannel} the caller opens, positions and
 * closes. Nothing written is durable until {@link #sync()} returns. Not thread-safe: one writer thread owns it.
 */
public final class JournalWriter {
    private final FileChannel channel;

    /**
     * Creates a writer that appends at the channel's current position.
     *
     * @param channel a channel open for writing
     * @throws NullPointerException if channel is null
     */
    public JournalWriter(FileChannel channel) {
        this.channel = Objects.requireNonNull(channel, "channel");
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
        writeFully(JournalSegment.encodeRecord(payload));
    }

    /**
     * Makes everything written so far durable ({@code fdatasync}: the file's contents, not its metadata times).
     *
     * @throws IOException if the device reports a failure; the written records must then not be acknowledged
     */
    public void sync() throws IOException {
        channel.force(false);
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }
}
