package dev.belfry.host;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The host's log lines use the words an operator writes and finds: durations as in the settings, file names. */
class HostLogTextTest {
    @TempDir
    Path data;
    @TempDir
    Path plugins;

    @RegisterExtension
    final LogCapture log = LogCapture.ofNames(Host.class.getName(), "dev.belfry").atLevel(Level.INFO);

    private HostConfig config(Duration grace) {
        return HostConfig.builder().dataDir(data).pluginsDir(plugins).pluginScanInterval(Duration.ZERO).shutdownGrace(grace).build();
    }

    @Test
    void shouldWriteTheShutdownGraceAsTheSettingsFileDoes() {
        Host.start(config(Duration.ofSeconds(2))).close();

        assertThat(log.lines(Level.INFO)).contains("INFO Host - Belfry shutting down (grace 2s)");
        assertThat(Host.shortDuration(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(Host.shortDuration(Duration.ofMinutes(10))).isEqualTo("10m");
        assertThat(Host.shortDuration(Duration.ofHours(2))).isEqualTo("2h");
        assertThat(Host.shortDuration(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Host.shortDuration(Duration.ZERO)).isEqualTo("0s");
    }

    @Test
    void shouldNameTheBackupFileTheStateWasRestoredFrom() throws IOException {
        Host.start(config(Duration.ofSeconds(2))).close();
        Path dir = data.resolve(SidecarStore.DIRECTORY);
        Path main = dir.resolve(SidecarStore.FILE_NAME);
        Path backup = dir.resolve(SidecarStore.FILE_NAME + ".bak");
        Files.copy(main, backup, StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(main, "{ torn");

        Host.start(config(Duration.ofSeconds(2))).close();

        assertThat(log.lines(Level.WARN)).contains("WARN StateLoader - state restored from " + backup + " (0 jobs)");
    }
}
