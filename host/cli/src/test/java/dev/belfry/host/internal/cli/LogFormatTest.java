package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.PluginJarBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code belfry run --log-format json|text} in a child JVM with the distribution's logback.xml: every line on
 * standard error is one JSON object a log shipper can parse, and a plugin job's own SLF4J lines carry the job, its
 * plugin and its run, in both formats.
 */
class LogFormatTest {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Process process;

    @AfterEach
    void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private Path start(String... format) throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        PluginJarBuilder.plugin("tick").extension("tick.Beat", "package tick;\nimport dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.*;\npublic class Beat implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"beat\","
                + " Schedule.every(java.time.Duration.ofMillis(300))).build(); }\n"
                + "  public void run(JobContext c) {\n"
                + "    org.slf4j.LoggerFactory.getLogger(\"tick.Beat\").info(\"beat {}\\nFORGED line\", c.scheduledFor());\n"
                + "  }\n}\n").writeTo(plugins, "tick.jar");
        Path err = dir.resolve("stderr.txt");
        // java.lang open to the host, as the launcher has it on Java 17-23: else the JDK's security manager notice,
        // four lines that are not the log's, comes first on standard error.
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-Dlogback.configurationFile=logback.xml", "-cp",
                System.getProperty("java.class.path"), BelfryCli.class.getName(), "run", "--data",
                dir.resolve("data").toString(), "--plugins", plugins.toString(), "--admin-port", "off",
                "--graph", "off"));
        command.addAll(List.of(format));
        process = new ProcessBuilder(command).redirectOutput(dir.resolve("stdout.txt").toFile())
                .redirectError(err.toFile()).start();
        return err;
    }

    @Test
    void shouldWriteEveryLogLineAsOneJsonObjectWithTheRunsIdsOnAPluginsLines() throws Exception {
        // given: a host started with --log-format json, whose plugin's job logs a line at every run
        Path err = start("--log-format", "json");

        // when: it starts and the job runs a few times
        Eventually.await(PATIENCE, () -> read(err).contains("beat ") && read(err).contains("Belfry started")
                        || !process.isAlive(),
                () -> "the job to log; stderr:\n" + read(err));
        process.destroy();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        // then: each line is a JSON object with a level, a logger and a message; the plugin's carry the MDC
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
            try {
                lines.add(JSON.readTree(line));
            } catch (JsonProcessingException e) {
                throw new AssertionError("a line of standard error that is not JSON: " + line + "\nall of it:\n"
                        + read(err), e);
            }
        }
        assertThat(lines).allSatisfy(line -> assertThat(line.isObject()).as(line.toString()).isTrue())
                .allSatisfy(line -> assertThat(line.path("level").asText()).isNotEmpty())
                .anySatisfy(line -> assertThat(line.path("formattedMessage").asText()).contains("Belfry started"));
        JsonNode beat = lines.stream().filter(l -> l.path("loggerName").asText().equals("tick.Beat")).findFirst()
                .orElseThrow();
        assertThat(beat.path("formattedMessage").asText()).startsWith("beat 20").endsWith("\nFORGED line");
        assertThat(beat.path("mdc").path("belfry.job").asText()).isEqualTo("tick.beat");
        assertThat(beat.path("mdc").path("belfry.plugin").asText()).isEqualTo("tick");
        assertThat(beat.path("mdc").path("belfry.run").asLong()).isPositive();
        // and standard out is left to commands' output: nothing of the logging's own
        assertThat(Files.readString(dir.resolve("stdout.txt"))).isEmpty();
    }

    @Test
    void shouldNameTheJobOnAPluginsLinesInTheTextFormat() throws Exception {
        // given: a host started with the default format
        Path err = start();

        // when: its job logs
        Eventually.await(PATIENCE, () -> read(err).contains("beat ") && read(err).contains("Belfry started")
                        || !process.isAlive(),
                () -> "the job to log; stderr:\n" + read(err));

        // then: the line names the job; the host's own lines outside runs carry no empty brackets
        List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
        assertThat(lines).anySatisfy(line -> assertThat(line).contains("INFO  Beat [tick.beat] - beat 20")
                .endsWith("\\nFORGED line"));
        // and a line break in a plugin's message cannot start a line of its own
        assertThat(lines).noneMatch(line -> line.startsWith("FORGED"));
        assertThat(Files.readString(dir.resolve("stdout.txt"))).isEmpty();
        assertThat(lines).filteredOn(line -> line.contains("Belfry started")).singleElement()
                .satisfies(line -> assertThat(line).doesNotContain("[]"));
    }

    @Test
    void shouldRefuseALogFormatItDoesNotKnowInOneLine() {
        StringWriter out = new StringWriter();
        StringWriter errOut = new StringWriter();
        int status = BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(errOut, true),
                "run", "--data", dir.resolve("data").toString(), "--log-format", "xml");
        assertThat(status).isEqualTo(2);
        assertThat(errOut.toString().strip()).isEqualTo("belfry: --log-format: \"xml\" is not a log format (one of"
                + " text, json)");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
