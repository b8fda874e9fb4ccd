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
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
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
        Path a = jar(dir.resolve("a-1.0.0.jar"), "a");
        Path b = jar(dir.resolve("b-2.0.0.jar"), "b");

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
        Path jar = jar(dir.resolve("a-1.0.0.jar"), "a");

        assertThat(belfry("plugins", "trust", "--data", data.toString(), jar.toString())).isEqualTo(2);

        assertThat(err.toString().strip()).isEqualTo("belfry: " + lock
                + " is a symbolic link; remove it (a link there is never followed)");
        assertThat(victim).hasContent("precious");
        assertThat(PluginTrust.pinFile(data)).doesNotExist();
    }

    void shouldRefuseAFileThatIsNotAJarWithExitTwoAndPinNothing() throws IOException {
        Path data = dir.resolve("data");
        Path text = Files.writeString(dir.resolve("passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        Path zip = dir.resolve("bare.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("readme.txt"));
        }

        assertThat(belfry("plugins", "trust", "--data", data.toString(), text.toString())).isEqualTo(2);
        assertThat(belfry("plugins", "trust", "--data", data.toString(), zip.toString())).isEqualTo(2);

        assertThat(err.toString().lines()).satisfiesExactly(
                l -> assertThat(l).startsWith("belfry: " + text + ": not a plugin jar (not a zip archive: ")
                        .endsWith("; only jars can be pinned)"),
                l -> assertThat(l).isEqualTo("belfry: " + zip + ": not a plugin jar (it has no"
                        + " META-INF/MANIFEST.MF; only jars can be pinned)"));
        assertThat(PluginTrust.pinFile(data)).doesNotExist();
    }

    private static Path jar(Path file, String name) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Plugin-Id", name);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(file), manifest)) {
            out.putNextEntry(new ZipEntry(name + ".txt"));
        }
        return file;
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
