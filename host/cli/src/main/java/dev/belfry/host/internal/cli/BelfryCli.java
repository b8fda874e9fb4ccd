package dev.belfry.host.internal.cli;

import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.host.internal.BuildVersion;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code belfry} command, entry point of the distribution's launcher. Exit codes: 0 ok, 1 the operation
 * failed, 2 bad usage or bad input (with a one-line message on standard error).
 */
@Command(name = "belfry", mixinStandardHelpOptions = true, versionProvider = BelfryCli.Version.class,
        description = "Belfry: a plugin host that fires background jobs on time.",
        subcommands = {RunCommand.class, StatusCommand.class, JobsCommand.class, PluginsCommand.class,
                QueryCommand.class, CronCommand.class, SidecarCommand.class, ClusterCommand.class,
                DashboardCommand.class, CommandLine.HelpCommand.class})
public final class BelfryCli {

    /** Exit code for a command whose operation failed. */
    static final int EXIT_FAILED = 1;
    /** Exit code for bad usage or bad input. */
    static final int EXIT_USAGE = 2;
    /** Exit code when no host is running where one was expected. */
    static final int EXIT_NOT_RUNNING = 3;

    private BelfryCli() {
    }

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        LogFormat.passToLogging(args);
        System.exit(run(Clock.systemUTC(), new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /**
     * Runs the command line in-process; tests call this with a fixed clock and captured output.
     *
     * @param clock what "now" is for commands that default to it
     * @param out   standard output
     * @param err   standard error
     * @param args  the arguments
     * @return the exit code
     */
    public static int run(Clock clock, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new BelfryCli(), new Factory(clock));
        cli.setOut(out);
        cli.setErr(err);
        // No command has short options to combine, and combining let garbage that starts with "-h" or "-V" (such as
        // "-hk") pass as a request for help or the version, exit 0; now it is an unknown option, exit 2.
        cli.setPosixClusteredShortOptionsAllowed(false);
        // One line that says what is wrong, instead of picocli's usage dump: the usage is one --help away.
        cli.setParameterExceptionHandler((e, a) -> {
            err.println(oneLine("belfry: " + e.getMessage() + didYouMean(e) + " (see: "
                    + e.getCommandLine().getCommandSpec().qualifiedName() + " --help)"));
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof InvalidScheduleException || e instanceof BadInputException) {
                err.println(oneLine("belfry: " + e.getMessage()));
                return EXIT_USAGE;
            }
            if (e instanceof AdminClient.HostNotRunning || e instanceof GraphOptions.HostNotRunningException) {
                err.println(oneLine("belfry: " + e.getMessage()));
                return EXIT_NOT_RUNNING;
            }
            err.println(oneLine("belfry: " + (e.getMessage() == null ? e.toString() : e.getMessage())));
            return EXIT_FAILED;
        });
        return cli.execute(args);
    }

    /** How many suggestions for a mistyped command or option are shown. */
    static final int SUGGESTIONS_SHOWN = 3;

    /**
     * The commands or options close to a mistyped one, for the one-line error. picocli's own suggestions compare
     * letter pairs, which misses the commonest typo, two swapped letters ({@code jbos}), and offers {@code plugins}
     * for anything sharing a pair with it; an edit distance that counts a swap as one edit finds what was meant.
     *
     * @param e the parse error
     * @return {@code "; did you mean X or Y?"}, or empty when the error is not a typo or nothing is close
     */
    static String didYouMean(CommandLine.ParameterException e) {
        if (!(e instanceof CommandLine.UnmatchedArgumentException unmatched) || unmatched.getUnmatched().isEmpty()) {
            return "";
        }
        String typed = unmatched.getUnmatched().get(0);
        CommandLine.Model.CommandSpec spec = e.getCommandLine().getCommandSpec();
        Collection<String> candidates = typed.startsWith("-") ? spec.optionsMap().keySet()
                : spec.subcommands().keySet();
        List<String> close = closest(typed, candidates);
        if (close.isEmpty()) {
            return "";
        }
        List<String> shown = close.subList(0, Math.min(SUGGESTIONS_SHOWN, close.size()));
        String last = shown.get(shown.size() - 1);
        return "; did you mean " + (shown.size() == 1 ? last
                : String.join(", ", shown.subList(0, shown.size() - 1)) + " or " + last) + "?";
    }

    /**
     * The candidates the typed word is a start of, or at most one edit away from per three letters (two at most),
     * nearest first. Words under three letters (after their dashes) get no guesses: too many names are that close.
     */
    static List<String> closest(String typed, Collection<String> candidates) {
        String word = typed.toLowerCase(Locale.ROOT);
        if (stripDashes(word).length() < 3) {
            return List.of();
        }
        int allowed = Math.min(2, stripDashes(word).length() / 3);
        Map<String, Integer> distance = new HashMap<>();
        for (String candidate : candidates) {
            int d = candidate.startsWith(word) ? 0 : editDistance(word, candidate.toLowerCase(Locale.ROOT));
            if (d <= allowed && !candidate.equals(typed)) {
                distance.put(candidate, d);
            }
        }
        return distance.keySet().stream()
                .sorted(Comparator.comparing((String c) -> distance.get(c)).thenComparing(Comparator.naturalOrder()))
                .toList();
    }

    private static String stripDashes(String word) {
        int i = 0;
        while (i < word.length() && word.charAt(i) == '-') {
            i++;
        }
        return word.substring(i);
    }

    /** Insertions, deletions, substitutions and swaps of neighbours, each counting one (optimal string alignment). */
    private static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /**
     * Error messages quote what the user typed, which may hold a line break or another control character; the
     * promise is one line on standard error, so those are written as {@code \n} or {@code \\uXXXX} instead.
     *
     * @param text a message
     * @return the message on one line
     */
    static String oneLine(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Bad input found while running a command (not by picocli's parser): exit code 2, one line. */
    static final class BadInputException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadInputException(String message) {
            super(message);
        }
    }

    /** Creates commands, handing the injected clock to those that want it. */
    private record Factory(Clock clock) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> type) throws Exception {
            try {
                return type.getDeclaredConstructor(Clock.class).newInstance(clock);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(type);
            }
        }
    }

    /**
     * The build's version, from the same source as the host's start line and {@code belfry status}
     * ({@code Host.BUILD_VERSION}), read without loading the host.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"belfry " + BuildVersion.read()};
        }
    }
}
