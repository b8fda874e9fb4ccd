package dev.belfry.host.internal.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
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
        Optional<String> unsafe = checkOwnership(dataDir);
        if (unsafe.isPresent()) {
            throw new IllegalStateException(unsafe.get());
        }
        Path system = dataDir.resolve("_system");
        boolean fresh = !Files.isDirectory(system);
        Path dir = OwnerOnly.createDirectories(system);
        if (fresh) {
            // The new _system entry must survive a power loss like the state file in it: sync its parent.
            SmallFiles.syncDirectory(dataDir);
        }
        Path file = dir.resolve(FILE);
        Optional<String> odd = notRegular(file);
        if (odd.isPresent()) {
            throw new IllegalStateException("cannot use data directory " + dataDir + ": " + odd.get());
        }
        // NOFOLLOW_LINKS: a link planted between the check and here fails the open instead of being written through.
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS), OwnerOnly.fileAttributes(file));
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
                    + (holder.isEmpty() ? "" : " (" + holder + ")") + "; stop it or use another data directory");
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
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Set<OpenOption> options = Set.of(StandardOpenOption.WRITE, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        try (FileChannel channel = FileChannel.open(file, options)) {
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

    /**
     * Tells whether the CLI may send a secret it read from the data directory (the admin token, the graph password)
     * to the address written beside it: only while a live host holds the directory's lock, and only if that file was
     * written since the host took it. An address left by a host that was killed names a port anyone may now listen
     * on.
     *
     * @param dataDir the data directory
     * @param file    the address file ({@code admin.url}, {@code graph/bolt.url})
     * @return whether a host holds the directory and wrote {@code file} during its run
     */
    public static boolean writtenByRunningHost(Path dataDir, Path file) {
        if (!isHeld(dataDir) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            FileTime locked = Files.getLastModifiedTime(dataDir.resolve("_system").resolve(FILE),
                    LinkOption.NOFOLLOW_LINKS);
            return Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).compareTo(locked) >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Checks that no other user could have prepared or can change the data directory, its {@code _system} and its
     * {@code graph} folders (those that exist), as ssh's StrictModes does for {@code ~/.ssh}: another user's folder
     * could hold their own host id, lock file links or address files, and a folder others may write lets them swap
     * {@code admin.url} for their own listener. A folder of ours that group or others may write is narrowed to 0700.
     *
     * @param dataDir the data directory
     * @return what is wrong, in one line naming the folder, its owner and mode, if anything is
     * @throws IOException if a folder's owner or mode cannot be read
     */
    public static Optional<String> checkOwnership(Path dataDir) throws IOException {
        if (!posix(dataDir)) {
            return Optional.empty();
        }
        UserPrincipal me = currentUser();
        return check(dataDir, me, "not by " + me.getName() + " who runs Belfry; another user could have prepared"
                + " what is in it (remove it, or chown it)", true);
    }

    /**
     * What the CLI checks before it reads a secret from a data directory and sends it: the folders are all the data
     * directory owner's and no one else may write them (else the address files could be anyone's), and each secret
     * file is a regular file of that owner, never a link (else a planted link would make the CLI read, and send,
     * another directory's secret). The owner need not be the CLI's user: root may steer a service user's host.
     *
     * @param dataDir the data directory
     * @param secrets the secret files about to be read (those that exist are checked)
     * @return what is wrong, in one line, if anything is
     * @throws IOException if an owner or mode cannot be read
     */
    public static Optional<String> checkForClient(Path dataDir, Path... secrets) throws IOException {
        if (!posix(dataDir) || !Files.isDirectory(dataDir)) {
            return Optional.empty();
        }
        UserPrincipal owner = Files.getOwner(dataDir);
        Optional<String> problem = check(dataDir, owner, "not by " + owner.getName() + " who owns the data directory",
                false);
        if (problem.isPresent()) {
            return problem;
        }
        for (Path secret : secrets) {
            if (!Files.exists(secret, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            if (!Files.isRegularFile(secret, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of("refusing data directory " + dataDir + ": " + secret + " is "
                        + (Files.isSymbolicLink(secret) ? "a symbolic link" : "not a regular file")
                        + "; a host writes it as a regular file");
            }
            UserPrincipal fileOwner = Files.getOwner(secret, LinkOption.NOFOLLOW_LINKS);
            if (!fileOwner.equals(owner)) {
                return Optional.of("refusing data directory " + dataDir + ": " + secret + " is owned by "
                        + fileOwner.getName() + ", not by " + owner.getName() + " who owns the data directory");
            }
        }
        return Optional.empty();
    }

    private static Optional<String> check(Path dataDir, UserPrincipal owner, String ownerWhy, boolean narrow)
            throws IOException {
        if (Files.isSymbolicLink(dataDir)) {
            // A link is followed to its target, which is checked below; the link itself must be ours too, or its
            // owner could point it elsewhere.
            UserPrincipal linkOwner = Files.getOwner(dataDir, LinkOption.NOFOLLOW_LINKS);
            if (!linkOwner.equals(owner)) {
                return Optional.of("refusing data directory " + dataDir + ": it is a symbolic link owned by "
                        + linkOwner.getName() + ", " + ownerWhy);
            }
        }
        for (Path dir : List.of(dataDir.resolve("_system"), dataDir.resolve("graph"))) {
            if (Files.isSymbolicLink(dir)) {
                // Followed, a planted link would have us narrow (and write into) whatever folder it names.
                return Optional.of("refusing data directory " + dataDir + ": " + dir + " is a symbolic link; Belfry"
                        + " keeps its files in a folder of its own there (remove the link)");
            }
        }
        for (Path dir : List.of(dataDir, dataDir.resolve("_system"), dataDir.resolve("graph"))) {
            if (!Files.exists(dir)) {
                continue;
            }
            PosixFileAttributes attrs = Files.readAttributes(dir, PosixFileAttributes.class);
            String mode = PosixFilePermissions.toString(attrs.permissions());
            if (!attrs.owner().equals(owner)) {
                return Optional.of("refusing data directory " + dataDir + ": " + dir + " is owned by "
                        + attrs.owner().getName() + " (" + mode + "), " + ownerWhy);
            }
            Set<PosixFilePermission> perms = attrs.permissions();
            if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                if (narrow) {
                    try {
                        Files.setPosixFilePermissions(dir, EnumSet.copyOf(OwnerOnly.FOLDER));
                        log.warn("{} was writable by group or others ({}); narrowed it to rwx------", dir, mode);
                        continue;
                    } catch (IOException e) {
                        // reported below
                    }
                }
                return Optional.of("refusing data directory " + dataDir + ": " + dir + " is writable by group or"
                        + " others (" + mode + "); chmod 700 it");
            }
        }
        return Optional.empty();
    }

    /** The user running this JVM: by name, or, where it has none (a container's arbitrary uid), as a new file's owner. */
    static UserPrincipal currentUser() throws IOException {
        try {
            return FileSystems.getDefault().getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name"));
        } catch (UserPrincipalNotFoundException e) {
            Path probe = Files.createTempFile("belfry-owner", ".tmp");
            try {
                return Files.getOwner(probe);
            } finally {
                Files.deleteIfExists(probe);
            }
        }
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** @return why {@code file} cannot be the lock file (a link, a FIFO, a folder), if it exists and cannot */
    private static Optional<String> notRegular(Path file) {
        if (Files.isSymbolicLink(file)) {
            return Optional.of(file + " is a symbolic link, not a regular file; remove it (a link there is never"
                    + " followed)");
        }
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of(file + " is not a regular file; remove it");
        }
        return Optional.empty();
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
