package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.internal.admin.AdminApi;
import dev.belfry.host.internal.admin.AdminServer;
import dev.belfry.host.internal.plugins.PluginSupervisor.ReloadOutcome;
import dev.belfry.host.internal.state.DataDirLock;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code belfry plugins reload} says when the plugin did not start again, rather than "reloaded". */
class PluginsReloadCommandTest {
    @TempDir
    Path data;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int reload(ReloadOutcome outcome) throws IOException {
        try (DataDirLock held = DataDirLock.acquire(data); // the CLI speaks only to a host that holds its data dir
             AdminServer server = AdminServer.start(data, 0, new AdminApi(new FakeAdminBackend("ok", outcome)))) {
            return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true),
                    "plugins", "reload", "--data", data.toString(), "alpha");
        }
    }

    @Test
    void shouldExitOneWithTheReasonWhenThePluginIsRefusedOnReload() throws IOException {
        int code = reload(new ReloadOutcome(true,
                Optional.of("alpha.jar: plugin alpha: requires host version >=2.0.0, but this host is 1.0.0")));

        assertThat(code).isEqualTo(1);
        assertThat(out.toString()).doesNotContain("reloaded");
        assertThat(err.toString()).isEqualTo("belfry: plugin alpha was stopped and did not start again: alpha.jar: "
                + "plugin alpha: requires host version >=2.0.0, but this host is 1.0.0" + System.lineSeparator());
    }

    @Test
    void shouldSayReloadedWhenThePluginRunsAgain() throws IOException {
        assertThat(reload(new ReloadOutcome(true, Optional.empty()))).as("stderr: %s", err).isZero();
        assertThat(out.toString()).isEqualTo("alpha: reloaded" + System.lineSeparator());
    }

    @Test
    void shouldExitTwoWhenNoSuchPluginRuns() throws IOException {
        assertThat(reload(new ReloadOutcome(false, Optional.empty()))).isEqualTo(2);
        assertThat(err.toString()).contains("no plugin named alpha");
    }
}
