package dev.belfry.host.internal.cli;

import dev.belfry.host.admin.AdminModule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.internal.admin.AdminServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --admin-port 0} picks a free port like {@code --graph-port 0}, {@code off} turns the API off, and the CLI
 * tells a host with its API off from no host at all (issue 15, item 20).
 */
class AdminPortTest {
    @TempDir
    Path data;
    @TempDir
    Path plugins;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int belfry(String... args) {
        return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private Host start(int adminPort) {
        return Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(adminPort == RunSettings.ADMIN_OFF ? AdminModule.jmxOnly() : AdminModule.onPort(adminPort)).pluginScanInterval(Duration.ZERO).build());
    }

    @Test
    void shouldListenOnAFreePortWrittenToAdminUrlWhenThePortIsZero() throws IOException {
        try (Host host = start(0)) {
            URI url = URI.create(Files.readString(data.resolve(AdminServer.URL_FILE)).strip());

            assertThat(url.getPort()).isPositive();
            assertThat(belfry("status", "--data", data.toString())).as("stderr: %s", err).isZero();
            assertThat(out.toString()).contains("engine");
        }
    }

    @Test
    void shouldSayAHostRunsWithItsApiOffInsteadOfNoHostRunning() throws IOException {
        // left behind by a host that died: must not send the CLI to a port someone else may hold now
        Files.writeString(data.resolve(AdminServer.URL_FILE), "http://127.0.0.1:9\n");
        Files.writeString(data.resolve(AdminServer.TOKEN_FILE), "old\n");
        try (Host host = start(RunSettings.ADMIN_OFF)) {
            assertThat(data.resolve(AdminServer.URL_FILE)).doesNotExist();
            assertThat(data.resolve(AdminServer.TOKEN_FILE)).doesNotExist();

            int code = belfry("status", "--data", data.toString());

            assertThat(code).isEqualTo(1);
            assertThat(err.toString()).isEqualTo("belfry: a host is running on " + data + " with its admin API off;"
                    + " start it with --admin-port PORT (0 picks a free one) to use this command\n");
        }
        err.getBuffer().setLength(0);
        assertThat(belfry("status", "--data", data.toString())).isEqualTo(3);
        assertThat(err.toString()).startsWith("belfry: no Belfry host is running on data directory " + data);
    }

    @Test
    void shouldReadOffAndFreePortFromTheSettingsFileAndRefuseAnythingElse() throws IOException {
        Path file = data.resolve("belfry.conf");
        Files.writeString(file, "admin-port = off\n");
        RunSettings b = new RunSettings();
        HostConfigFile.apply(file, b);
        assertThat(b.adminPort).isEqualTo(RunSettings.ADMIN_OFF);

        Files.writeString(file, "admin-port = 0\n");
        HostConfigFile.apply(file, b);
        assertThat(b.adminPort).isEqualTo(AdminModule.ANY_FREE_PORT);

        Files.writeString(file, "admin-port = -1\n");
        assertThatThrownBy(() -> HostConfigFile.apply(file, new RunSettings()))
                .hasMessage(file + ":1: admin-port: \"-1\" is not a port number (0 to 65535; 0 picks a free one)"
                        + " or off");
    }

    @Test
    void shouldRefuseABadAdminPortOnTheCommandLineWithOneLine() {
        int code = belfry("run", "--data", data.toString(), "--plugins", plugins.toString(), "--graph", "off",
                "--admin-port", "65536");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("belfry: --admin-port: \"65536\" is not a port number (0 to 65535;"
                + " 0 picks a free one) or off\n");
    }
}
