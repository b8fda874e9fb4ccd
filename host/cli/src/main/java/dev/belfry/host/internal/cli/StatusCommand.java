package dev.belfry.host.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code belfry status}: is the host healthy, and what is it doing. Exits {@value #EXIT_DEGRADED} when the host
 * answers but reports itself degraded, so a monitoring script need not parse the output.
 */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Health of a running host.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:healthy", "1:the host did not answer, or runs with its admin API off", "2:bad usage",
                "3:no host is running",
                "4:the host is degraded (for example its state file cannot be written, or in cluster mode it holds"
                        + " no current lease)"})
final class StatusCommand extends JobsCommand.HostOptions implements Callable<Integer> {
    /** Exit code when the host runs but is not healthy. */
    static final int EXIT_DEGRADED = 4;

    @Spec
    CommandSpec spec;
    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
        JsonNode h = client().get("/health");
        PrintWriter out = spec.commandLine().getOut();
        int exit = "ok".equals(h.path("status").asText()) ? 0 : EXIT_DEGRADED;
        if (json) {
            JobsCommand.printJson(out, h);
            return exit;
        }
        String what = "GET /health";
        boolean healthy = AdminClient.need(h, what, "sidecar.healthy").asBoolean();
        TextTable t = new TextTable("PART", "STATE", "DETAIL");
        t.row("host", AdminClient.need(h, what, "status").asText(), "Belfry "
                + AdminClient.need(h, what, "version").asText() + ", " + AdminClient.need(h, what, "plugins").asInt()
                + " plugin(s)");
        t.row("engine", "running", AdminClient.need(h, what, "engine.jobs").asInt() + " jobs, "
                + AdminClient.need(h, what, "engine.runs_executing").asInt() + " running, "
                + AdminClient.need(h, what, "engine.fires_waiting_for_worker").asInt() + " waiting for a worker");
        // A cluster host keeps its state in the database: transactions there, no checkpoints of its own.
        boolean cluster = !h.path("cluster").isMissingNode();
        t.row("state", healthy ? "ok" : "failing", healthy
                ? count(AdminClient.need(h, what, "sidecar.commits").asLong(), cluster ? "database transaction"
                : "commit") + (cluster ? "" : ", " + count(AdminClient.need(h, what, "sidecar.checkpoints")
                .asLong(), "checkpoint")) + " since start, "
                + AdminClient.need(h, what, "sidecar.pending_changes").asLong() + " change(s) pending"
                : h.path("sidecar").path("last_error").asText("unknown error"));
        JsonNode g = h.path("graph");
        if (!g.isMissingNode()) {
            String state = g.path("state").asText("unknown");
            // The detail of a graph that is off is "off" again: say what that means instead.
            t.row("graph", state, "off".equals(state) ? "no job graph (started with --graph off)"
                    : g.path("detail").asText(""));
        }
        JsonNode c = h.path("cluster");
        if (!c.isMissingNode()) {
            boolean ready = c.path("ready").asBoolean(false);
            String error = c.path("last_error").asText("");
            t.row("cluster", ready ? "ready" : "not ready", "this host " + c.path("host_id").asText("?") + " fires "
                    + c.path("shards_firing").asInt() + " of " + c.path("shards_held").asInt() + " shard(s) held; "
                    + c.path("live_hosts").asInt() + " live host(s)"
                    + (ready || error.isEmpty() ? "" : "; " + error));
        }
        t.print(out);
        if (c.path("hosts").isObject()) {
            out.println();
            // NAMESPACES: what each host can run (its plugins, its application's namespaces); a namespace's shards
            // go to the hosts that list it.
            TextTable hosts = new TextTable("CLUSTER HOST", "ADDRESS", "VERSION", "SHARDS", "LEASE LEFT",
                    "NAMESPACES");
            c.path("hosts").fields().forEachRemaining(e -> hosts.row(
                    e.getKey() + (e.getKey().equals(c.path("host_id").asText()) ? " (this host)" : ""),
                    e.getValue().path("address").asText(""), e.getValue().path("version").asText(""),
                    e.getValue().path("shards").asLong(), e.getValue().path("lease_seconds_left").asDouble() + " s",
                    e.getValue().path("namespaces").asText("")));
            hosts.print(out);
        } else if (c.has("hosts")) {
            // The host could not read the hosts table: its reason, instead of a table.
            out.println("cluster hosts: " + BelfryCli.oneLine(c.path("hosts").asText()));
        }
        for (JsonNode p : h.path("plugin_problems")) {
            out.println("plugin problem: " + p.asText());
        }
        return exit;
    }

    private static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
