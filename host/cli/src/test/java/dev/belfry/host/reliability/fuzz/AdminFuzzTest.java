package dev.belfry.host.reliability.fuzz;

import dev.belfry.host.TestAccess;
import dev.belfry.host.admin.AdminModule;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.cli.BelfryCli;
import dev.belfry.host.reliability.Depth;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.PluginJarBuilder;
import dev.belfry.sidecar.JobRecord;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed requests against a real host's admin API, and malformed arguments to the CLI: a 4xx with one line of
 * JSON (never a 5xx or a stack trace) and no change to any job; the CLI exits 2 with one stderr line (3 where no
 * host runs), never 0 for garbage, never with an exception.
 */
class AdminFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SEGMENTS = {"jobs", "plugins", "health", "metrics", "adm.a", "adm.b", "adm",
        "trigger", "pause", "resume", "cancel", "reload", "no.such", "%", "%zz", "%00", "%0a", "%2F", "%2e%2e", "..",
        ".", "", "jobs%2Fadm.a", "adm%2Ea", "\u00e9", "%C3%A9", "%FF%FE", "日本", ";", "?", "#", "a b", "x".repeat(5000)};
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", "post",
        "CONNECT", "BREW", "X-GET", "GETT"};

    @TempDir
    static Path tmp;
    private static Host host;
    private static Path data;
    private static String token;
    private static InetSocketAddress address;

    @BeforeAll
    static void startHost() throws Exception {
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        data = tmp.resolve("data");
        PluginJarBuilder.plugin("adm")
                .extension("p.adm.A", job("A", "a"))
                .extension("p.adm.B", job("B", "b"))
                .writeTo(plugins, "adm.jar");
        host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO)
                .shutdownGrace(Duration.ofSeconds(2)).build());
        token = Files.readString(data.resolve("admin.token")).strip();
        URI url = URI.create(Files.readString(data.resolve("admin.url")).strip());
        address = new InetSocketAddress(url.getHost(), url.getPort());
    }

    @AfterAll
    static void stopHost() {
        if (host != null) {
            host.close();
        }
    }

    private static String job(String cls, String name) {
        return "package p.adm;\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.Schedule;\n"
                + "public class " + cls + " implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"" + name + "\", Schedule.manual()).build(); }\n"
                + "  public void run(JobContext c) { }\n"
                + "}\n";
    }

    /** @param truncated the server answered before reading a large body and the reset cut its answer short */
    private record Reply(int status, String contentType, String body, boolean truncated) {
    }

    @Test
    void shouldAnswerEveryMalformedRequestWithA4xxOneLineJsonErrorAndChangeNothing() throws Exception {
        long seed = Fuzz.seed("admin API");
        Random r = new Random(seed);
        int requests = Depth.pick(2_000, 40_000);
        int[] byClass = new int[6];
        List<String> refusedByHttpServer = new ArrayList<>();
        int[] cutByReset = {0};
        Watchdog.run(Duration.ofSeconds(20), seed, dog -> {
            List<JobRecord> before = records();
            for (int i = 0; i < requests; i++) {
                String method = r.nextInt(4) == 0 ? Fuzz.pick(r, METHODS) : r.nextBoolean() ? "GET" : "POST";
                String target = target(r);
                String auth = auth(r);
                byte[] body = body(r);
                String shown = method + " " + Fuzz.show(target) + " auth " + (auth == null ? "none" : Fuzz.show(auth)) + " body "
                        + body.length + " bytes";
                dog.input(shown);
                Reply reply = send(method, target, auth, body);
                String context = "seed " + seed + ": " + shown + " -> " + reply.status() + " " + Fuzz.show(reply.body());
                byClass[Math.min(reply.status() / 100, 5)]++;
                assertThat(reply.status()).as(context).isBetween(200, 499);
                assertThat(reply.body()).as(context).doesNotContain("\tat ").doesNotContain("Exception:");
                if (reply.status() >= 400) {
                    if (reply.truncated()) {
                        cutByReset[0]++;
                    } else if (reply.contentType() == null || !reply.contentType().startsWith("application/json")) {
                        // refused by the JDK's HTTP server before any Belfry code ran: a request line it cannot
                        // parse (400) or a target that is not a path ("*", "", an absolute URL: 404, no context)
                        refusedByHttpServer.add(reply.status() + " for " + Fuzz.show(target));
                        assertThat(reply.status() == 400 || (reply.status() == 404 && !isPath(target)))
                                .as(context).isTrue();
                    } else {
                        // one line: JSON escapes CR and LF in strings; U+2028 may stay raw (legal JSON, RFC 8259)
                        assertThat(reply.body().strip()).as("one line: %s", context).doesNotContain("\n", "\r");
                        JsonNode json = JSON.readTree(reply.body());
                        assertThat(json.isObject() && json.size() == 1 && json.path("error").isTextual())
                                .as("{\"error\": ...}: %s", context).isTrue();
                    }
                    assertThat(records()).as("no state change: %s", context).isEqualTo(before);
                } else if (method.equals("POST")) {
                    // a request that happened to be well formed: let its run end, then take the new state as given
                    Eventually.await(Duration.ofSeconds(10),
                            () -> host.jobs().stream().allMatch(j -> j.running().isEmpty()), () -> context);
                    host.flushState().get();
                    before = records();
                } else {
                    assertThat(records()).as("a GET changes nothing: %s", context).isEqualTo(before);
                }
            }
        });
        System.out.printf("[fuzz] admin API: %d requests: 2xx %d, 3xx %d, 4xx %d, 5xx %d; refused by the HTTP server "
                + "itself (no JSON): %d; answers cut short by a reset (large body refused unread): %d%n", requests,
                byClass[2], byClass[3], byClass[4], byClass[5], refusedByHttpServer.size(), cutByReset[0]);
    }

    @Test
    void shouldExitTwoOrThreeWithOneStderrLineForGarbageArguments() throws Exception {
        long seed = Fuzz.seed("CLI arguments");
        Random r = new Random(seed);
        int runs = Depth.pick(200, 5_000);
        Path noHost = Files.createDirectories(tmp.resolve("no-host"));
        int[] exits = new int[5];
        Watchdog.run(Duration.ofSeconds(20), seed, dog -> {
            List<JobRecord> before = records();
            for (int i = 0; i < runs; i++) {
                boolean running = r.nextInt(3) > 0;
                List<String> args = garbage(r, running ? data : noHost);
                String shown = args.stream().map(Fuzz::show).toList().toString();
                dog.input("belfry " + shown);
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int code;
                try {
                    code = BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true),
                            args.toArray(String[]::new));
                } catch (RuntimeException | Error e) {
                    throw new AssertionError("seed " + seed + ": belfry " + shown + " threw " + e + "\n"
                            + Fuzz.stackTrace(e), e);
                }
                exits[Math.min(code, 4)]++;
                String text = err.toString();
                String context = "seed " + seed + ": belfry " + shown + " -> exit " + code + ", stderr "
                        + Fuzz.show(text) + ", stdout " + Fuzz.show(out.toString());
                assertThat(code).as(context).isIn(2, 3);
                if (code == 3) {
                    assertThat(running).as("exit 3 only where no host runs: %s", context).isFalse();
                }
                assertThat(text).as(context).startsWith("belfry: ").endsWith("\n");
                assertThat(Fuzz.hasLineBreak(text.substring(0, text.length() - 1))).as("one line: %s", context)
                        .isFalse();
                assertThat(records()).as("no state change: %s", context).isEqualTo(before);
            }
        });
        System.out.printf("[fuzz] CLI arguments: %d garbage command lines: exit 2 %d, exit 3 %d, other %d%n", runs,
                exits[2], exits[3], exits[0] + exits[1] + exits[4]);
    }

    /** Whether the JDK server sees a path in the target ("//x" is an authority, "*" and "" are no path). */
    private static boolean isPath(String target) {
        try {
            String path = new URI(target).getRawPath();
            return path != null && path.startsWith("/");
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ generators

    private static List<JobRecord> records() {
        return TestAccess.records(host);
    }

    private static String target(Random r) {
        if (r.nextInt(15) == 0) {
            return Fuzz.pick(r, "*", "", "http://127.0.0.1/jobs", "//jobs", "/jobs/../health", "/%", "/jobs?",
                    "/jobs?status", "/jobs?status=zombie", "/jobs?plugin=%zz", "/jobs?&&&=", "/jobs#frag",
                    "/jobs?status=" + "x".repeat(10_000), "/\u0000", "/jobs/adm.a/pause?x=%0A");
        }
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
            String seg = r.nextInt(6) == 0 ? URLEncoder.encode(Fuzz.randomText(r, 10), StandardCharsets.UTF_8)
                    : Fuzz.pick(r, SEGMENTS);
            b.append('/').append(seg);
        }
        if (b.length() == 0) {
            b.append('/');
        }
        if (r.nextInt(4) == 0) {
            b.append('?').append(Fuzz.pick(r, "plugin", "status", "x", "", "%")).append('=')
                    .append(r.nextBoolean() ? Fuzz.pick(r, "adm", "failed", "IDLE", "zombie", "%zz", "", "a=b")
                            : URLEncoder.encode(Fuzz.randomText(r, 8), StandardCharsets.UTF_8));
        }
        return b.toString();
    }

    private static String auth(Random r) {
        switch (r.nextInt(10)) {
            case 0:
                return null;
            case 1:
                return "Bearer " + token.substring(1);
            case 2:
                return Fuzz.pick(r, "bearer " + token, "Bearer", "Bearer ", "Basic " + token, token,
                        "Bearer " + token + "x", "Bearer  " + token + " junk", "Bearer " + "é".repeat(40),
                        "Bearer " + "A".repeat(10_000));
            default:
                return "Bearer " + token;
        }
    }

    private static byte[] body(Random r) {
        switch (r.nextInt(12)) {
            case 0:
                return new byte[1 << 20];
            case 1:
            case 2:
                return Fuzz.randomText(r, 200).getBytes(StandardCharsets.UTF_8);
            case 3:
                return "{\"paused\": true}".getBytes(StandardCharsets.UTF_8);
            default:
                return new byte[0];
        }
    }

    /** One request on a fresh connection, written by hand so that nothing in a client library cleans it up. */
    private static Reply send(String method, String target, String auth, byte[] body) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(address, 5_000);
            s.setSoTimeout(15_000);
            StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                    .append("Host: 127.0.0.1\r\nConnection: close\r\n");
            if (auth != null) {
                head.append("Authorization: ").append(auth).append("\r\n");
            }
            head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
            OutputStream out = s.getOutputStream();
            try {
                out.write(head.toString().getBytes(StandardCharsets.UTF_8));
                out.write(body);
                out.flush();
            } catch (java.io.IOException e) {
                // the server may answer and close before reading a large body; read what it said
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            try {
                in.transferTo(all);
            } catch (java.net.SocketException e) {
                // connection reset after the answer was sent
            }
            String text = all.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            if (!text.startsWith("HTTP/1.1 ") || end < 0) {
                throw new AssertionError("no HTTP answer to " + method + " " + Fuzz.show(target) + ": "
                        + Fuzz.show(text));
            }
            int status = Integer.parseInt(text.substring(9, 12));
            String contentType = null;
            long length = -1;
            for (String line : text.substring(0, end).split("\r\n")) {
                String lower = line.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("content-type:")) {
                    contentType = line.substring(13).strip();
                } else if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(line.substring(15).strip());
                }
            }
            byte[] raw = all.toByteArray();
            int headBytes = text.substring(0, end + 4).getBytes(StandardCharsets.UTF_8).length;
            boolean truncated = length >= 0 && raw.length - headBytes < length;
            return new Reply(status, contentType, text.substring(end + 4), truncated);
        }
    }

    /** A command line that is wrong by construction (never a help or version request, never run/watch/query). */
    private static List<String> garbage(Random r, Path dataDir) {
        String d = dataDir.toString();
        String junk = junkToken(r);
        switch (r.nextInt(9)) {
            case 0:
                return List.of(junk);
            case 1:
                return List.of(Fuzz.pick(r, "status", "jobs", "plugins", "sidecar", "cron"), "--" + letters(r));
            case 2:
                return List.of("status", "--data", d, junk);
            case 3:
                return List.of("jobs", Fuzz.pick(r, "show", "trigger", "pause", "resume", "cancel"), "--data", d,
                        Fuzz.pick(r, "no.such", "adm.zzz", "adm", ".a", "a.", "", "adm..a", junk));
            case 4:
                return List.of("jobs", "list", "--data", d, "--status", Fuzz.pick(r, "zombie", "", "FAILED_", junk));
            case 5:
                return List.of("jobs", Fuzz.pick(r, "show", "trigger", "pause", "resume", "cancel"), "--data", d);
            case 6:
                return List.of("plugins", Fuzz.pick(r, "reload", "list"), "--data", d, junk, junk + "x");
            case 7:
                return List.of("jobs", junk, "--data", d);
            default: {
                List<String> out = new ArrayList<>();
                int n = 1 + r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    out.add(junkToken(r));
                }
                return out;
            }
        }
    }

    private static String junkToken(Random r) {
        while (true) {
            String t = r.nextBoolean() ? Fuzz.randomText(r, 12) : "-" + Fuzz.randomText(r, 6);
            // not a command, a standard option or the end-of-options marker ("--"): those are not garbage
            if (!t.isEmpty() && !t.matches("-[hV]+.*|--|--help|--version|status|jobs|plugins|sidecar|cron|run|query|help|"
                    + "list|show|trigger|pause|resume|cancel|watch|reload|validate|dump|next|explain")) {
                return t;
            }
        }
    }

    private static String letters(Random r) {
        StringBuilder b = new StringBuilder("zz");
        for (int i = 0; i < 1 + r.nextInt(8); i++) {
            b.append((char) ('a' + r.nextInt(26)));
        }
        return b.toString();
    }
}
