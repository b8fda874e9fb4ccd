package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.internal.admin.AdminApi;
import dev.belfry.host.internal.admin.AdminServer;
import dev.belfry.host.internal.state.DataDirLock;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code belfry status} exits non-zero when the host says it is degraded (issue 15, item 11). */
class StatusCommandTest {
    @TempDir
    Path data;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int status(String health, String... more) throws IOException {
        try (DataDirLock held = DataDirLock.acquire(data);
             AdminServer server = AdminServer.start(data, 0, new AdminApi(new FakeAdminBackend(health)))) {
            String[] args = new String[3 + more.length];
            args[0] = "status";
            args[1] = "--data";
            args[2] = data.toString();
            System.arraycopy(more, 0, args, 3, more.length);
            return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), args);
        }
    }

    @Test
    void shouldExitFourWhenTheHostIsDegraded() throws IOException {
        assertThat(status("degraded")).as("stderr: %s", err).isEqualTo(4);
        assertThat(out.toString()).containsPattern("host +degraded");
    }

    @Test
    void shouldExitFourWithJsonTooWhenTheHostIsDegraded() throws IOException {
        assertThat(status("degraded", "--json")).as("stderr: %s", err).isEqualTo(4);
        assertThat(out.toString()).contains("\"status\" : \"degraded\"");
    }

    @Test
    void shouldExitZeroWhenTheHostIsHealthy() throws IOException {
        assertThat(status("ok")).as("stderr: %s", err).isZero();
    }

    @Test
    void shouldWordTheStateFileAndAGraphThatIsOffPlainly() throws IOException {
        assertThat(status("ok")).as("stderr: %s", err).isZero();

        assertThat(out.toString().lines()).anySatisfy(l -> assertThat(l)
                        .matches("state +ok +1 commit, 1 checkpoint since start, 0 change\\(s\\) pending"))
                .anySatisfy(l -> assertThat(l).matches("graph +off +no job graph \\(started with --graph off\\)"));
    }
}
