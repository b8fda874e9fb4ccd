package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.internal.admin.AdminServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files the user may not read are reported as such, naming the file (issue 17). The CLI runs in a child JVM so that
 * file permissions apply to it: run as root, it gives up the capabilities that bypass them.
 */
class UnreadableFilesTest {
    @TempDir
    Path dir;

    private Path err;

    @BeforeEach
    void needsPosixModes() {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX modes");
        err = dir.resolve("stderr");
    }

    @AfterEach
    void giveBackAccess() throws IOException {
        try (var all = Files.walk(dir, 1)) {
            for (Path p : all.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
            }
        }
    }

    private int belfry(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.addAll(List.of("setpriv", "--bounding-set", "-dac_override,-dac_read_search"));
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), BelfryCli.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(dir.resolve("stdout").toFile())
                .redirectError(err.toFile()).start();
        Assumptions.assumeTrue(p.waitFor(60, TimeUnit.SECONDS), "the CLI did not finish");
        String errors = Files.readString(err);
        Assumptions.assumeFalse(errors.contains("setpriv:"), "cannot drop capabilities here: " + errors);
        return p.exitValue();
    }

    @Test
    void shouldSayPermissionDeniedNamingTheFileWhenTheDataDirectoryIsNotTheUsers() throws Exception {
        // given: a host's data directory this user may not enter
        Path data = Files.createDirectory(dir.resolve("data"));
        Files.writeString(data.resolve(AdminServer.TOKEN_FILE), "secret");
        Files.writeString(data.resolve(AdminServer.URL_FILE), "http://127.0.0.1:1/");
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("---------"));

        // when
        int exit = belfry("status", "--data", data.toString());

        // then
        assertThat(exit).as("stderr: %s", Files.readString(err)).isEqualTo(BelfryCli.EXIT_FAILED);
        assertThat(Files.readAllLines(err)).containsExactly("belfry: cannot read "
                + data.resolve(AdminServer.TOKEN_FILE) + ": permission denied; run this as the user who runs the host");
    }

    @Test
    void shouldSayPermissionDeniedWhenTheTokenIsNotReadable() throws Exception {
        Path data = Files.createDirectory(dir.resolve("data"));
        Path token = Files.writeString(data.resolve(AdminServer.TOKEN_FILE), "secret");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("---------"));

        assertThat(belfry("status", "--data", data.toString())).isEqualTo(BelfryCli.EXIT_FAILED);

        assertThat(Files.readAllLines(err)).containsExactly("belfry: cannot read " + token
                + ": permission denied; run this as the user who runs the host");
    }

    @Test
    void shouldSayWhyAStateFileCannotBeReadWhenDumping() throws Exception {
        Path file = Files.writeString(dir.resolve("background_jobs.json"), "{}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));

        assertThat(belfry("sidecar", "dump", file.toString())).isEqualTo(BelfryCli.EXIT_USAGE);

        assertThat(Files.readAllLines(err)).containsExactly("belfry: cannot read " + file + ": permission denied");
    }
}
