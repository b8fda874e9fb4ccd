package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.internal.state.DataDirLock;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code belfry query}'s checks before it reaches any server: its options, and whether a host runs on --data. */
class QueryCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int belfry(String... args) {
        return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void shouldReportABadGraphUriBeforeLookingForAPassword() {
        int code = belfry("query", "RETURN 1", "--graph", "bogus", "--graph-password-env", "BELFRY_TEST_UNSET_VAR");

        assertThat(code).isEqualTo(BelfryCli.EXIT_USAGE);
        assertThat(err.toString().lines()).singleElement().asString()
                .startsWith("belfry: --graph bogus: ").contains("bolt://host:7687").doesNotContain("password");
    }

    @Test
    void shouldSayGraphStartingWhenTheHostProcessRunsButItsGraphIsNotThereYet(@TempDir Path data) throws IOException {
        // given a data directory whose lock names a live process (this one), with the embedded graph's folder but
        // before its address and credentials are written
        Files.createDirectories(data.resolve("graph"));
        int code;
        try (DataDirLock held = DataDirLock.acquire(data)) {
            code = belfry("query", "RETURN 1", "--data", data.toString());
        }

        assertThat(code).isEqualTo(BelfryCli.EXIT_NOT_RUNNING);
        assertThat(err.toString().lines()).singleElement().asString()
                .startsWith("belfry: graph starting: the host on " + data + " (pid " + ProcessHandle.current().pid());
    }

    @Test
    void shouldSayHowToStartTheHostWhenTheLockNamesNoLiveProcess(@TempDir Path data) throws IOException {
        Path system = Files.createDirectories(data.resolve("_system"));
        Files.writeString(system.resolve(DataDirLock.FILE), "pid " + Long.MAX_VALUE + "\n");

        int code = belfry("query", "RETURN 1", "--data", data.toString());

        assertThat(code).isEqualTo(BelfryCli.EXIT_NOT_RUNNING);
        assertThat(err.toString()).contains("no Belfry host is running").contains("belfry run --data");
    }

    @Test
    void shouldNotSayGraphStartingForAHostWithoutAnEmbeddedGraph(@TempDir Path data) throws IOException {
        // given a live host on the data directory that mirrors to an external server: it has no graph folder
        int code;
        try (DataDirLock held = DataDirLock.acquire(data)) {
            code = belfry("query", "RETURN 1", "--data", data.toString());
        }

        assertThat(code).isEqualTo(BelfryCli.EXIT_NOT_RUNNING);
        assertThat(err.toString()).contains("no graph found").contains("--graph bolt://HOST:PORT")
                .doesNotContain("graph starting");
    }
}
