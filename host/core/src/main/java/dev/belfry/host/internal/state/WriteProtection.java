package dev.belfry.host.internal.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Optional;
import java.util.Set;

/**
 * Whether only the user running Belfry (or root) can change a path, as ssh's StrictModes asks of {@code ~/.ssh}:
 * a plugins folder or plugin jar that another user may write is code that user runs as Belfry's user.
 */
public final class WriteProtection {
    private WriteProtection() {
    }

    /**
     * @param path a folder or file (followed if a link: what is read is its target)
     * @return why someone other than the user running Belfry, or root, can change it and what to do, such as
     *         {@code is writable by group or others (rwxrwxrwx): chmod go-w it}; empty if no one can, the path does
     *         not exist, or the file system has no owners
     * @throws IOException if its owner or mode cannot be read
     */
    public static Optional<String> problem(Path path) throws IOException {
        if (!path.getFileSystem().supportedFileAttributeViews().contains("posix") || !Files.exists(path)) {
            return Optional.empty();
        }
        PosixFileAttributes attrs = Files.readAttributes(path, PosixFileAttributes.class);
        String mode = PosixFilePermissions.toString(attrs.permissions());
        UserPrincipal me = DataDirLock.currentUser();
        if (!attrs.owner().equals(me) && !attrs.owner().getName().equals("root")) {
            return Optional.of("is owned by " + attrs.owner().getName() + " (" + mode + "), not by " + me.getName()
                    + " who runs Belfry or by root: chown it");
        }
        Set<PosixFilePermission> perms = attrs.permissions();
        if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            return Optional.of("is writable by group or others (" + mode + "): chmod go-w it");
        }
        return Optional.empty();
    }
}
