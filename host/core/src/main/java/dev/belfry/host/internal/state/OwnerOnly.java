package dev.belfry.host.internal.state;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Keeps what Belfry creates under its data directory readable by its owner only: folders 0700, files 0600. The JVM
 * cannot set a umask, so folders are created with their mode and files that other code (Neo4j) creates are narrowed
 * afterwards; a folder at 0700 already keeps other users out of everything below it. On a file system without POSIX
 * permissions these methods only create folders.
 */
public final class OwnerOnly {
    // Immutable: these are shared by every host in the JVM, and plugin code can reach this class.
    /** Folders: rwx for the owner only. */
    public static final Set<PosixFilePermission> FOLDER = Set.copyOf(PosixFilePermissions.fromString("rwx------"));
    /** Files: rw for the owner only. */
    public static final Set<PosixFilePermission> FILE = Set.copyOf(PosixFilePermissions.fromString("rw-------"));

    private OwnerOnly() {
    }

    /**
     * Like {@link Files#createDirectories}, but every folder it creates (the missing ancestors too) is 0700. Folders
     * that exist keep their mode.
     *
     * @param dir the folder
     * @return {@code dir}
     * @throws IOException if a folder cannot be created
     */
    public static Path createDirectories(Path dir) throws IOException {
        if (!posix(dir)) {
            return Files.createDirectories(dir);
        }
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = dir.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        FileAttribute<Set<PosixFilePermission>> mode = PosixFilePermissions.asFileAttribute(FOLDER);
        for (Path p : missing) {
            try {
                Files.createDirectory(p, mode);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p)) {
                    throw e;
                }
            }
        }
        return dir;
    }

    /**
     * Narrows a folder and everything below it to 0700 folders and 0600 files. Symbolic links are not followed, and
     * files that vanish during the walk (a server rotating its logs) are skipped.
     *
     * @param root the folder
     * @throws IOException if the folder cannot be walked or a mode cannot be set
     */
    public static void narrow(Path root) throws IOException {
        if (!posix(root) || !Files.isDirectory(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                return set(dir, FOLDER);
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                return attrs.isSymbolicLink() ? FileVisitResult.CONTINUE : set(file, FILE);
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // removed since its folder was listed: nothing left to narrow
                }
                throw e;
            }

            private FileVisitResult set(Path p, Set<PosixFilePermission> mode) throws IOException {
                try {
                    Files.setPosixFilePermissions(p, mode);
                } catch (NoSuchFileException gone) {
                    // removed since its folder was listed
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * @param file a file about to be created
     * @return the attribute that creates it 0600, or none where the file system has no POSIX permissions
     */
    public static FileAttribute<?>[] fileAttributes(Path file) {
        return posix(file) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)}
                : new FileAttribute<?>[0];
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
