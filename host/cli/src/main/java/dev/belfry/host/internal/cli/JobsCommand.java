package dev.belfry.host.internal.cli;

import static dev.belfry.host.internal.admin.JobJson.key;
import static dev.belfry.sidecar.JobField.CHECKPOINT;
import static dev.belfry.sidecar.JobField.CONSECUTIVE_FAILURES;
import static dev.belfry.sidecar.JobField.DYNAMIC;
import static dev.belfry.sidecar.JobField.FAILURE_COUNT;
import static dev.belfry.sidecar.JobField.LAST_FINISHED_AT;
import static dev.belfry.sidecar.JobField.LAST_OUTCOME;
import static dev.belfry.sidecar.JobField.NEXT_FIRE_AT;
import static dev.belfry.sidecar.JobField.PAUSED;
import static dev.belfry.sidecar.JobField.PLUGIN_ID;
import static dev.belfry.sidecar.JobField.QNAME;
import static dev.belfry.sidecar.JobField.RUN_COUNT;
import static dev.belfry.sidecar.JobField.SCHEDULE;
import static dev.belfry.sidecar.JobField.STATUS;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.belfry.api.QName;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code belfry jobs}: see and steer the jobs of a running host. */
@Command(name = "jobs", mixinStandardHelpOptions = true, description = "See and steer the jobs of a running host.",
        subcommands = {JobsCommand.ListJobs.class, JobsCommand.Show.class, JobsCommand.Watch.class,
                JobsCommand.Trigger.class, JobsCommand.Pause.class, JobsCommand.Resume.class,
                JobsCommand.Cancel.class})
final class JobsCommand {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Options every host command shares. */
    static class HostOptions {
        @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
                description = "The running host's data directory (default ./data).")
        Path data;

        AdminClient client() {
            return AdminClient.forDataDir(data);
        }
    }

    static void printJson(PrintWriter out, JsonNode node) {
        try {
            out.println(JSON.writeValueAsString(node));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * The API path of one job. The name is checked here first: an empty or malformed one would address another
     * endpoint ({@code /jobs/} is the job list, {@code ..} climbs), and the answer would not be a job at all.
     *
     * @throws BelfryCli.BadInputException (exit 2) if the text is not a job name
     */
    static String jobPath(String qname) {
        try {
            return "/jobs/" + encode(QName.parse(qname).toString());
        } catch (IllegalArgumentException e) {
            throw new BelfryCli.BadInputException(e.getMessage());
        }
    }

    /** {@code belfry jobs list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs.")
    static final class ListJobs extends HostOptions implements Callable<Integer> {
        private final Clock clock;
        @Spec
        CommandSpec spec;
        @Option(names = "--plugin", paramLabel = "ID", description = "Only this plugin's jobs.")
        String plugin;
        @Option(names = "--status", paramLabel = "STATUS", description = "Only jobs in this status (e.g. failed).")
        String status;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        ListJobs(Clock clock) {
            this.clock = clock;
        }

        @Override
        public Integer call() {
            List<String> query = new ArrayList<>();
            if (plugin != null) {
                query.add("plugin=" + encode(plugin));
            }
            if (status != null) {
                query.add("status=" + encode(status));
            }
            JsonNode jobs = client().get("/jobs" + (query.isEmpty() ? "" : "?" + String.join("&", query)));
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                printJson(out, jobs);
                return 0;
            }
            Instant now = clock.instant();
            TextTable table = new TextTable("QNAME", "STATUS", "SCHEDULE", "NEXT", "LAST RUN", "OUTCOME", "RUNS",
                    "FAILS");
            if (!jobs.isArray()) {
                throw new AdminClient.OperationFailed("the host's answer to GET /jobs is not a list of jobs (is it a"
                        + " Belfry host of the same version?)");
            }
            String what = "GET /jobs";
            for (JsonNode j : jobs) {
                table.row(AdminClient.need(j, what, key(QNAME)).asText(),
                        AdminClient.need(j, what, key(STATUS)).asText(),
                        AdminClient.need(j, what, key(SCHEDULE)).asText(),
                        RelativeTime.of(j.path(key(NEXT_FIRE_AT)).asText(null), now),
                        RelativeTime.of(j.path(key(LAST_FINISHED_AT)).asText(null), now), outcome(j),
                        j.path(key(RUN_COUNT)).asLong(), j.path(key(FAILURE_COUNT)).asLong());
            }
            table.print(out);
            return 0;
        }
    }

    static String outcome(JsonNode job) {
        JsonNode o = job.path(key(LAST_OUTCOME));
        if (o.isMissingNode() || o.isNull()) {
            return "-";
        }
        return outcomeText(o.get("success").asBoolean(), o.get("message").asText());
    }

    /**
     * A cancelled run (its plugin stopped, an operator cancelled it) says so rather than "failed: cancelled: …". The
     * message is the job's own text: control characters (a terminal escape, a line break) are shown escaped.
     */
    static String outcomeText(boolean success, String message) {
        if (success) {
            return "ok";
        }
        String printable = BelfryCli.oneLine(message);
        return printable.startsWith("cancelled: ") ? printable : "failed: " + printable;
    }

    /** @return {@code 2027-01-04T12:00:10Z (in 8s)}, or {@code -} for a job that will not fire */
    static String nextFire(JsonNode job, Instant now) {
        String at = job.path(key(NEXT_FIRE_AT)).asText("");
        return at.isEmpty() ? "-" : at + " (" + RelativeTime.of(at, now) + ")";
    }

    /** @return the job's checkpoint on one line (its full text is in {@code --json}), or {@code -} if it has none */
    static String checkpoint(JsonNode job) {
        JsonNode text = job.path(key(CHECKPOINT));
        return text.isTextual() ? Checkpoints.oneLine(text.asText(), Checkpoints.SHOW_CHARS) : "-";
    }

    /** {@code belfry jobs show}. */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one job, its running runs and last runs.")
    static final class Show extends HostOptions implements Callable<Integer> {
        private final Clock clock;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "QNAME")
        String qname;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        Show(Clock clock) {
            this.clock = clock;
        }

        @Override
        public Integer call() {
            JsonNode j = client().get(jobPath(qname));
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                printJson(out, j);
                return 0;
            }
            Instant now = clock.instant();
            TextTable fields = new TextTable("FIELD", "VALUE");
            fields.row("qname", j.get(key(QNAME)).asText()).row("plugin", j.get(key(PLUGIN_ID)).asText())
                    .row("status", j.get(key(STATUS)).asText()).row("schedule", j.get(key(SCHEDULE)).asText())
                    .row("next fire", nextFire(j, now))
                    .row("last outcome", outcome(j))
                    .row("runs / failures", j.get(key(RUN_COUNT)).asLong() + " / " + j.get(key(FAILURE_COUNT)).asLong()
                            + " (" + j.get(key(CONSECUTIVE_FAILURES)).asInt() + " in a row)")
                    .row("paused", j.get(key(PAUSED)).asBoolean() ? "yes" : "no")
                    .row("dynamic", j.get(key(DYNAMIC)).asBoolean() ? "yes" : "no")
                    .row("checkpoint", checkpoint(j));
            fields.print(out);
            for (JsonNode run : j.path("running")) {
                out.println("running: run " + run.get("run_id").asLong() + ", attempt " + run.get("attempt").asInt()
                        + ", " + Math.round(run.get("progress").asDouble() * 100) + "% "
                        + BelfryCli.oneLine(run.get("message").asText()));
            }
            if (j.has("runs")) {
                out.println();
                TextTable runs = new TextTable("RUN", "SCHEDULED FOR", "STARTED", "TOOK", "ATTEMPT", "OUTCOME");
                for (JsonNode r : j.get("runs")) {
                    runs.row(r.get("run_id").asLong(), r.get("scheduled_for").asText(),
                            RelativeTime.of(r.get("started_at").asText(), now), r.get("duration_ms").asLong() + "ms",
                            r.get("attempt").asInt(),
                            outcomeText(r.get("success").asBoolean(), r.get("error").asText()));
                }
                runs.print(out);
            }
            return 0;
        }
    }

    /** The four operations share everything but their verb. */
    abstract static class Operation extends HostOptions implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "QNAME")
        String qname;

        abstract String verb();

        @Override
        public Integer call() {
            JsonNode r = client().post(jobPath(qname) + "/" + verb());
            spec.commandLine().getOut().println(r.get("job").asText() + ": " + r.get("result").asText());
            return 0;
        }
    }

    /** {@code belfry jobs trigger}. */
    @Command(name = "trigger", mixinStandardHelpOptions = true, description = "Run a job now (Manual jobs too).")
    static final class Trigger extends Operation {
        @Override
        String verb() {
            return "trigger";
        }
    }

    /** {@code belfry jobs pause}. */
    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Stop a job firing until resumed.")
    static final class Pause extends Operation {
        @Override
        String verb() {
            return "pause";
        }
    }

    /** {@code belfry jobs resume}. */
    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Let a paused (or cancelled) job fire again; missed fires follow its misfire policy.")
    static final class Resume extends Operation {
        @Override
        String verb() {
            return "resume";
        }
    }

    /** {@code belfry jobs cancel}. */
    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancel a job: a dynamic job is removed, a declared job disabled until resumed.")
    static final class Cancel extends Operation {
        @Override
        String verb() {
            return "cancel";
        }
    }

    /** {@code belfry jobs watch}: running jobs with live progress bars. */
    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = "Show running jobs with live progress, refreshing in place (plain lines when not a terminal).")
    static final class Watch extends HostOptions implements Callable<Integer> {
        private final Clock clock;
        @Spec
        CommandSpec spec;
        @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s",
                description = "Time between refreshes (default 1s).")
        String interval;
        @Option(names = "--times", paramLabel = "N", description = "Stop after N refreshes (default: until Ctrl-C).")
        Integer times;

        Watch(Clock clock) {
            this.clock = clock;
        }

        @Override
        public Integer call() throws InterruptedException {
            long sleep;
            try {
                sleep = HostConfigFile.duration(interval).toMillis();
            } catch (IllegalArgumentException e) {
                throw new BelfryCli.BadInputException("--interval: " + e.getMessage());
            }
            boolean terminal = System.console() != null;
            PrintWriter out = spec.commandLine().getOut();
            int lastLines = 0;
            for (int i = 0; times == null || i < times; i++) {
                JsonNode jobs = client().get("/jobs?status=running");
                List<String> lines = new ArrayList<>();
                for (JsonNode j : jobs) {
                    for (JsonNode run : j.path("running")) {
                        double p = run.get("progress").asDouble();
                        int filled = (int) Math.round(p * 20);
                        lines.add(String.format("%-40s [%s%s] %3d%%  %s", j.get(key(QNAME)).asText(),
                                "#".repeat(filled), ".".repeat(20 - filled), Math.round(p * 100),
                                BelfryCli.oneLine(run.get("message").asText())));
                    }
                }
                if (lines.isEmpty()) {
                    lines.add("no job is running (" + clock.instant() + ")");
                }
                if (terminal && lastLines > 0) {
                    out.print("\u001b[" + lastLines + "A\u001b[J"); // back up over the last frame and clear it
                }
                lines.forEach(out::println);
                out.flush();
                lastLines = lines.size();
                if (times == null || i + 1 < times) {
                    Thread.sleep(sleep);
                }
            }
            return 0;
        }
    }
}
