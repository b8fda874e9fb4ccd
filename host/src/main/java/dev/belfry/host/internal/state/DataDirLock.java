package dev.belfry.host.internal.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exclusive lock on a data directory, so two hosts never write the same sidecar. The operating system releases
 * it when the process dies, so a crash never leaves a stale lock behind.
 */
public final class DataDirLock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DataDirLock.class);
    /** The lock file, under the data directory's {@code _system} folder. */
    public static final String FILE = "host.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * @param dataDir the data directory
     * @return the held lock
     * @throws IllegalStateException if another process (or this one) holds it, naming the directory
     * @throws IOException           if the lock file cannot be created
     */
    public static DataDirLock acquire(Path dataDir) throws IOException {
        Path system = dataDir.resolve("_system");
        boolean fresh = !Files.isDirectory(system);
        Path dir = OwnerOnly.createDirectories(system);
        if (fresh) {
            // The new _system entry must survive a power loss like the state file in it: sync its parent.
            SmallFiles.syncDirectory(dataDir);
        }
        Path file = dir.resolve(FILE);
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ), OwnerOnly.fileAttributes(file));
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            String holder = readHolder(channel);
            channel.close();
            throw new IllegalStateException("data directory " + dataDir + " is in use by another Belfry host"
                    + (holder.isEmpty() ? "" : " (" + holder + ")") + "; stop it or use another --data directory");
        }
        // What an earlier version left readable to others (it created everything at the umask's mode) is narrowed
        // once the directory is ours; a folder whose modes cannot change (read-only, another owner) still starts.
        try {
            OwnerOnly.narrow(dir);
        } catch (IOException e) {
            log.warn("cannot narrow the modes of {} to its owner: {}", dir, e.toString());
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n")
                .getBytes(StandardCharsets.UTF_8)), 0);
        return new DataDirLock(channel, lock);
    }

    private static String readHolder(FileChannel channel) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(64);
            channel.read(buf, 0);
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Tells whether a host holds the directory, without creating anything there. When the process named in the lock
     * file is gone (the usual case when no host runs) the answer is no without touching the lock; otherwise the lock
     * is tried and, if free, dropped at once. Only a host that starts in that instant while its stale pid was reused
     * by another process could then find the lock taken.
     *
     * @param dataDir the data directory
     * @return whether a host (in this process or another) holds it
     */
    public static boolean isHeld(Path dataDir) {
        Path file = dataDir.resolve("_system").resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            String holder = readHolder(channel);
            if (holder.matches("pid \\d{1,18}")) {
                long pid = Long.parseLong(holder.substring(4));
                if (pid != ProcessHandle.current().pid()
                        && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    return false;
                }
            }
            FileLock probe = channel.tryLock();
            if (probe == null) {
                return true;
            }
            probe.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // a host in this JVM
        } catch (IOException e) {
            return false; // unreadable: nothing to tell from it
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
