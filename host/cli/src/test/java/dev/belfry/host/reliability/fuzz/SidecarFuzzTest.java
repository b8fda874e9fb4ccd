package dev.belfry.host.reliability.fuzz;

import dev.belfry.host.TestAccess;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.HostStartException;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.cli.BelfryCli;
import dev.belfry.host.reliability.Depth;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFormatException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated and truncated sidecar files fed to the codec, to {@code belfry sidecar validate} and to real host starts.
 * A host either starts from exactly the main file's jobs, or from exactly the .bak's with the damaged main file
 * quarantined, or refuses with one line that names the file and field and mentions --reset-state.
 */
class SidecarFuzzTest {
    private static final String FILE = "background_jobs.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SidecarCodec CODEC = new SidecarCodec();

    /** A realistic document: every member, every schedule kind and mode, every optional both set and null. */
    static final String MAIN = """
            {
              "format": "belfry.background-jobs",
              "version": 1,
              "written_at": "2026-11-23T04:05:06Z",
              "jobs": [
                {
                  "qname": "hello-jobs.greeting",
                  "plugin_id": "hello-jobs",
                  "schedule": {"type": "cron", "expression": "0 3 * * *", "zone": "Europe/Berlin"},
                  "status": "failed_retrying",
                  "next_fire_at": "2026-11-24T02:00:00Z",
                  "last_started_at": "2026-11-23T02:00:00.125Z",
                  "last_finished_at": "2026-11-23T02:00:00.137Z",
                  "last_outcome": {"success": false, "message": "boom: \\"quoted\\" ünïcödé", "duration_ms": 12},
                  "consecutive_failures": 2,
                  "run_count": 3,
                  "failure_count": 1,
                  "paused": false,
                  "orphaned_at": null,
                  "dynamic": false,
                  "checkpoint": "{\\"offset\\":42}",
                  "version": 7
                },
                {
                  "qname": "hello-jobs.say-hello",
                  "plugin_id": "hello-jobs",
                  "schedule": {"type": "manual"},
                  "status": "idle",
                  "next_fire_at": null,
                  "last_started_at": null,
                  "last_finished_at": null,
                  "last_outcome": null,
                  "consecutive_failures": 0,
                  "run_count": 0,
                  "failure_count": 0,
                  "paused": true,
                  "orphaned_at": null,
                  "dynamic": false,
                  "checkpoint": null,
                  "version": 0
                },
                {
                  "qname": "reports.nightly.once",
                  "plugin_id": "reports.nightly",
                  "schedule": {"type": "once", "at": "2027-01-01T00:00:00Z"},
                  "status": "running",
                  "next_fire_at": "2027-01-01T00:00:00Z",
                  "last_started_at": "2026-11-23T04:00:00Z",
                  "last_finished_at": null,
                  "last_outcome": null,
                  "consecutive_failures": 0,
                  "run_count": 1,
                  "failure_count": 0,
                  "paused": false,
                  "orphaned_at": null,
                  "dynamic": true,
                  "checkpoint": "",
                  "version": 1,
                  "added_by_a_newer_belfry": {"nested": [1, 2.50, "x"]}
                },
                {
                  "qname": "reports.nightly.tick",
                  "plugin_id": "reports.nightly",
                  "schedule": {"type": "periodic", "every": "PT10S", "mode": "fixed_delay", "initial_delay": "PT1M30S"},
                  "status": "scheduled",
                  "next_fire_at": "2026-11-23T04:05:16Z",
                  "last_started_at": "2026-11-23T04:05:05Z",
                  "last_finished_at": "2026-11-23T04:05:06Z",
                  "last_outcome": {"success": true, "message": "", "duration_ms": 1000},
                  "consecutive_failures": 0,
                  "run_count": 9223372036854775807,
                  "failure_count": 0,
                  "paused": false,
                  "orphaned_at": null,
                  "dynamic": false,
                  "checkpoint": "",
                  "version": 42
                },
                {
                  "qname": "ingest.rate",
                  "plugin_id": "ingest",
                  "schedule": {"type": "periodic", "every": "PT0.001S", "mode": "fixed_rate", "initial_delay": "PT0S"},
                  "status": "pending",
                  "consecutive_failures": 2147483647,
                  "run_count": 0,
                  "failure_count": 0,
                  "paused": false,
                  "version": 0
                },
                {
                  "qname": "retired-plugin.cleanup",
                  "plugin_id": "retired-plugin",
                  "schedule": {"type": "cron", "expression": "@daily", "zone": "+05:30"},
                  "status": "orphaned",
                  "next_fire_at": null,
                  "last_started_at": "2026-11-20T00:00:00Z",
                  "last_finished_at": "2026-11-20T00:00:01.500Z",
                  "last_outcome": {"success": true, "message": "", "duration_ms": 1500},
                  "consecutive_failures": 0,
                  "run_count": 12,
                  "failure_count": 0,
                  "paused": false,
                  "orphaned_at": "2026-11-21T09:30:00Z",
                  "dynamic": true,
                  "checkpoint": null,
                  "version": 13
                },
                {
                  "qname": "cal.weekly",
                  "plugin_id": "cal",
                  "schedule": {"type": "cron", "expression": "*/20 30 2 ? * 1#2", "zone": "America/New_York"},
                  "status": "cancelled",
                  "next_fire_at": null,
                  "last_started_at": null,
                  "last_finished_at": null,
                  "last_outcome": null,
                  "consecutive_failures": 0,
                  "run_count": 0,
                  "failure_count": 0,
                  "paused": false,
                  "orphaned_at": null,
                  "dynamic": false,
                  "checkpoint": null,
                  "version": 3
                }
              ],
              "host_note": "unknown document member, kept verbatim"
            }
            """;

    /** The previous generation: fewer jobs, so a start from it is told apart from a start from the main file. */
    static final String BAK = """
            {
              "format": "belfry.background-jobs",
              "version": 1,
              "written_at": "2026-11-23T04:00:00Z",
              "jobs": [
                {
                  "qname": "hello-jobs.greeting",
                  "plugin_id": "hello-jobs",
                  "schedule": {"type": "cron", "expression": "0 3 * * *", "zone": "Europe/Berlin"},
                  "status": "scheduled",
                  "next_fire_at": "2026-11-24T02:00:00Z",
                  "consecutive_failures": 0,
                  "run_count": 2,
                  "failure_count": 0,
                  "paused": false,
                  "version": 5
                },
                {
                  "qname": "bak-only.job",
                  "plugin_id": "bak-only",
                  "schedule": {"type": "manual"},
                  "status": "idle",
                  "consecutive_failures": 0,
                  "run_count": 0,
                  "failure_count": 0,
                  "paused": false,
                  "version": 0
                }
              ]
            }
            """;

    /** A legacy bare array, to mutate as well. */
    static final String LEGACY = """
            [
              {"qname": "hello-jobs.greeting", "status": "FAILED", "consecutive_failures": 4},
              {"qname": "hello-jobs.tick", "status": "ok", "consecutive_failures": 0,
               "schedule": {"type": "periodic", "every": "PT5M", "mode": "fixed_rate", "initial_delay": "PT0S"},
               "next_fire_at": "2025-06-01T12:00:00Z"}
            ]
            """;

    /** Every fallback to the .bak logs the quarantined file at ERROR: asserted per start, kept off the console. */
    @RegisterExtension
    final LogCapture log = LogCapture.ofNames("dev.belfry.host", "dev.belfry.sidecar");

    @TempDir
    Path tmp;

    @Test
    void shouldDecodeOrRefuseWithFileLineColumnAndFieldForEveryMutation() throws Exception {
        long seed = Fuzz.seed("sidecar codec");
        Random r = new Random(seed);
        int inputs = Depth.pick(4_000, 100_000);
        int[] outcome = new int[2];
        Watchdog.run(Duration.ofSeconds(5), seed, dog -> {
            for (int i = 0; i < inputs; i++) {
                byte[] input = mutant(r);
                dog.input("decode of " + Fuzz.show(new String(input, StandardCharsets.UTF_8)));
                Optional<SidecarDocument> doc = decode(seed, input, FILE);
                outcome[doc.isPresent() ? 0 : 1]++;
                doc.ifPresent(d -> assertThat(CODEC.decode(CODEC.encode(d), FILE)).as("seed %d: round trip", seed)
                        .isEqualTo(d));
            }
        });
        System.out.printf("[fuzz] sidecar codec: %d mutated documents: %d decoded, %d refused%n", inputs,
                outcome[0], outcome[1]);
        assertThat(outcome[1]).as("seed %d: most mutations are refused", seed).isGreaterThan(inputs / 3);
    }

    @Test
    void shouldValidateEveryMutatedFileFromTheCommandLine() throws Exception {
        long seed = Fuzz.seed("belfry sidecar validate");
        Random r = new Random(seed);
        int inputs = Depth.pick(300, 10_000);
        Clock clock = Clock.fixed(Instant.parse("2026-11-23T05:00:00Z"), ZoneOffset.UTC);
        Path file = tmp.resolve(FILE);
        int[] exits = new int[3];
        Watchdog.run(Duration.ofSeconds(5), seed, dog -> {
            for (int i = 0; i < inputs; i++) {
                byte[] input = mutant(r);
                Files.write(file, input);
                String shown = Fuzz.show(new String(input, StandardCharsets.UTF_8));
                dog.input("belfry sidecar validate on " + shown);
                boolean valid = decode(seed, input, file.toString()).isPresent();
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int code = BelfryCli.run(clock, new PrintWriter(out, true), new PrintWriter(err, true), "sidecar",
                        "validate", file.toString());
                exits[Math.min(code, 2)]++;
                if (valid) {
                    assertThat(code).as("seed %d: valid file %s; stderr %s", seed, shown, err).isZero();
                    assertThat(out.toString()).startsWith(file + ": valid");
                } else {
                    assertThat(code).as("seed %d: invalid file %s; stderr %s", seed, shown, err).isEqualTo(1);
                    SidecarFormatException why = error(input, file.toString());
                    assertThat(err.toString()).as("seed %d: the one stderr line for %s", seed, shown)
                            .isEqualTo(why.getMessage() + System.lineSeparator())
                            .startsWith(file + ":" + why.line() + ":" + why.column() + ": ");
                }
            }
        });
        System.out.printf("[fuzz] belfry sidecar validate: %d files: exit 0 %d, exit 1 %d, other %d%n", inputs,
                exits[0], exits[1], exits[2]);
    }

    @Test
    void shouldStartFromTheMainFileOrTheBackupOrRefuseWithOneLine() throws Exception {
        long seed = Fuzz.seed("sidecar host starts");
        Random r = new Random(seed);
        int starts = Depth.pick(250, 3_000);
        int[] outcome = new int[3]; // from main, from .bak, refused
        Fuzz.Latencies timing = new Fuzz.Latencies();
        Watchdog.run(Duration.ofSeconds(30), seed, dog -> {
            for (int i = 0; i < starts; i++) {
                Path data = Files.createDirectories(tmp.resolve("data-" + i));
                Path plugins = Files.createDirectories(tmp.resolve("plugins-" + i));
                Path system = Files.createDirectories(data.resolve("_system"));
                byte[] main = mutant(r);
                int bakKind = r.nextInt(10); // mostly a valid .bak; sometimes damaged or missing
                byte[] bak = bakKind < 7 ? BAK.getBytes(StandardCharsets.UTF_8)
                        : bakKind < 9 ? Fuzz.mutate(BAK.getBytes(StandardCharsets.UTF_8), r) : null;
                Files.write(system.resolve(FILE), main);
                if (bak != null) {
                    Files.write(system.resolve(FILE + ".bak"), bak);
                }
                String shown = "main " + Fuzz.show(new String(main, StandardCharsets.UTF_8)) + ", .bak "
                        + (bak == null ? "missing" : Fuzz.show(new String(bak, StandardCharsets.UTF_8)));
                dog.input("host start " + i + " with " + shown);
                Optional<SidecarDocument> mainDoc = decode(seed, main, FILE);
                Optional<SidecarDocument> bakDoc = bak == null ? Optional.empty() : decode(seed, bak, FILE + ".bak");
                long t0 = System.nanoTime();
                Host host;
                try {
                    host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).pluginScanInterval(Duration.ZERO).orphanRetention(Duration.ofDays(3_650_000))
                            .shutdownGrace(Duration.ofSeconds(1)).build());
                } catch (HostStartException e) {
                    timing.add(System.nanoTime() - t0);
                    outcome[2]++;
                    checkRefusal(seed, shown, e, mainDoc, bakDoc, main, bak);
                    continue;
                } catch (RuntimeException | Error e) {
                    throw new AssertionError("seed " + seed + ": host start threw " + e + " for " + shown + "\n"
                            + Fuzz.stackTrace(e), e);
                }
                timing.add(System.nanoTime() - t0);
                try (host) {
                    List<Path> quarantined = corruptFiles(system);
                    if (mainDoc.isPresent()) {
                        outcome[0]++;
                        assertThat(quarantined).as("seed %d: nothing quarantined for a valid main file: %s", seed, shown)
                                .isEmpty();
                        assertSameJobs(seed, shown, "main", TestAccess.records(host), mainDoc.get());
                    } else {
                        outcome[1]++;
                        assertThat(bakDoc).as("seed %d: the host started although neither file decodes: %s", seed,
                                shown).isPresent();
                        assertThat(quarantined).as("seed %d: the damaged main file is quarantined: %s", seed, shown)
                                .hasSize(1);
                        assertThat(Files.readAllBytes(quarantined.get(0))).as("seed %d: quarantined byte for byte",
                                seed).isEqualTo(main);
                        assertSameJobs(seed, shown, ".bak", TestAccess.records(host), bakDoc.get());
                        log.assertLogged(Level.ERROR, "was unusable and moved to " + quarantined.get(0));
                    }
                    host.flushState().get();
                }
                // whatever the host wrote back at close must read again with the same jobs
                byte[] written = Files.readAllBytes(system.resolve(FILE));
                SidecarDocument after = CODEC.decode(written, FILE);
                SidecarDocument expected = mainDoc.orElseGet(bakDoc::orElseThrow);
                assertThat(after.jobs()).extracting(JobRecord::qname).as("seed %d: jobs written back for %s", seed,
                        shown).containsExactlyInAnyOrderElementsOf(expected.jobs().stream().map(JobRecord::qname)
                        .toList());
                deleteTree(data);
                deleteTree(plugins);
            }
        });
        System.out.printf("[fuzz] sidecar host starts: %d: %d from the main file, %d from .bak (main quarantined), "
                        + "%d refused; start time p50 %.1f ms, max %.1f ms%n", starts, outcome[0], outcome[1],
                outcome[2], timing.quantile(0.5) / 1e6, timing.max() / 1e6);
        assertThat(outcome[1]).as("seed %d: some starts fell back to .bak", seed).isPositive();
    }

    private static void checkRefusal(long seed, String shown, HostStartException e, Optional<SidecarDocument> mainDoc,
                                     Optional<SidecarDocument> bakDoc, byte[] main, byte[] bak) {
        String m = e.getMessage();
        assertThat(mainDoc.isEmpty() && bakDoc.isEmpty())
                .as("seed %d: refused although a file decodes (%s) for %s", seed, m, shown).isTrue();
        assertThat(Fuzz.hasLineBreak(m)).as("seed %d: one line: %s", seed, Fuzz.show(m)).isFalse();
        assertThat(m).as("seed %d: names the file and --reset-state", seed).contains(FILE).contains("--reset-state");
        SidecarFormatException why = error(main, FILE);
        assertThat(m).as("seed %d: names the field of the main file's error", seed)
                .contains(":" + why.line() + ":" + why.column() + ": " + why.field() + ": ");
        if (bak != null) {
            SidecarFormatException bakWhy = error(bak, FILE + ".bak");
            assertThat(m).as("seed %d: names the field of the .bak's error", seed)
                    .contains(":" + bakWhy.line() + ":" + bakWhy.column() + ": " + bakWhy.field() + ": ");
        }
    }

    private static SidecarFormatException error(byte[] bytes, String file) {
        try {
            CODEC.decode(bytes, file);
        } catch (SidecarFormatException e) {
            return e;
        }
        throw new AssertionError("expected a decode error");
    }

    /** The jobs a host has are exactly the document's: same names, each with the document's persisted facts. */
    private static void assertSameJobs(long seed, String shown, String from, List<JobRecord> jobs, SidecarDocument doc) {
        assertThat(jobs).extracting(j -> j.qname()).as("seed %d: jobs from %s for %s", seed, from, shown)
                .containsExactlyInAnyOrderElementsOf(doc.jobs().stream().map(JobRecord::qname).toList());
        for (JobRecord had : jobs) {
            JobRecord want = doc.job(had.qname()).orElseThrow();
            assertThat(List.of(had.pluginId(), had.schedule(), had.runCount(), had.checkpoint(), had.dynamic(),
                    had.paused(), had.lastStartedAt(), had.unknown()))
                    .as("seed %d: job %s from %s for %s", seed, had.qname(), from, shown)
                    .isEqualTo(List.of(want.pluginId(), want.schedule(), want.runCount(), want.checkpoint(),
                            want.dynamic(), want.paused(), want.lastStartedAt(), want.unknown()));
        }
    }

    private static List<Path> corruptFiles(Path system) throws IOException {
        try (Stream<Path> files = Files.list(system)) {
            return files.filter(f -> f.getFileName().toString().startsWith(FILE + ".corrupt-")).toList();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Decodes as the store does; anything but a document or a well-formed SidecarFormatException fails the test. */
    static Optional<SidecarDocument> decode(long seed, byte[] input, String file) {
        try {
            return Optional.of(CODEC.decode(input, file));
        } catch (SidecarFormatException e) {
            String m = e.getMessage();
            String shown = Fuzz.show(new String(input, StandardCharsets.UTF_8));
            assertThat(e.line()).as("seed %d: line for %s", seed, shown).isPositive();
            assertThat(e.column()).as("seed %d: column for %s", seed, shown).isPositive();
            assertThat(e.field()).as("seed %d: field for %s", seed, shown).isNotBlank();
            assertThat(m).as("seed %d: message for %s", seed, shown)
                    .startsWith(file + ":" + e.line() + ":" + e.column() + ": " + e.field() + ": ");
            assertThat(Fuzz.hasLineBreak(m)).as("seed %d: one line for %s: %s", seed, shown, Fuzz.show(m)).isFalse();
            return Optional.empty();
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError("seed " + seed + ": decode threw " + e + " for "
                    + Fuzz.show(new String(input, StandardCharsets.UTF_8)) + "\n" + Fuzz.stackTrace(e), e);
        }
    }

    // ------------------------------------------------------------------ mutations

    /** A damaged document: byte-level damage, or a well-formed document with wrong values. */
    static byte[] mutant(Random r) {
        String base = r.nextInt(10) == 0 ? LEGACY : r.nextInt(8) == 0 ? BAK : MAIN;
        byte[] bytes = base.getBytes(StandardCharsets.UTF_8);
        int kind = r.nextInt(10);
        if (kind < 5) {
            byte[] out = Fuzz.mutate(bytes, r);
            return r.nextInt(4) == 0 ? Fuzz.mutate(out.length == 0 ? bytes : out, r) : out;
        }
        if (kind == 5) {
            return Arrays.copyOf(bytes, r.nextInt(bytes.length));
        }
        try {
            JsonNode tree = JSON.readTree(bytes);
            int edits = 1 + r.nextInt(r.nextInt(5) == 0 ? 6 : 2);
            for (int e = 0; e < edits; e++) {
                tree = semantic(tree, r);
            }
            byte[] out = r.nextBoolean() ? JSON.writeValueAsBytes(tree)
                    : JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(tree);
            return r.nextInt(8) == 0 ? duplicateMember(out, r) : out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static JsonNode semantic(JsonNode root, Random r) {
        if (r.nextInt(40) == 0) {
            return deep(r.nextInt(200));
        }
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers);
        JsonNode target = Fuzz.pick(r, containers);
        if (target instanceof ArrayNode array) {
            if (array.isEmpty() || r.nextInt(3) == 0) {
                array.add(r.nextBoolean() && !array.isEmpty() ? array.get(0).deepCopy() : value(r));
            } else if (r.nextBoolean()) { // duplicate a job (same qname)
                array.add(array.get(r.nextInt(array.size())).deepCopy());
            } else {
                array.remove(r.nextInt(array.size()));
            }
            return root;
        }
        ObjectNode object = (ObjectNode) target;
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        int what = r.nextInt(6);
        if (names.isEmpty() || what == 0) {
            object.set(r.nextBoolean() ? Fuzz.randomText(r, 8) : Fuzz.pick(r, "qname", "status", "schedule",
                    "dynamic", "orphaned_at", "version", "format", "every", "zone"), value(r));
        } else if (what == 1) {
            object.remove(Fuzz.pick(r, names));
        } else {
            object.set(Fuzz.pick(r, names), value(r));
        }
        return root;
    }

    private static void collect(JsonNode node, List<JsonNode> out) {
        if (node.isContainerNode()) {
            out.add(node);
            for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
                collect(it.next(), out);
            }
        }
    }

    private static JsonNode deep(int depth) {
        JsonNode node = NODES.arrayNode();
        for (int i = 0; i < depth; i++) {
            node = i % 2 == 0 ? NODES.arrayNode().add(node) : NODES.objectNode().set("jobs", node);
        }
        return node;
    }

    /** A value of a wrong type, out of range, or just plausible enough. */
    private static JsonNode value(Random r) {
        switch (r.nextInt(14)) {
            case 0:
                return NODES.nullNode();
            case 1:
                return NODES.booleanNode(r.nextBoolean());
            case 2:
                return NODES.numberNode(new java.math.BigInteger(Fuzz.pick(r, "99999999999999999999999999999999",
                        "9223372036854775808", "-1", "2147483648", "-9223372036854775809", "0")));
            case 3:
                return NODES.numberNode(new java.math.BigDecimal(Fuzz.pick(r, "1e400", "1.5", "-0.0", "1E2", "7.000")));
            case 4:
                return NODES.textNode(Fuzz.pick(r, "PENDING", "Failed_Retrying", "done", "zombie", "", "scheduled ",
                        "orphaned", "RUNNING", "completed"));
            case 5:
                return NODES.textNode(Fuzz.pick(r, "2026-11-23T04:05:06Z", "yesterday", "+999999999-12-31T23:59:59Z",
                        "-1000000000-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-23T04:05:06", "PT10S", "PT0S",
                        "-PT1S", "PT0.0001S", "P999999999D", "PT"));
            case 6:
                return NODES.textNode(Fuzz.pick(r, "Europe/Berlin", "Mars/Olympus", "+25:00", "+18:00", "Z", "",
                        "0 0 30 2 *", "61 * * * *", "@fortnightly", "* * * * * * *", "0 0 * * 5#6",
                        "* ".repeat(300), "0 0 L-3 2 *"));
            case 7:
                return NODES.textNode(Fuzz.pick(r, "a.b", "a", ".b", "a.", "hello-jobs.greeting", "bad id.x",
                        "x".repeat(70_000), "日本.ジョブ", "a..b", "\"", "a.b\nc"));
            case 8:
                return NODES.textNode(Fuzz.randomText(r, 20));
            case 9: {
                ObjectNode schedule = NODES.objectNode();
                schedule.put("type", Fuzz.pick(r, "cron", "once", "periodic", "manual", "weekly", "CRON", ""));
                if (r.nextBoolean()) {
                    schedule.put("expression", Fuzz.pick(r, "0 3 * * *", "bad", "0 0 30 2 *"));
                }
                if (r.nextBoolean()) {
                    schedule.put("zone", Fuzz.pick(r, "UTC", "+25:00", "Europe/Berlin"));
                }
                if (r.nextBoolean()) {
                    schedule.put("every", Fuzz.pick(r, "PT10S", "PT0S", "-PT1S", "10s"));
                }
                if (r.nextBoolean()) {
                    schedule.put("mode", Fuzz.pick(r, "fixed_rate", "fixed_delay", "FIXED_RATE", "sometimes"));
                }
                if (r.nextBoolean()) {
                    schedule.put("initial_delay", Fuzz.pick(r, "PT0S", "-PT5S"));
                }
                if (r.nextBoolean()) {
                    schedule.put("at", Fuzz.pick(r, "2027-01-01T00:00:00Z", "soon"));
                }
                return schedule;
            }
            case 10:
                return NODES.arrayNode().add(1).add("x");
            case 11:
                return NODES.objectNode().put("success", r.nextBoolean()).put("message", "m")
                        .put("duration_ms", Fuzz.pick(r, List.of(-1L, 0L, Long.MAX_VALUE)));
            case 12:
                return NODES.numberNode(Fuzz.pick(r, List.of(0, 1, 2, -1, Integer.MAX_VALUE, Integer.MIN_VALUE)));
            default:
                return NODES.textNode("line\nbreak\u2028and\u0000nul");
        }
    }

    /** Writes one member twice in its object (JSON the tree model cannot express). */
    private static byte[] duplicateMember(byte[] json, Random r) {
        String text = new String(json, StandardCharsets.UTF_8);
        List<Integer> starts = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"[a-z_]+\"\\s*:\\s*(\"[^\"]*\"|-?\\d+|true|false|null)")
                .matcher(text);
        List<String> members = new ArrayList<>();
        while (m.find()) {
            starts.add(m.end());
            members.add(m.group());
        }
        if (starts.isEmpty()) {
            return json;
        }
        int k = r.nextInt(starts.size());
        return (text.substring(0, starts.get(k)) + ", " + members.get(k) + text.substring(starts.get(k)))
                .getBytes(StandardCharsets.UTF_8);
    }

    static Map<String, String> seeds() {
        return Map.of("main", MAIN, "bak", BAK, "legacy", LEGACY);
    }
}
