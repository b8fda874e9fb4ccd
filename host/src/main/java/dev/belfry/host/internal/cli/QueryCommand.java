package dev.belfry.host.internal.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.belfry.host.internal.graph.GraphEndpoint;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Record;
import org.neo4j.driver.Result;
import org.neo4j.driver.Session;
import org.neo4j.driver.exceptions.AuthenticationException;
import org.neo4j.driver.exceptions.ClientException;
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
 * {@code belfry query}: runs one Cypher query against the job graph and prints the result. Exit codes: 0 ok,
 * 1 the server refused us (authentication), 2 bad usage or a Cypher error (with the server's message),
 * 3 nothing answers (with how to start the host).
 */
@Command(name = "query", mixinStandardHelpOptions = true,
        description = "Run a Cypher query against the job graph (the running host's embedded Neo4j, or --graph).")
final class QueryCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

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
            description = "The host's data directory, where the embedded graph's address and credentials are"
                    + " (default ./data).")
    Path data;

    @Option(names = "--graph", paramLabel = "URI", description = "Query this server instead (bolt://HOST:PORT).")
    String graph;

    @Mixin
    GraphOptions graphOptions;

    @Override
    public Integer call() {
        if (!List.of("table", "json", "csv").contains(format)) {
            throw new BelfryCli.BadInputException("--format must be table, json or csv: " + format);
        }
        Map<String, Object> parameters = parseParams();
        GraphEndpoint endpoint = graphOptions.endpoint(graph, data);
        Config config = Config.builder().withConnectionTimeout(5, TimeUnit.SECONDS)
                .withLogging(org.neo4j.driver.Logging.none()).build();
        try (Driver driver = GraphDatabase.driver(endpoint.uri(), AuthTokens.basic(endpoint.user(),
                endpoint.password()), config); Session session = driver.session()) {
            Result result = session.run(cypher, parameters);
            List<String> keys = result.keys();
            List<Record> records = result.list();
            print(keys, records, spec.commandLine().getOut());
            return 0;
        } catch (ServiceUnavailableException e) {
            spec.commandLine().getErr().println("belfry: no Neo4j answers at " + endpoint.uri() + " (" + oneLine(e)
                    + "); start the host with `belfry run --data " + data + "`, or check --graph");
            return BelfryCli.EXIT_NOT_RUNNING;
        } catch (AuthenticationException e) {
            spec.commandLine().getErr().println("belfry: " + endpoint.uri() + " refused user " + endpoint.user()
                    + ": " + oneLine(e));
            return BelfryCli.EXIT_FAILED;
        } catch (ClientException e) {
            spec.commandLine().getErr().println("belfry: " + oneLine(e));
            return BelfryCli.EXIT_USAGE;
        }
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

    private static String csv(String s) {
        return s.matches(".*[\",\\r\\n].*") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    private static String oneLine(Exception e) {
        return String.valueOf(e.getMessage()).replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
