package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A mistyped {@code BELFRY_LOG_LEVEL} is refused before the host starts, not read as DEBUG by Logback. */
class LogLevelTest {
    @TempDir
    Path dir;

    @Test
    void shouldRefuseAnUnknownLogLevelBeforeTheHostStarts() {
        StringWriter err = new StringWriter();
        Path data = dir.resolve("data");
        System.setProperty(RunCommand.LOG_LEVEL, "verbose");
        int code;
        try {
            code = BelfryCli.run(Clock.systemUTC(), new PrintWriter(new StringWriter(), true),
                    new PrintWriter(err, true), "run", "--data", data.toString(), "--graph", "off",
                    "--admin-port", "off");
        } finally {
            System.clearProperty(RunCommand.LOG_LEVEL);
        }

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("belfry: BELFRY_LOG_LEVEL: \"verbose\" is not a log level"
                + " (one of TRACE, DEBUG, INFO, WARN, ERROR, OFF)");
        assertThat(data).doesNotExist();
    }

    @Test
    void shouldTakeEveryLevelLogbackKnowsInAnyCase() {
        for (String level : new String[] {"trace", "DEBUG", "Info", "warn", "ERROR", "off", " INFO ", null}) {
            assertThatCode(() -> RunCommand.checkLogLevel(level)).as(level).doesNotThrowAnyException();
        }
    }
}
