package dev.belfry.host.internal.cli;

import dev.belfry.host.admin.AdminModule;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.testing.LogCapture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the {@code belfry} command does before any command runs: typos, the version. */
class BelfryCliTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int belfry(String... args) {
        return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void shouldSuggestTheCommandWhenACommandIsMistyped() {
        int code = belfry("jbos", "list");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).singleElement().asString()
                .contains("'jbos'").contains("did you mean jobs?").contains("(see: belfry --help)");
    }

    @Test
    void shouldSuggestTheSubcommandWhenASubcommandIsMistyped() {
        int code = belfry("cron", "nxet", "0 0 * * *");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).singleElement().asString().contains("did you mean next?");
    }

    @Test
    void shouldSuggestTheOptionWhenAnOptionIsMistyped() {
        int code = belfry("cron", "next", "0 0 * * *", "--zoen", "UTC");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).singleElement().asString()
                .contains("'--zoen'").contains("did you mean --zone?");
    }

    @Test
    void shouldSuggestTheCommandsAWordStartsWhenItIsCutShort() {
        int code = belfry("stat");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).singleElement().asString().contains("did you mean status?");
    }

    @Test
    void shouldSuggestNothingWhenNothingIsClose() {
        int code = belfry("xyzzyplugh");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).singleElement().asString().doesNotContain("did you mean");
    }

    @Test
    void shouldPrintTheSameVersionAsTheHostsStartLineAndStatus(@TempDir Path data, @TempDir Path plugins)
            throws Exception {
        assertThat(belfry("--version")).isZero();
        String cliVersion = out.toString().strip();

        List<String> startLines;
        String statusVersion;
        try (LogCapture log = LogCapture.of(Host.class).atLevel(Level.INFO).start();
             Host host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                     .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO).build())) {
            startLines = log.matching(Level.INFO, " starting: ");
            out.getBuffer().setLength(0);
            assertThat(belfry("status", "--json", "--data", data.toString())).isZero();
            statusVersion = new ObjectMapper().readTree(out.toString()).path("version").asText();
        }

        String projectVersion = System.getProperty("belfry.projectVersion");
        assertThat(cliVersion).isEqualTo("belfry " + projectVersion);
        assertThat(startLines).singleElement().asString().contains("Belfry " + projectVersion + " starting: ");
        assertThat(statusVersion).isEqualTo(projectVersion);
    }
}
