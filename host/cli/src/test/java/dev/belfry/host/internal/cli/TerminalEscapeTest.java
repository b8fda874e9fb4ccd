package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * Text a job wrote (a failure message, a graph property) reaches the operator's terminal through the command's
 * tables and CSV: an ESC sequence in it must arrive as text, not clear or recolour the terminal.
 */
class TerminalEscapeTest {
    private static final String HOSTILE = "remote said: \u001b[2J\u001b[31mESC-INJECTED";

    @Test
    void shouldWriteControlCharactersInTableCellsAsEscapes() {
        StringWriter out = new StringWriter();
        new TextTable("outcome").row(HOSTILE + "\nsecond line").print(new PrintWriter(out, true));

        assertThat(out.toString()).doesNotContain("\u001b")
                .contains("remote said: \\u001b[2J\\u001b[31mESC-INJECTED second line");
    }

    @Test
    void shouldEscapeControlCharactersInCsvButKeepLineEndsQuoted() {
        assertThat(QueryCommand.csv(HOSTILE)).isEqualTo("remote said: \\u001b[2J\\u001b[31mESC-INJECTED");
        assertThat(QueryCommand.csv("a\nb")).isEqualTo("\"a\nb\"");
        assertThat(QueryCommand.csv("plain")).isEqualTo("plain");
    }

    @Test
    void shouldEscapeControlCharactersInHeadersAndInTheServersMessages() {
        StringWriter out = new StringWriter();
        new TextTable("h\u001b[2Jx").row("1").print(new PrintWriter(out, true));
        assertThat(out.toString()).doesNotContain("\u001b").contains("h\\u001b[2Jx");

        assertThat(QueryCommand.oneLine(new IllegalStateException("Text cannot be parsed to a Date \"" + HOSTILE
                + "\"\nat line 1"))).isEqualTo("Text cannot be parsed to a Date \"remote said: \\u001b[2J\\u001b[31m"
                + "ESC-INJECTED\" at line 1");
    }
}
