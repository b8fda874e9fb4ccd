package dev.belfry.host.internal.cli;

import java.util.List;

/**
 * The distribution's log formats: the names of logback.xml's appenders, chosen by {@value #VARIABLE} (a system
 * property or the environment). Logging starts before the command line is parsed, so {@code --log-format} is looked
 * for first; this class has no logger of its own, so looking does not start logging.
 */
final class LogFormat {
    static final String VARIABLE = "BELFRY_LOG_FORMAT";
    static final List<String> NAMES = List.of("text", "json");

    private LogFormat() {
    }

    /**
     * Hands a {@code --log-format} on the command line to logback.xml; a value that is not a format is left for the
     * command's own check to refuse.
     *
     * @param args the command line
     */
    static void passToLogging(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String value = args[i].startsWith("--log-format=") ? args[i].substring("--log-format=".length())
                    : args[i].equals("--log-format") && i + 1 < args.length ? args[i + 1] : null;
            if (value != null && NAMES.contains(value)) {
                System.setProperty(VARIABLE, value);
            }
        }
    }

    /**
     * @param value the format asked for, null if none
     * @param where what set it, for the message
     * @throws BelfryCli.BadInputException naming where it came from and the formats there are
     */
    static void check(String value, String where) {
        if (value != null && !NAMES.contains(value)) {
            throw new BelfryCli.BadInputException(where + ": \"" + value + "\" is not a log format (one of "
                    + String.join(", ", NAMES) + ")");
        }
    }
}
