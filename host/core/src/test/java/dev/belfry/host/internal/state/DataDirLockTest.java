package dev.belfry.host.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.HostStartException;
import dev.belfry.host.testing.LogCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data directory another user prepared, or planted links in, is refused before anything is written, like ssh's
 * StrictModes (issue 15, security).
 */
class DataDirLockTest {
    @TempDir
    Path dir;

    private static void assumePosix(Path p) {
        Assumptions.assumeTrue(p.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX modes");
    }

    /** Gives a folder to nobody (uid 65534); only root may, so other runs skip. */
    private static void giveToNobody(Path p) throws IOException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "only root can give files away");
        UserPrincipal nobody;
        try {
            nobody = p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        } catch (IOException e) {
            Assumptions.abort("no user nobody here");
            return;
        }
        Files.getFileAttributeView(p, PosixFileAttributeView.class).setOwner(nobody);
    }

    @Test
    void shouldRefuseADataDirectoryOwnedByAnotherUserBeforeWritingAnything() throws IOException {
        assumePosix(dir);
        Path data = Files.createDirectory(dir.resolve("data"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxrwxrwx"));
        giveToNobody(data);

        assertThatThrownBy(() -> DataDirLock.acquire(data)).isInstanceOf(IllegalStateException.class)
                .hasMessage("refusing data directory " + data + ": " + data + " is owned by nobody (rwxrwxrwx), not by"
                        + " root who runs Belfry; another user could have prepared what is in it (remove it, or chown"
                        + " it)");
        assertThat(data.resolve("_system")).doesNotExist();
    }

    @Test
    void shouldRefuseToStartAHostOnAnotherUsersDataDirectoryKeepingTheirHostId() throws IOException {
        assumePosix(dir);
        Path data = Files.createDirectory(dir.resolve("data"));
        Path system = Files.createDirectory(data.resolve("_system"));
        Path hostId = Files.writeString(system.resolve(HostId.FILE), "planted\n");
        giveToNobody(system);
        Path plugins = Files.createDirectory(dir.resolve("plugins"));

        assertThatThrownBy(() -> Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).build()))
                .isInstanceOf(HostStartException.class)
                .hasMessageStartingWith("refusing data directory " + data + ": " + system + " is owned by nobody");
        assertThat(system.resolve(DataDirLock.FILE)).doesNotExist();
        assertThat(hostId).hasContent("planted");
    }

    @Test
    void shouldRefuseAGraphFolderOwnedByAnotherUser() throws IOException {
        assumePosix(dir);
        Path graph = Files.createDirectories(dir.resolve("data/graph"));
        giveToNobody(graph);

        assertThatThrownBy(() -> DataDirLock.acquire(dir.resolve("data"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(graph + " is owned by nobody");
    }

    @Test
    void shouldLetTheClientUseAServiceUsersDataDirectoryButNotAnotherUsersFolderInIt() throws IOException {
        assumePosix(dir);
        Path data = Files.createDirectory(dir.resolve("data"));
        Path token = Files.writeString(data.resolve("admin.token"), "t\n");
        giveToNobody(data);
        giveToNobody(token);
        assertThat(DataDirLock.checkForClient(data, token)).isEmpty();

        Path system = Files.createDirectory(data.resolve("_system"));
        Files.setPosixFilePermissions(system, PosixFilePermissions.fromString("rwx------"));
        assertThat(DataDirLock.checkForClient(data, token)).hasValueSatisfying(problem -> assertThat(problem)
                .isEqualTo("refusing data directory " + data + ": " + system + " is owned by root (rwx------), not by"
                        + " nobody who owns the data directory"));
    }

    @Test
    void shouldNarrowOurOwnFoldersThatOthersMayWrite() throws IOException {
        assumePosix(dir);
        Path data = Files.createDirectory(dir.resolve("data"));
        Path system = Files.createDirectory(data.resolve("_system"));
        Path graph = Files.createDirectory(data.resolve("graph"));
        for (Path p : new Path[] {data, system, graph}) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxrwxrwx"));
        }

        try (LogCapture log = LogCapture.of(DataDirLock.class).start(); DataDirLock lock = DataDirLock.acquire(data)) {
            for (Path p : new Path[] {data, system, graph}) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as("%s", p)
                        .isEqualTo("rwx------");
            }
            assertThat(log.lines(Level.WARN)).containsExactly(
                    "WARN DataDirLock - " + data + " was writable by group or others (rwxrwxrwx); narrowed it to rwx------",
                    "WARN DataDirLock - " + system + " was writable by group or others (rwxrwxrwx); narrowed it to rwx------",
                    "WARN DataDirLock - " + graph + " was writable by group or others (rwxrwxrwx); narrowed it to rwx------");
        }
    }

    @Test
    void shouldNeverWriteThroughALockFileThatIsALink() throws IOException {
        Path data = dir.resolve("data");
        Path system = Files.createDirectories(data.resolve("_system"));
        Path victim = Files.writeString(dir.resolve("victim"), "precious\n");
        Files.createSymbolicLink(system.resolve(DataDirLock.FILE), victim);

        assertThatThrownBy(() -> DataDirLock.acquire(data)).isInstanceOf(IllegalStateException.class)
                .hasMessage("cannot use data directory " + data + ": " + system.resolve(DataDirLock.FILE)
                        + " is a symbolic link, not a regular file; remove it (a link there is never followed)");
        assertThat(victim).hasContent("precious");
        assertThat(DataDirLock.isHeld(data)).isFalse();
    }

    @Test
    void shouldSayALockFileThatIsAFifoIsNotARegularFile() throws IOException, InterruptedException {
        Path data = dir.resolve("data");
        Path system = Files.createDirectories(data.resolve("_system"));
        Path fifo = system.resolve(DataDirLock.FILE);
        Process mkfifo;
        try {
            mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("no mkfifo here");
            return;
        }
        Assumptions.assumeTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo worked");

        assertThatThrownBy(() -> DataDirLock.acquire(data)).isInstanceOf(IllegalStateException.class)
                .hasMessage("cannot use data directory " + data + ": " + fifo + " is not a regular file; remove it");
    }

    @Test
    void shouldNotTakeAPidFileForAHeldLock() throws IOException {
        // given a lock file naming a live process (this one, then its parent) that holds no lock on it
        Path system = Files.createDirectories(dir.resolve("_system"));
        Files.writeString(system.resolve(DataDirLock.FILE), "pid " + ProcessHandle.current().pid() + "\n");
        assertThat(DataDirLock.isHeld(dir)).isFalse();

        long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
        Files.writeString(system.resolve(DataDirLock.FILE), "pid " + parent + "\n");
        assertThat(DataDirLock.isHeld(dir)).isFalse();

        try (DataDirLock lock = DataDirLock.acquire(dir)) {
            assertThat(DataDirLock.isHeld(dir)).isTrue();
        }
    }

    @Test
    void shouldRefuseASystemFolderThatIsALinkWithoutTouchingWhatItNames() throws IOException {
        assumePosix(dir);
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.createSymbolicLink(data.resolve("_system"), shared);

        assertThatThrownBy(() -> DataDirLock.acquire(data)).isInstanceOf(IllegalStateException.class)
                .hasMessage("refusing data directory " + data + ": " + data.resolve("_system") + " is a symbolic"
                        + " link; Belfry keeps its files in a folder of its own there (remove the link)");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(shared))).isEqualTo("rwxrwxrwx");
        try (var files = Files.list(shared)) {
            assertThat(files).as("nothing written through the link").isEmpty();
        }
    }
}
