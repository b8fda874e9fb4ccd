package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.internal.plugins.PluginTrust;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginsTrustCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int belfry(String... args) {
        return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void shouldPinEachJarsHashInTheDataDirectoryAndKeepEarlierPins() throws Exception {
        Path data = dir.resolve("data");
        Path a = Files.write(dir.resolve("a-1.0.0.jar"), new byte[] {1, 2, 3});
        Path b = Files.write(dir.resolve("b-2.0.0.jar"), new byte[] {4, 5});

        assertThat(belfry("plugins", "trust", "--data", data.toString(), a.toString())).isZero();
        assertThat(belfry("plugins", "trust", "--data", data.toString(), b.toString())).isZero();

        String n = System.lineSeparator();
        assertThat(out.toString()).isEqualTo(sha256(a) + "  a-1.0.0.jar" + n + "1 jar(s) pinned in "
                + PluginTrust.pinFile(data) + n + sha256(b) + "  b-2.0.0.jar" + n + "1 jar(s) pinned in "
                + PluginTrust.pinFile(data) + n);
        assertThat(Files.readAllLines(PluginTrust.pinFile(data))).filteredOn(l -> !l.startsWith("#"))
                .containsExactly(sha256(a) + "  a-1.0.0.jar", sha256(b) + "  b-2.0.0.jar");
    }

    @Test
    void shouldRefuseAMissingFileWithExitTwoAndPinNothing() {
        Path data = dir.resolve("data");

        assertThat(belfry("plugins", "trust", "--data", data.toString(), dir.resolve("nope.jar").toString()))
                .isEqualTo(2);

        assertThat(err.toString().strip()).isEqualTo("belfry: no such file: " + dir.resolve("nope.jar"));
        assertThat(PluginTrust.pinFile(data)).doesNotExist();
    }

    @Test
    void shouldNeverWriteThroughALockFileThatIsALink() throws IOException {
        Path data = dir.resolve("data");
        Path system = PluginTrust.pinFile(data).getParent();
        Files.createDirectories(system);
        Path victim = Files.writeString(dir.resolve("victim"), "precious\n");
        Path lock = system.resolve(".trusted-plugins.lock");
        Files.createSymbolicLink(lock, victim);
        Path jar = Files.write(dir.resolve("a-1.0.0.jar"), new byte[] {1});

        assertThat(belfry("plugins", "trust", "--data", data.toString(), jar.toString())).isEqualTo(2);

        assertThat(err.toString().strip()).isEqualTo("belfry: " + lock
                + " is a symbolic link; remove it (a link there is never followed)");
        assertThat(victim).hasContent("precious");
        assertThat(PluginTrust.pinFile(data)).doesNotExist();
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
