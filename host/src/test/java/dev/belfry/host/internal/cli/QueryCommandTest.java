package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/** {@code belfry query}'s checks of its options, before it reaches any server. */
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
}
