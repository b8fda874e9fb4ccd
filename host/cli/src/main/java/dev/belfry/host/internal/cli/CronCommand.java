package dev.belfry.host.internal.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.host.internal.cron.CompiledCron;
import dev.belfry.host.internal.cron.CronCompiler;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code belfry cron}: evaluate and explain cron expressions with Belfry's own engine and DST rule. */
@Command(name = "cron", description = "Evaluate and explain cron expressions.", mixinStandardHelpOptions = true,
        subcommands = {CronCommand.Next.class, CronCommand.Explain.class})
final class CronCommand {

    private static ZoneId parseZone(String text) {
        try {
            return "UTC".equals(text) || "Z".equals(text) ? ZoneOffset.UTC : ZoneId.of(text);
        } catch (DateTimeException e) {
            throw new BelfryCli.BadInputException("--zone: unknown time zone \"" + text
                    + "\" (use a region id such as Europe/Berlin, or an offset such as +05:30)");
        }
    }

    /** {@code belfry cron next}. */
    @Command(name = "next", mixinStandardHelpOptions = true,
            description = "Print the next fire instants of a cron expression as ISO-8601 UTC instants.")
    static final class Next implements Callable<Integer> {
        /** Keeps a mistyped count from printing millions of lines. */
        static final int MAX_COUNT = 10_000;

        private final Clock clock;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "EXPR", description = "5-field, 6-field (leading seconds) or @macro.")
        String expression;

        @Option(names = "--zone", paramLabel = "ZONE", description = "Zone the expression is read in (default UTC).")
        String zone = "UTC";

        @Option(names = "--from", paramLabel = "INSTANT",
                description = "Start after this ISO-8601 instant, e.g. 2027-03-27T12:00:00Z (default: now).")
        String from;

        @Option(names = "--count", paramLabel = "N", description = "How many fires to print (default 5).")
        int count = 5;

        @Option(names = "--json", description = "Print a JSON array instead of one instant per line.")
        boolean json;

        Next(Clock clock) {
            this.clock = clock;
        }

        @Override
        public Integer call() throws Exception {
            if (count < 1 || count > MAX_COUNT) {
                throw new BelfryCli.BadInputException("--count must be between 1 and " + MAX_COUNT + ": " + count);
            }
            CompiledCron cron = CronCompiler.compile(expression, parseZone(zone));
            Instant after = from == null ? clock.instant() : parseInstant(from);
            List<String> fires = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                Optional<Instant> next = cron.nextFire(after);
                if (next.isEmpty()) {
                    break;
                }
                after = next.get();
                fires.add(after.toString());
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(new ObjectMapper().writeValueAsString(fires));
            } else {
                fires.forEach(out::println);
            }
            if (fires.size() < count) {
                spec.commandLine().getErr().println("belfry: no further fires of \"" + expression + "\" after "
                        + after + " within the search bound");
            }
            return 0;
        }

        private static Instant parseInstant(String text) {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw new BelfryCli.BadInputException("--from: \"" + text + "\" is not an ISO-8601 instant at index "
                        + e.getErrorIndex() + " (expected e.g. 2027-03-27T12:00:00Z)");
            }
        }
    }

    /** {@code belfry cron explain}. */
    @Command(name = "explain", mixinStandardHelpOptions = true, description = "Describe a cron expression in words.")
    static final class Explain implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "EXPR", description = "5-field, 6-field (leading seconds) or @macro.")
        String expression;

        @Option(names = "--zone", paramLabel = "ZONE", description = "Zone the expression is read in (default UTC).")
        String zone = "UTC";

        @Override
        public Integer call() {
            ZoneId readIn = parseZone(zone);
            CronCompiler.compile(expression, readIn); // same validation and messages as `cron next`
            spec.commandLine().getOut().println(CronCompiler.describe(expression) + " ("
                    + (readIn.equals(ZoneOffset.UTC) ? "UTC" : readIn.getId()) + " time)");
            return 0;
        }
    }
}
