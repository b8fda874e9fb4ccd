package dev.belfry.host.internal.cli;

import dev.belfry.host.TestAccess;
import dev.belfry.host.admin.AdminModule;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.api.QName;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.testing.Eventually;
import dev.belfry.sidecar.JobStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host commands of the CLI, in process, against a real host through its admin API. */
class HostCommandsTest {
    private static final Path EXAMPLES = Path.of(System.getProperty("belfry.examplePlugins", "target/example-plugins"));
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path data;
    @TempDir
    static Path plugins;
    @TempDir
    static Path nowhere;

    private static Host host;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void startHost() throws IOException {
        Files.copy(EXAMPLES.resolve("hello-jobs.jar"), plugins.resolve("hello-jobs.jar"));
        Files.copy(EXAMPLES.resolve("ingest-demo.jar"), plugins.resolve("ingest-demo.jar"));
        host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO).build());
    }

    @AfterAll
    static void stopHost() {
        host.close();
    }

    private int belfry(String... args) {
        String[] withData = new String[args.length + 2];
        System.arraycopy(args, 0, withData, 0, args.length);
        withData[args.length] = "--data";
        withData[args.length + 1] = data.toString();
        return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), withData);
    }

    private List<String> lines() {
        return out.toString().lines().toList();
    }

    @Test
    void shouldListJobsAsAnAlignedTableWithRelativeTimes() {
        assertThat(belfry("jobs", "list")).isZero();

        assertThat(lines().get(0)).startsWith("QNAME").contains("STATUS").contains("NEXT");
        assertThat(lines()).anySatisfy(l -> assertThat(l).startsWith("hello-jobs.greeting").contains("scheduled")
                .containsPattern("in \\d+s|in 1m|now"));
        assertThat(lines()).hasSize(1 + 5);
    }

    @Test
    void shouldFilterJobsAndGiveTheSameDataAsJson() throws IOException {
        assertThat(belfry("jobs", "list", "--plugin", "ingest-demo", "--json")).isZero();

        JsonNode jobs = JSON.readTree(out.toString());
        assertThat(jobs).extracting(j -> j.get("qname").asText())
                .containsExactlyInAnyOrder("ingest-demo.ingest", "ingest-demo.flaky-export");
        assertThat(jobs.get(0).has("next_fire_at")).isTrue();
    }

    @Test
    void shouldTriggerAJobAndShowItsRuns() {
        assertThat(belfry("jobs", "trigger", "hello-jobs.say-hello")).isZero();
        assertThat(out.toString()).isEqualTo("hello-jobs.say-hello: started" + System.lineSeparator());
        Eventually.await(Duration.ofSeconds(10), () -> host.job(QName.parse("hello-jobs.say-hello")).orElseThrow()
                .runCount() >= 1, () -> "the triggered run");

        out.getBuffer().setLength(0);
        assertThat(belfry("jobs", "show", "hello-jobs.say-hello")).isZero();
        assertThat(out.toString()).contains("status").contains("manual").contains("RUN").contains("ok");
    }

    @Test
    void shouldPauseAndResumeAJob() {
        assertThat(belfry("jobs", "pause", "hello-jobs.greeting")).isZero();
        assertThat(TestAccess.record(host, QName.parse("hello-jobs.greeting")).status())
                .isEqualTo(JobStatus.PAUSED);
        assertThat(belfry("jobs", "resume", "hello-jobs.greeting")).isZero();
        assertThat(TestAccess.record(host, QName.parse("hello-jobs.greeting")).status())
                .isEqualTo(JobStatus.SCHEDULED);
    }

    @Test
    void shouldCancelADeclaredJobUntilResumed() {
        assertThat(belfry("jobs", "cancel", "ingest-demo.flaky-export")).isZero();
        assertThat(out.toString()).isEqualTo("ingest-demo.flaky-export: cancelled" + System.lineSeparator());
        assertThat(TestAccess.record(host, QName.parse("ingest-demo.flaky-export")).status())
                .isEqualTo(JobStatus.CANCELLED);

        assertThat(belfry("jobs", "resume", "ingest-demo.flaky-export")).isZero();
        assertThat(TestAccess.record(host, QName.parse("ingest-demo.flaky-export")).status())
                .isEqualTo(JobStatus.SCHEDULED);
    }

    @Test
    void shouldShowAJobAsJson() throws IOException {
        assertThat(belfry("jobs", "show", "hello-jobs.heartbeat", "--json")).isZero();

        JsonNode job = JSON.readTree(out.toString());
        assertThat(job.get("qname").asText()).isEqualTo("hello-jobs.heartbeat");
        assertThat(job.get("schedule").asText()).isEqualTo("every 10s");
        assertThat(job.get("running").isArray()).isTrue();
        assertThat(job.has("version")).isTrue();
    }

    @Test
    void shouldReloadAPluginAndRefuseAnUnknownOne() {
        assertThat(belfry("plugins", "reload", "hello-jobs")).isZero();
        assertThat(out.toString()).isEqualTo("hello-jobs: reloaded" + System.lineSeparator());
        assertThat(host.plugins()).contains("hello-jobs");

        assertThat(belfry("plugins", "reload", "no-such-plugin")).isEqualTo(2);
        assertThat(err.toString()).contains("no plugin named no-such-plugin");
    }

    @Test
    void shouldExitOneWhenTheHostRefusesTheOperation() {
        assertThat(belfry("jobs", "cancel", "ingest-demo.ingest")).isZero();

        assertThat(belfry("jobs", "trigger", "ingest-demo.ingest")).isEqualTo(1);
        assertThat(err.toString()).contains("job ingest-demo.ingest cannot run: it is cancelled");
        assertThat(belfry("jobs", "resume", "ingest-demo.ingest")).isZero();
    }

    @Test
    void shouldExitTwoForAnUnknownJobOrStatus() {
        assertThat(belfry("jobs", "show", "hello-jobs.nope")).isEqualTo(2);
        assertThat(err.toString()).contains("no job named hello-jobs.nope");
        assertThat(belfry("jobs", "list", "--status", "sleepy")).isEqualTo(2);
        assertThat(belfry("jobs", "frobnicate")).isEqualTo(2);
    }

    @Test
    void shouldExitThreeWithHowToStartAHostWhenNoneRuns() {
        int code = BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true),
                "jobs", "list", "--data", nowhere.toString());

        assertThat(code).isEqualTo(3);
        assertThat(err.toString()).contains("no Belfry host is running").contains("belfry run --data " + nowhere);
    }

    @Test
    void shouldListPluginsAndReportStatus() throws IOException {
        assertThat(belfry("plugins", "list")).isZero();
        assertThat(lines()).anySatisfy(l -> assertThat(l).startsWith("hello-jobs").contains("started"));

        out.getBuffer().setLength(0);
        assertThat(belfry("status", "--json")).isZero();
        JsonNode health = JSON.readTree(out.toString());
        assertThat(health.get("status").asText()).isEqualTo("ok");
        assertThat(health.get("engine").get("jobs").asInt()).isEqualTo(5);

        out.getBuffer().setLength(0);
        assertThat(belfry("status")).isZero();
        assertThat(out.toString()).contains("engine").contains("5 jobs").containsPattern("state +ok +[0-9]+ commits?, [0-9]+ checkpoints? since start");
    }

    @Test
    void shouldPrintPlainLinesWhenWatchingWithoutATerminal() {
        assertThat(belfry("jobs", "watch", "--times", "1")).isZero();

        assertThat(out.toString()).doesNotContain("\u001b[");
        assertThat(lines()).isNotEmpty();
    }
}
