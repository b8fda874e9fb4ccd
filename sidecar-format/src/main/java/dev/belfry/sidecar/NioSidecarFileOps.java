package dev.belfry.sidecar;

import java.io.IOException;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

// The real file operations. The only platform special case is documented at forceDirectory.
final class NioSidecarFileOps implements SidecarFileOps {
    static final NioSidecarFileOps INSTANCE = new NioSidecarFileOps(
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows"));

    /** Below G1's humongous-object size for any heap, so the buffer is an ordinary short-lived object. */
    private static final int WRITE_BUFFER_BYTES = 128 * 1024;

    private final boolean windows;

    NioSidecarFileOps(boolean windows) {
        this.windows = windows;
    }

    @Override
    public Path createTempFile(Path dir, String prefix, String suffix) throws IOException {
        return Files.createTempFile(dir, prefix, suffix);
    }

    @Override
    public void write(Path file, Content content) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
             OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), WRITE_BUFFER_BYTES)) {
            content.writeTo(out);
        }
    }

    @Override
    public void force(Path file) throws IOException {
        // fsync works on the inode, so a fresh descriptor flushes what an earlier one wrote.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    @Override
    public void copy(Path from, Path to) throws IOException {
        Files.deleteIfExists(to);
        try {
            // The store never writes a file in place (a new main file is always a rename), so a second name for
            // the old content is as good as a copy of it, and keeping the previous generation costs no I/O instead
            // of reading and writing the whole file (40-50 MB at 100,000 jobs) on every commit.
            Files.createLink(to, from);
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING); // a file system without hard links
        }
    }

    @Override
    public void atomicMove(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (AccessDeniedException e) {
            // Windows cannot open a directory as a channel and raises exactly this. NTFS journals renames itself,
            // so there is nothing more to flush there. On every other platform the error is real.
            if (windows) {
                return;
            }
            throw e;
        }
        try (ch) {
            ch.force(true);
        }
    }

    @Override
    public void deleteIfExists(Path file) throws IOException {
        Files.deleteIfExists(file);
    }
}
