package dev.belfry.host.internal.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.belfry.host.internal.Printable;
import dev.belfry.host.internal.graph.GraphEndpoint;
import dev.belfry.host.internal.graph.Neo4jMirror;
import dev.belfry.host.internal.state.DataDirLock;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.neo4j.driver.AccessMode;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Record;
import org.neo4j.driver.Result;
import org.neo4j.driver.Session;
import org.neo4j.driver.SessionConfig;
import org.neo4j.driver.exceptions.AuthenticationException;
import org.neo4j.driver.exceptions.ClientException;
import org.neo4j.driver.exceptions.SecurityException;
import org.neo4j.driver.exceptions.ServiceUnavailableException;
import org.neo4j.driver.types.Node;
import org.neo4j.driver.types.Path.Segment;
import org.neo4j.driver.types.Relationship;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code belfry query}: runs one Cypher query against the job graph and prints the result, read-only unless
 * {@code --write}. Exit codes: 0 ok, 1 the server refused us (authentication, or the user is locked out),
 * 2 bad usage or a Cypher error, a refused write included (with the server's message), 3 nothing answers, the
 * graph is still starting or the mirror has not yet written the host's state (with what to do).
 */
@Command(name = "query", mixinStandardHelpOptions = true,
        description = "Run a Cypher query against the job graph (the running host's embedded Neo4j, or --graph).")
final class QueryCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Neo4j's code for a login refused because the user is locked after failed attempts. */
    private static final String AUTH_RATE_LIMIT = "Neo.ClientError.Security.AuthenticationRateLimit";
    /** Neo4j's code for a write in a read-only transaction. */
    private static final String READ_ONLY = "Neo.ClientError.Statement.AccessMode";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CYPHER", description = "The query; pass values with --param.")
    String cypher;

    @Option(names = "--param", paramLabel = "NAME=VALUE",
            description = "A query parameter ($NAME). The value is read as JSON if it is JSON (5, true, [1,2],"
                    + " \"text\"), else as text.")
    List<String> params = new ArrayList<>();

    @Option(names = "--format", paramLabel = "table|json|csv", defaultValue = "table",
            description = "Output format (default table).")
    String format;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
            description = "The host's data directory (default ./data), where the embedded graph's address and"
                    + " credentials are.")
    Path data;

    @Option(names = "--graph", paramLabel = "URI", description = "Query this server instead (bolt://HOST:PORT).")
    String graph;

    @Option(names = "--write", description = "Let the query change the graph. Without it the query runs read-only"
            + " and the server refuses writes. The host's resync puts back its own nodes within "
            + Neo4jMirror.RESYNC_MINUTES + " minutes of any change.")
    boolean write;

    @Mixin
    GraphOptions graphOptions;

    @Override
    public Integer call() {
        if (!List.of("table", "json", "csv").contains(format)) {
            throw new BelfryCli.BadInputException("--format must be table, json or csv: " + format);
        }
        Map<String, Object> parameters = parseParams();
        boolean hostsGraph = graph == null || "embedded".equals(graph);
        // Without --graph, the graph is the host's on --data. While its admin API does not answer (the first
        // seconds, or it is off), the data dir's lock tells whether a host runs there at all.
        boolean askLock = false;
        if (hostsGraph) {
            Optional<JsonNode> health = hostGraphHealth();
            askLock = health.isEmpty();
            Optional<String> notReady = health.flatMap(this::notReady);
            if (notReady.isPresent()) {
                spec.commandLine().getErr().println("belfry: " + notReady.get());
                return BelfryCli.EXIT_NOT_RUNNING;
            }
        }
        GraphEndpoint endpoint;
        try {
            endpoint = graphOptions.endpoint(graph, data);
        } catch (GraphOptions.HostNotRunningException e) {
            Optional<Long> pid = askLock ? hostProcess() : Optional.empty();
            if (pid.isEmpty()) {
                throw e;
            }
            spec.commandLine().getErr().println("belfry: " + starting(pid.get()));
            return BelfryCli.EXIT_NOT_RUNNING;
        }
        Config config = Config.builder().withConnectionTimeout(5, TimeUnit.SECONDS)
                .withLogging(org.neo4j.driver.Logging.none()).build();
        SessionConfig session = SessionConfig.builder()
                .withDefaultAccessMode(write ? AccessMode.WRITE : AccessMode.READ).build();
        try (Driver driver = GraphDatabase.driver(endpoint.uri(), AuthTokens.basic(endpoint.user(),
                endpoint.password()), config); Session s = driver.session(session)) {
            Result result = s.run(cypher, parameters);
            List<String> keys = result.keys();
            List<Record> records = result.list();
            print(keys, records, spec.commandLine().getOut());
            return 0;
        } catch (ServiceUnavailableException e) {
            Optional<Long> pid = askLock ? hostProcess() : Optional.empty();
            if (pid.isPresent()) {
                spec.commandLine().getErr().println("belfry: " + starting(pid.get()));
                return BelfryCli.EXIT_NOT_RUNNING;
            }
            spec.commandLine().getErr().println("belfry: no Neo4j answers at " + endpoint.uri() + " (" + oneLine(e)
                    + "); start the host with `belfry run --data " + data + "`, or check --graph");
            return BelfryCli.EXIT_NOT_RUNNING;
        } catch (AuthenticationException e) {
            spec.commandLine().getErr().println("belfry: " + endpoint.uri() + " refused user " + endpoint.user()
                    + ": " + oneLine(e));
            return BelfryCli.EXIT_FAILED;
        } catch (SecurityException e) {
            if (AUTH_RATE_LIMIT.equals(e.code())) {
                spec.commandLine().getErr().println("belfry: " + endpoint.uri() + " has temporarily locked user "
                        + endpoint.user() + " after too many failed logins (someone tried wrong passwords); try again"
                        + " in a few seconds");
            } else {
                spec.commandLine().getErr().println("belfry: " + endpoint.uri() + " refused user " + endpoint.user()
                        + ": " + oneLine(e));
            }
            return BelfryCli.EXIT_FAILED;
        } catch (ClientException e) {
            spec.commandLine().getErr().println("belfry: " + oneLine(e) + (!write && READ_ONLY.equals(e.code())
                    ? " (belfry query runs read-only; add --write to change the graph)" : ""));
            return BelfryCli.EXIT_USAGE;
        }
    }

    /** @return the graph part of {@code /health} of the host on {@code --data}, if one answers */
    private Optional<JsonNode> hostGraphHealth() {
        try {
            return Optional.of(AdminClient.forDataDir(data).get("/health").path("graph"));
        } catch (RuntimeException noHostAnswers) {
            return Optional.empty();
        }
    }

    /**
     * Whether the host's graph can be queried yet: the embedded server takes seconds to start, and until the mirror's
     * first resync the graph lacks the host's jobs.
     *
     * @param g the graph part of the host's health
     * @return why the query would mislead, if it would
     */
    private Optional<String> notReady(JsonNode g) {
        String state = g.path("state").asText("");
        if ("off".equals(state)) {
            return Optional.of("the host on " + data + " runs with the graph off; start it with --graph embedded"
                    + " (the default) to query its jobs");
        }
        if (g.path("start_error").isTextual()) {
            return Optional.of("graph down: the host on " + data + " cannot start its embedded Neo4j: "
                    + g.path("start_error").asText());
        }
        if ("starting".equals(state)) {
            return Optional.of("graph starting: the host on " + data + " is still starting its embedded Neo4j (about"
                    + " 30 s); try again shortly");
        }
        String error = g.path("last_error").asText("");
        if (!g.path("connected").asBoolean(true) && error.startsWith("ServiceUnavailableException")) {
            // Waiting does not help while nothing answers: the operator has to start Neo4j or fix the address.
            String at = g.path("uri").isTextual() ? " at " + g.path("uri").asText() : "";
            return Optional.of("Neo4j" + at + " does not answer (" + error + "): the host on " + data + " mirrors"
                    + " into it once it does; start it, or check the host's --graph");
        }
        if (g.path("last_sync_at").isNull() || g.path("last_sync_at").isMissingNode()) {
            String lastError = g.path("last_error").isTextual() ? "; last error: " + g.path("last_error").asText() : "";
            return Optional.of("mirror not yet in step (" + g.path("queue_depth").asInt() + " changes pending): the"
                    + " host on " + data + " has not yet written its state to the graph" + lastError
                    + "; try again shortly");
        }
        return Optional.empty();
    }

    /**
     * The host process holding {@code --data}, found through the pid its lock file names, for the seconds before its
     * admin API answers (or when it is off): a host runs there with its embedded graph (whose folder it made first
     * thing), so a graph that does not answer is still starting. A host mirroring to an external server has no such
     * folder.
     */
    private Optional<Long> hostProcess() {
        if (!Files.isDirectory(data.resolve("graph")) || !DataDirLock.isHeld(data)) {
            return Optional.empty();
        }
        try {
            String holder = Files.readString(data.resolve("_system").resolve(DataDirLock.FILE)).strip();
            if (!holder.matches("pid [0-9]{1,19}")) {
                return Optional.empty();
            }
            long pid = Long.parseLong(holder.substring(4));
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private String starting(long pid) {
        return "graph starting: the host on " + data + " (pid " + pid + ") has not opened its graph yet (the embedded"
                + " Neo4j takes about 30 s); try again shortly";
    }

    private Map<String, Object> parseParams() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String p : params) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new BelfryCli.BadInputException("--param must be NAME=VALUE: " + p);
            }
            String value = p.substring(eq + 1);
            Object parsed;
            try {
                parsed = JSON.readValue(value, Object.class);
            } catch (JsonProcessingException e) {
                parsed = value;
            }
            out.put(p.substring(0, eq), parsed);
        }
        return out;
    }

    private void print(List<String> keys, List<Record> records, PrintWriter out) {
        List<List<Object>> rows = records.stream()
                .map(r -> keys.stream().map(k -> plain(r.get(k).asObject())).toList()).toList();
        switch (format) {
            case "json" -> {
                List<Map<String, Object>> objects = new ArrayList<>();
                for (List<Object> row : rows) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    for (int i = 0; i < keys.size(); i++) {
                        o.put(keys.get(i), row.get(i));
                    }
                    objects.add(o);
                }
                try {
                    out.println(JSON.writeValueAsString(objects));
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException("cannot print the result as JSON", e);
                }
            }
            case "csv" -> {
                out.println(keys.stream().map(QueryCommand::csv).collect(Collectors.joining(",")));
                for (List<Object> row : rows) {
                    out.println(row.stream().map(v -> csv(text(v))).collect(Collectors.joining(",")));
                }
            }
            default -> {
                TextTable table = new TextTable(keys.toArray(String[]::new));
                rows.forEach(row -> table.row(row.stream().map(QueryCommand::text).toArray()));
                table.print(out);
                out.println("(" + rows.size() + " row" + (rows.size() == 1 ? "" : "s") + ")");
            }
        }
        out.flush();
    }

    /** Driver values as plain maps, lists, strings and numbers, for JSON and for text. */
    private static Object plain(Object v) {
        if (v instanceof Node n) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("labels", n.labels());
            m.put("properties", plain(n.asMap()));
            return m;
        }
        if (v instanceof Relationship r) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", r.type());
            m.put("properties", plain(r.asMap()));
            return m;
        }
        if (v instanceof org.neo4j.driver.types.Path p) {
            List<Object> steps = new ArrayList<>();
            steps.add(plain(p.start()));
            for (Segment s : p) {
                steps.add(plain(s.relationship()));
                steps.add(plain(s.end()));
            }
            return steps;
        }
        if (v instanceof Map<?, ?> map) {
            Map<String, Object> m = new LinkedHashMap<>();
            map.forEach((k, val) -> m.put(String.valueOf(k), plain(val)));
            return m;
        }
        if (v instanceof List<?> list) {
            return list.stream().map(QueryCommand::plain).toList();
        }
        if (v instanceof TemporalAccessor || v instanceof org.neo4j.driver.types.IsoDuration) {
            return v.toString();
        }
        return v;
    }

    private static String text(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return s;
        }
        try {
            return new ObjectMapper().writeValueAsString(v);
        } catch (JsonProcessingException e) {
            return String.valueOf(v);
        }
    }

    static String csv(String raw) {
        // Line ends stay (quoted, as CSV allows); other control characters are escaped like everywhere else in
        // the command's output, so graph data cannot drive the terminal.
        StringBuilder b = new StringBuilder(raw.length());
        raw.chars().forEach(c -> {
            if (c != '\r' && c != '\n' && (Character.isISOControl(c) || c == '\u2028' || c == '\u2029')) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.append((char) c);
            }
        });
        String s = b.toString();
        return s.matches("(?s).*[\",\\r\\n].*") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** The server's message in one line; it may quote graph data, so control characters are escaped. */
    static String oneLine(Exception e) {
        return Printable.escape(String.valueOf(e.getMessage()).replaceAll("\\s*[\\r\\n]+\\s*", " ").strip());
    }
}
