package dev.belfry.host.internal.plugins;

import ch.qos.logback.classic.Level;
import dev.belfry.host.testing.LogCapture;
import static dev.belfry.host.internal.plugins.PluginSupervisorTest.withJob;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.PluginProblemView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginTrustTest {
    @TempDir
    Path plugins;
    @TempDir
    Path data;
    @TempDir
    Path scratch;

    private final PluginSupervisorTest.Recorder recorder = new PluginSupervisorTest.Recorder();
    private PluginSupervisor supervisor;

    @AfterEach
    void stop() {
        if (supervisor != null) {
            supervisor.close();
        }
    }

    private PluginSupervisor supervisor(PluginTrust trust) {
        supervisor = new PluginSupervisor(plugins, "1.0.0", recorder, schedule -> { }, trust);
        return supervisor;
    }

    @Test
    void shouldRefuseAnUnpinnedJarBeforeAnyOfItsClassesLoadAndLoadItOncePinned() throws IOException {
        Path marker = scratch.resolve("class-initialised");
        Path jar = withJob("alpha", "one").pluginClass("p.alpha.AlphaPlugin")
                .source("p.alpha.AlphaPlugin", "package p.alpha;\n"
                        + "public class AlphaPlugin extends org.pf4j.Plugin {\n"
                        + "  static {\n"
                        + "    try { java.nio.file.Files.createFile(java.nio.file.Path.of(\""
                        + marker.toAbsolutePath().toString().replace("\\", "\\\\") + "\")); }\n"
                        + "    catch (java.io.IOException e) { throw new IllegalStateException(e); }\n"
                        + "  }\n"
                        + "}\n")
                .writeTo(plugins, "alpha.jar");
        String hash = PluginTrust.sha256(jar);

        List<String> warnings;
        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor(PluginTrust.required(data)).scan();
            supervisor.scan();
            warnings = log.messages(PluginSupervisor.class, Level.WARN);
        }

        assertThat(supervisor.pluginIds()).isEmpty();
        assertThat(marker).doesNotExist();
        String problem = "alpha.jar: not trusted: SHA-256 " + hash + " is not pinned (require-trusted-plugins is on;"
                + " pin it with: belfry plugins trust --data "
                + data.toAbsolutePath() + " " + plugins.resolve("alpha.jar").toAbsolutePath() + ")";
        assertThat(recorder.problemLines()).containsExactly(problem);
        assertThat(warnings).containsExactly("ERROR plugin refused: " + problem);

        assertThat(PluginTrust.pin(data, List.of(jar))).containsExactly(hash + "  alpha.jar");
        supervisor.scan();

        assertThat(supervisor.pluginIds()).containsExactly("alpha");
        assertThat(marker).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(PluginTrust.pinFile(data))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(PluginTrust.pinFile(data))).contains(hash + "  alpha.jar\n");
    }

    @Test
    void shouldRefuseAChangedJarAndAnExplodedFolderWhenPinningIsRequired() throws IOException {
        Path jar = withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        PluginTrust.pin(data, List.of(jar));
        withJob("alpha", "one").version("1.0.1").writeTo(plugins, "alpha.jar"); // same name, other bytes
        Files.createDirectories(plugins.resolve("folder/classes"));

        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor(PluginTrust.required(data)).scan();
        }

        assertThat(supervisor.pluginIds()).isEmpty();
        assertThat(recorder.problemLines()).containsExactlyInAnyOrder(
                "alpha.jar: not trusted: SHA-256 " + PluginTrust.sha256(jar) + " is not pinned"
                        + " (require-trusted-plugins is on; pin it with: belfry plugins trust --data "
                + data.toAbsolutePath() + " " + plugins.resolve("alpha.jar").toAbsolutePath() + ")",
                "folder: not trusted: require-trusted-plugins is on and an exploded plugin folder cannot be pinned;"
                        + " deploy it as a jar and pin that");
    }

    @Test
    void shouldRefuseAJarOverTheSizeLimitWithoutHashingItAndStillLoadTheOthers() throws IOException {
        withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        PluginTrust.pin(data, List.of(plugins.resolve("alpha.jar")));
        Path big = plugins.resolve("big.jar");
        long size = PluginSupervisor.MAX_JAR_BYTES + 1;
        try (var file = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(size); // sparse: costs no disk, but reading it would take as long as a real one
        }

        List<String> errors;
        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor(PluginTrust.required(data)).scan();
            supervisor.scan();
            errors = log.lines(Level.ERROR);
        }

        assertThat(supervisor.pluginIds()).containsExactly("alpha");
        String line = "big.jar: " + size + " bytes, over the 256 MiB limit for a plugin jar; not read";
        assertThat(recorder.problemLines()).containsExactly(line);
        assertThat(errors).hasSize(1).allMatch(l -> l.contains("plugin refused: " + line));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PluginTrust.pin(data, List.of(big)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("big.jar: " + size + " bytes, over the 256 MiB limit for a plugin jar"
                        + " (it would never load)");
    }

    @Test
    void shouldTrustNothingWhenThePinFileIsMalformed() throws IOException {
        Path jar = withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        PluginTrust.pin(data, List.of(jar));
        Files.writeString(PluginTrust.pinFile(data), "not a hash  alpha.jar\n", java.nio.file.StandardOpenOption.APPEND);

        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor(PluginTrust.required(data)).scan();
        }

        assertThat(supervisor.pluginIds()).isEmpty();
        assertThat(recorder.problemLines()).containsExactly("alpha.jar: not trusted: SHA-256 "
                + PluginTrust.sha256(jar) + "; trusted-plugins.sha256 cannot be used: line 3 is not \"<sha256 in hex>"
                + "  <file name>\"");
    }

    @Test
    void shouldTrustNothingWhenOthersCanWriteThePinFile() throws IOException {
        Path jar = withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        PluginTrust.pin(data, List.of(jar));
        Files.setPosixFilePermissions(PluginTrust.pinFile(data), PosixFilePermissions.fromString("rw-rw-rw-"));

        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor(PluginTrust.required(data)).scan();
        }

        assertThat(supervisor.pluginIds()).isEmpty();
        assertThat(recorder.problemLines()).containsExactly("alpha.jar: not trusted: SHA-256 "
                + PluginTrust.sha256(jar) + "; trusted-plugins.sha256 cannot be used: it is writable by others than"
                + " its owner (mode rw-rw-rw-; chmod 600 it)");
    }

    @Test
    void shouldNoticeAChmodOfThePinFileAtTheNextScanWithoutATouch() throws IOException {
        Path jar = withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        PluginTrust.pin(data, List.of(jar));
        Path pinFile = PluginTrust.pinFile(data);
        Files.setPosixFilePermissions(pinFile, PosixFilePermissions.fromString("rw-rw-r--"));
        var modified = Files.getLastModifiedTime(pinFile);

        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor(PluginTrust.required(data)).scan();
            assertThat(supervisor.pluginIds()).isEmpty();
            assertThat(log.messages(PluginSupervisor.class, Level.WARN)).singleElement().asString()
                    .contains("writable by others than its owner (mode rw-rw-r--; chmod 600 it)");

            Files.setPosixFilePermissions(pinFile, PosixFilePermissions.fromString("rw-------"));
            supervisor.scan();
        }

        assertThat(Files.getLastModifiedTime(pinFile)).isEqualTo(modified);
        assertThat(supervisor.pluginIds()).containsExactly("alpha");
    }

    @Test
    void shouldLoadEveryPluginWhenPinningIsOff() {
        withJob("alpha", "one").writeTo(plugins, "alpha.jar");

        supervisor(PluginTrust.off()).scan();

        assertThat(supervisor.pluginIds()).containsExactly("alpha");
    }

    @Test
    void shouldNameAnUnpinnedJarWithItsHashInTheHostsPluginProblems() throws IOException {
        Path jar = withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        HostConfig config = HostConfig.builder().dataDir(data).pluginsDir(plugins).pluginScanInterval(Duration.ZERO).requireTrustedPlugins(true).build();

        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start(); Host host = Host.start(config)) {
            assertThat(host.plugins()).isEmpty();
            assertThat(host.pluginProblems()).extracting(PluginProblemView::toString).containsExactly("alpha.jar: not"
                    + " trusted: SHA-256 " + PluginTrust.sha256(jar) + " is not pinned (require-trusted-plugins is"
                    + " on; pin it with: belfry plugins trust --data "
                + data.toAbsolutePath() + " " + plugins.resolve("alpha.jar").toAbsolutePath() + ")");
        }
    }
}
