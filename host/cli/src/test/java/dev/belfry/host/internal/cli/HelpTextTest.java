package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code --help} of every command reads as written: no path cut in two by the line wrapping. */
class HelpTextTest {

    private static String help(List<String> command) {
        StringWriter out = new StringWriter();
        List<String> args = new ArrayList<>(command);
        args.add("--help");
        BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                args.toArray(String[]::new));
        return out.toString();
    }

    /** The subcommands a help text lists under "Commands:". */
    private static List<String> subcommands(String help) {
        List<String> names = new ArrayList<>();
        boolean inCommands = false;
        for (String line : help.lines().toList()) {
            if (line.equals("Commands:")) {
                inCommands = true;
            } else if (inCommands && line.matches("  [a-z][a-z-]*(\\s.*)?")) {
                names.add(line.strip().split("\\s+")[0]);
            } else if (inCommands && !line.startsWith("   ")) {
                inCommands = false;
            }
        }
        return names;
    }

    private static void collect(List<String> command, List<List<String>> into) {
        into.add(command);
        for (String sub : subcommands(help(command))) {
            if (!sub.equals("help")) {
                List<String> next = new ArrayList<>(command);
                next.add(sub);
                collect(next, into);
            }
        }
    }

    @Test
    void shouldNeverWrapADefaultPathInTheMiddle() {
        List<List<String>> commands = new ArrayList<>();
        collect(List.of(), commands);

        assertThat(commands).contains(List.of("query"), List.of("plugins", "trust"), List.of("run"));
        for (List<String> command : commands) {
            assertThat(help(command).lines()).as("belfry %s --help", String.join(" ", command))
                    .noneMatch(l -> l.matches(".*\\s\\.$"))
                    .noneMatch(l -> l.matches("\\s+/.*"));
        }
        assertThat(help(List.of("query"))).contains("(default ./data)");
        assertThat(help(List.of("plugins", "trust"))).contains("(default ./data)");
    }

    @Test
    void shouldSayWhatResetStateKeepsAndMovesAsideOfADamagedJournal() {
        String help = String.join(" ", help(List.of("run")).lines().map(String::strip).toList());

        assertThat(help).contains("if the journal is damaged, keep what comes before the damage (the damaged segment"
                + " is copied whole aside and cut there, or moved aside when nothing before it is usable) and move"
                + " every later segment aside");
    }
}
