package dev.belfry.host.internal.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/** Writes the host's small files (ids, URLs, tokens, credentials) whole, never half. */
public final class SmallFiles {
    private static final boolean WINDOWS =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    private SmallFiles() {
    }

    /**
     * Writes a file through a temporary file and an atomic rename, so a reader sees the old text or the new one,
     * durably: the temporary file is flushed before the rename and the directory after it, so after a power loss
     * the file holds the old text or the new one, never nothing.
     *
     * @param file      the file
     * @param text      its new content
     * @param ownerOnly create it readable and writable by the owner only (0600), for secrets; it is never widened
     * @throws IOException if it cannot be written
     */
    public static void writeAtomically(Path file, String text, boolean ownerOnly) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (ownerOnly && file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(file.toAbsolutePath().getParent());
    }

    /**
     * Flushes a directory's entries to disk (fsync of the directory), so files created or renamed in it survive a
     * power loss.
     *
     * @param dir the directory
     * @throws IOException if the directory cannot be opened or synced
     */
    public static void syncDirectory(Path dir) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (AccessDeniedException e) {
            // Windows cannot open a directory as a channel and NTFS journals renames itself (as in the sidecar's
            // own writer); on every other platform the error is real.
            if (WINDOWS) {
                return;
            }
            throw e;
        }
        try (channel) {
            channel.force(true);
        }
    }
}
