package dev.belfry.sidecar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The file-system steps the {@link SidecarStore} performs, one method per step, so that tests (and the host's
 * fault-injection checks) can record the order of the steps or make any one of them fail. {@link #nio()} is the
 * real implementation; a decorator that delegates to it is the usual way to inject a fault.
 *
 * <p>A durable write is: {@link #createTempFile} in the target directory, {@link #write} the bytes,
 * {@link #force} them, keep the previous generation ({@link #copy} main to {@code .bak.tmp}, {@link #force},
 * {@link #atomicMove} to {@code .bak}), {@link #atomicMove} the temp file over the main file, and
 * {@link #forceDirectory} so the renames themselves survive a power loss.
 */
public interface SidecarFileOps {

    /**
     * The real implementation on {@code java.nio.file}.
     *
     * @return file operations backed by NIO
     */
    static SidecarFileOps nio() {
        return NioSidecarFileOps.INSTANCE;
    }

    /**
     * Creates a new empty file with a unique name in {@code dir}.
     *
     * @param dir    the directory; the same one as the file that will finally be replaced
     * @param prefix the start of the file name
     * @param suffix the end of the file name
     * @return the new file
     * @throws IOException if the file cannot be created
     */
    Path createTempFile(Path dir, String prefix, String suffix) throws IOException;

    /**
     * Writes {@code content} to {@code file}, replacing what the file held. The content is produced while it is
     * written, so a large document never has to exist as one array in memory.
     *
     * @param file    the file
     * @param content writes the bytes to the stream it is given
     * @throws IOException if writing fails
     */
    void write(Path file, Content content) throws IOException;

    /**
     * A file's content, produced on demand into a stream (a sidecar of 100,000 jobs is about 60 MB: encoding it
     * straight into the file keeps the writer from allocating arrays of that size on every commit).
     */
    @FunctionalInterface
    interface Content {

        /**
         * Writes the content.
         *
         * @param out where the bytes go; not closed by this method
         * @throws IOException if the stream fails
         */
        void writeTo(OutputStream out) throws IOException;

        /**
         * @return the whole content as an array (for tests and decorators that need to see the bytes)
         * @throws IOException if producing the content fails
         */
        default byte[] toBytes() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writeTo(out);
            return out.toByteArray();
        }
    }

    /**
     * Forces a file's content and metadata to the storage device ({@code FileChannel.force(true)}).
     *
     * @param file the file
     * @throws IOException if the file cannot be opened or flushed
     */
    void force(Path file) throws IOException;

    /**
     * Makes {@code to} hold what {@code from} holds now, replacing {@code to} if it exists. The real implementation
     * makes a hard link where the file system has them (the store never writes into an existing file, so the link
     * keeps the old content when {@code from} is later replaced by a rename) and copies otherwise.
     *
     * @param from the file to copy
     * @param to   the copy
     * @throws IOException if copying fails
     */
    void copy(Path from, Path to) throws IOException;

    /**
     * Renames {@code from} to {@code to} atomically, replacing {@code to} if it exists. There is no non-atomic
     * fallback: a file system that cannot do this fails with
     * {@link java.nio.file.AtomicMoveNotSupportedException}.
     *
     * @param from the file to rename
     * @param to   its new name, in the same directory
     * @throws IOException if the rename fails or cannot be atomic
     */
    void atomicMove(Path from, Path to) throws IOException;

    /**
     * Forces a directory's entries to the storage device so renames in it are durable.
     *
     * @param dir the directory
     * @throws IOException if the directory cannot be flushed on a platform that supports flushing directories
     */
    void forceDirectory(Path dir) throws IOException;

    /**
     * Deletes a file if it exists.
     *
     * @param file the file
     * @throws IOException if the file exists and cannot be deleted
     */
    void deleteIfExists(Path file) throws IOException;

    /**
     * Creates a new journal segment, readable and writable by its owner only, and opens it for appending.
     *
     * @param file the segment
     * @return the open channel, positioned at 0
     * @throws java.nio.file.FileAlreadyExistsException if it exists
     * @throws IOException                               if it cannot be created
     */
    default FileChannel createSegment(Path file) throws IOException {
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return FileChannel.open(file, options,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        return FileChannel.open(file, options);
    }

    /**
     * Writes bytes to an open journal segment at its position.
     *
     * @param channel the segment's channel
     * @param file    the segment, for messages
     * @param bytes   what to write; its position advances by what was written
     * @return how many bytes were written
     * @throws IOException if the write fails
     */
    default int writeSegment(FileChannel channel, Path file, ByteBuffer bytes) throws IOException {
        return channel.write(bytes);
    }

    /**
     * Makes a journal segment's written contents durable ({@code fdatasync}).
     *
     * @param channel the segment's channel
     * @param file    the segment, for messages
     * @throws IOException if the device reports a failure
     */
    default void forceSegment(FileChannel channel, Path file) throws IOException {
        channel.force(false);
    }

    /**
     * Cuts a journal segment to a length (a torn tail) and makes that durable.
     *
     * @param file   the segment
     * @param length the length to keep
     * @throws IOException if it cannot be done
     */
    default void truncate(Path file, long length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            ch.truncate(length);
            ch.force(true);
        }
    }
}
