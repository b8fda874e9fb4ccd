package dev.belfry.host.internal.cli;

import dev.belfry.api.schedule.InvalidScheduleException;
import java.io.PrintWriter;
import java.time.Clock;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code belfry} command, entry point of the distribution's launcher. Exit codes: 0 ok, 1 the operation
 * failed, 2 bad usage or bad input (with a one-line message on standard error).
 */
@Command(name = "belfry", mixinStandardHelpOptions = true, versionProvider = BelfryCli.Version.class,
        description = "Belfry: a plugin host that fires background jobs on time.",
        subcommands = {RunCommand.class, StatusCommand.class, JobsCommand.class, PluginsCommand.class,
                QueryCommand.class, CronCommand.class, SidecarCommand.class, CommandLine.HelpCommand.class})
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
            err.println(oneLine("belfry: " + e.getMessage() + " (see: "
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

    /** Reads the version from the host jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = BelfryCli.class.getPackage().getImplementationVersion();
            return new String[] {"belfry " + (v == null ? "(development build)" : v)};
        }
    }
}
