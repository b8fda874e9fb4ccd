package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.host.HostConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostConfigFileTest {
    @TempDir
    Path dir;

    private HostConfig read(String text) throws IOException {
        Path file = dir.resolve("belfry.conf");
        Files.writeString(file, text);
        RunSettings b = new RunSettings();
        HostConfigFile.apply(file, b);
        return b.host.build();
    }

    @Test
    void shouldApplyEveryKeyWithEitherDurationForm() throws IOException {
        HostConfig c = read("""
                # comments and blank lines are fine

                data-dir = /var/lib/belfry
                plugins-dir = /opt/belfry/plugins
                max-concurrent-runs = 3
                misfire-threshold = 10s
                commit-interval = 20ms
                shutdown-grace = PT1M
                plugin-stop-grace = 2m
                orphan-retention = 7d
                plugin-scan-interval = 1h
                """);

        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/belfry"));
        assertThat(c.pluginsDir()).contains(Path.of("/opt/belfry/plugins"));
        assertThat(c.maxConcurrentRuns()).isEqualTo(3);
        assertThat(c.misfireThreshold()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.commitInterval()).isEqualTo(Duration.ofMillis(20));
        assertThat(c.shutdownGrace()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.pluginStopGrace()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.orphanRetention()).isEqualTo(Duration.ofDays(7));
        assertThat(c.pluginScanInterval()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void shouldReadTheRunHistoryAndRefuseAnOutOfRangeOneNamingFileLineAndKey() throws IOException {
        assertThat(read("").runHistory()).isEqualTo(50);
        assertThat(read("run-history = 0\n").runHistory()).isZero();
        assertThat(read("run-history = 200\n").runHistory()).isEqualTo(200);
        assertThatThrownBy(() -> read("run-history = 20000\n")).hasMessage(dir.resolve("belfry.conf")
                + ":1: run-history: runHistory must be 0 to 10000, not '20000'");
        assertThatThrownBy(() -> read("run-history = many\n")).hasMessage(dir.resolve("belfry.conf")
                + ":1: run-history: \"many\" is not a whole number");
    }

    @Test
    void shouldReadTheMetricsJobLabelLimitAndRefuseANegativeOne() throws IOException {
        Path file = Files.writeString(dir.resolve("belfry.conf"), "metrics-job-labels = 20\n");
        RunSettings settings = new RunSettings();
        assertThat(settings.metricsJobLabels).isEqualTo(1000);
        HostConfigFile.apply(file, settings);
        assertThat(settings.metricsJobLabels).isEqualTo(20);
        assertThatThrownBy(() -> read("metrics-job-labels = -1\n")).hasMessage(dir.resolve("belfry.conf")
                + ":1: metrics-job-labels: \"-1\" must be 0 or more");
        assertThatThrownBy(() -> read("metrics-job-labels = 99999999999\n")).hasMessage(dir.resolve("belfry.conf")
                + ":1: metrics-job-labels: \"99999999999\" is more than a host can label (at most 999999999)");
    }

    @Test
    void shouldReadRequireTrustedPluginsOffByDefault() throws IOException {
        assertThat(read("").requireTrustedPlugins()).isFalse();
        assertThat(read("require-trusted-plugins = true\n").requireTrustedPlugins()).isTrue();
        assertThatThrownBy(() -> read("require-trusted-plugins = yes\n")).hasMessage(dir.resolve("belfry.conf")
                + ":1: require-trusted-plugins: expected true or false, found \"yes\"");
    }

    @Test
    void shouldRefuseASettingsFileOthersMayWrite() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews()
                .contains("posix"), "POSIX modes");
        Path file = Files.writeString(dir.resolve("belfry.conf"), "cluster = jdbc:postgresql://db:5432/belfry\n");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));

        assertThatThrownBy(() -> HostConfigFile.apply(file, new RunSettings())).hasMessage("--config: " + file
                + " is writable by group or others (rw-rw-rw-): chmod go-w it");
    }

    @Test
    void shouldNameFileLineAndKeyWhenAKeyIsUnknown() {
        assertThatThrownBy(() -> read("commit-interval = 20ms\ncomit-interval = 5ms\n"))
                .hasMessageStartingWith(dir.resolve("belfry.conf") + ":2: unknown key \"comit-interval\" (known: ");
    }

    @Test
    void shouldNameFileLineAndKeyWhenAValueIsBad() {
        assertThatThrownBy(() -> read("shutdown-grace = soon\n"))
                .hasMessage(dir.resolve("belfry.conf") + ":1: shutdown-grace: \"soon\" is not a duration (write e.g."
                        + " 50ms, 30s, 10m, 1h, 30d or PT30S)");
        assertThatThrownBy(() -> read("\nmax-concurrent-runs = 0\n"))
                .hasMessageContaining(":2: max-concurrent-runs: \"0\" is not a whole number of at least 1");
        assertThatThrownBy(() -> read("commit-interval = 0ms\n"))
                .hasMessageContaining(":1: commit-interval: commitInterval must be positive, not 'PT0S'");
        assertThatThrownBy(() -> read("just words\n")).hasMessageContaining(":1: expected key = value");
    }

    @Test
    void shouldRefuseAnEmptyValueNamingFileLineAndKey() {
        assertThatThrownBy(() -> read("# settings\ndata-dir =\n"))
                .hasMessage(dir.resolve("belfry.conf") + ":2: data-dir: no value (delete the line to keep the default)");
        assertThatThrownBy(() -> read("plugins-dir =   \t\n"))
                .hasMessage(dir.resolve("belfry.conf") + ":1: plugins-dir: no value (delete the line to keep the"
                        + " default)");
    }
}
