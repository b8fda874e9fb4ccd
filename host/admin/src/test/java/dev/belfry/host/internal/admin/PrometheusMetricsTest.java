package dev.belfry.host.internal.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.EngineStats;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.JobStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} as Prometheus reads it: the exposition is parsed by the Prometheus Python client's own parser
 * (Debian's python3-prometheus-client, which CI installs; the test is skipped with a message where it is missing),
 * with runs labelled by plugin and job, hostile job names escaped, and the number of series bounded.
 */
class PrometheusMetricsTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Instant NOON = Instant.parse("2027-01-04T12:00:00Z");
    /** Parses standard input with prometheus_client and prints each sample as JSON: name, labels, value. */
    private static final String PARSE = "import sys, json\n"
            + "from prometheus_client.parser import text_string_to_metric_families\n"
            + "out = []\n"
            + "for f in text_string_to_metric_families(sys.stdin.read()):\n"
            + "    for s in f.samples:\n"
            + "        out.append({'family': f.name, 'type': f.type, 'name': s.name, 'labels': s.labels,"
            + " 'value': s.value})\n"
            + "print(json.dumps(out))\n";

    private static RunResult run(String job, Duration lag, Duration took, int attempt, String error) {
        Instant started = NOON.plus(lag);
        return new RunResult(QName.parse(job), 1, NOON, started, started.plus(took), attempt,
                Optional.ofNullable(error));
    }

    private static String render(Metrics metrics) {
        return Metrics.render(Map.of(JobStatus.SCHEDULED, 2L), new EngineStats(2, 4, 0, 0, 1, 0, 0, 0), metrics,
                new StateStore.Health(3, 0, 0, Optional.of(NOON), Duration.ofMillis(2), 100, Optional.empty(), 1, 0),
                Map.of(), Map.of());
    }

    @Test
    void shouldLabelRunsByPluginJobAndOutcomeInTextThePrometheusParserReads() throws Exception {
        // given: runs of two jobs of one plugin
        Metrics metrics = new Metrics();
        RunHistory history = new RunHistory(metrics);
        history.runFinished(run("billing.invoices", Duration.ofMillis(3), Duration.ofSeconds(2), 1, null));
        history.runFinished(run("billing.invoices", Duration.ofMillis(40), Duration.ofSeconds(1), 1, "boom"));
        history.runFinished(run("billing.invoices", Duration.ofMillis(1), Duration.ofSeconds(1), 2,
                "timed out after PT1S"));
        history.runFinished(run("billing.reminders-2", Duration.ZERO, Duration.ofMillis(5), 1, null));

        // when: Prometheus's parser reads the exposition
        List<JsonNode> samples = parse(render(metrics));

        // then: each job has its runs by outcome, its failures (timeouts included), retries and histograms
        assertThat(value(samples, "belfry_runs_total", "billing.invoices", "outcome", "succeeded")).isEqualTo(1);
        assertThat(value(samples, "belfry_runs_total", "billing.invoices", "outcome", "failed")).isEqualTo(1);
        assertThat(value(samples, "belfry_runs_total", "billing.invoices", "outcome", "timed_out")).isEqualTo(1);
        assertThat(value(samples, "belfry_run_failures_total", "billing.invoices", null, null)).isEqualTo(2);
        assertThat(value(samples, "belfry_run_retries_total", "billing.invoices", null, null)).isEqualTo(1);
        assertThat(value(samples, "belfry_fire_lag_seconds_count", "billing.invoices", null, null)).isEqualTo(3);
        assertThat(value(samples, "belfry_fire_lag_seconds_bucket", "billing.invoices", "le", "0.005"))
                .isEqualTo(2);
        assertThat(value(samples, "belfry_run_duration_seconds_sum", "billing.invoices", null, null)).isEqualTo(4);
        assertThat(value(samples, "belfry_runs_total", "billing.reminders-2", "outcome", "succeeded")).isEqualTo(1);
        assertThat(value(samples, "belfry_runs_total", "billing.reminders-2", "outcome", "failed")).isZero();
        assertThat(samples).filteredOn(s -> s.path("name").asText().equals("belfry_runs_total"))
                .allSatisfy(s -> assertThat(s.path("labels").path("plugin").asText()).isEqualTo("billing"));
    }

    @Test
    void shouldCountTheRunsOfJobsBeyondTheLabelLimitPerPluginUnderOther() throws Exception {
        // given: a limit of two jobs with series of their own, and runs of five jobs of one plugin
        Metrics metrics = new Metrics(2);
        RunHistory history = new RunHistory(metrics);
        for (int i = 0; i < 5; i++) {
            history.runFinished(run("ingest.feed-" + i, Duration.ZERO, Duration.ofMillis(5), 1, null));
        }

        // when: scraped
        List<JsonNode> samples = parse(render(metrics));

        // then: two jobs have their own series, the other three share their plugin's, and no run is lost
        assertThat(samples).filteredOn(s -> s.path("name").asText().equals("belfry_runs_total")
                        && s.path("labels").path("outcome").asText().equals("succeeded"))
                .extracting(s -> s.path("labels").path("belfry_job").asText() + "=" + s.path("value").asInt())
                .containsExactlyInAnyOrder("ingest.feed-0=1", "ingest.feed-1=1", "_other=3");
    }

    @Test
    void shouldEscapeWhatTheTextFormatForbidsInALabelValue() {
        // Job names cannot hold these today (QName allows letters, digits, '_' and '-'); the exposition must not
        // depend on that staying so.
        assertThat(PrometheusText.escape("a\"b\\c\nd")).isEqualTo("a\\\"b\\\\c\\nd");
    }

    private static double value(List<JsonNode> samples, String name, String job, String label, String labelValue) {
        return samples.stream().filter(s -> s.path("name").asText().equals(name))
                .filter(s -> s.path("labels").path("belfry_job").asText().equals(job))
                .filter(s -> label == null || s.path("labels").path(label).asText().equals(labelValue))
                .filter(s -> label != null || s.path("labels").size() == 2)
                .findFirst().orElseThrow(() -> new AssertionError("no sample " + name + " for " + job + " " + label
                        + "=" + labelValue + " in " + samples)).path("value").asDouble();
    }

    private static List<JsonNode> parse(String exposition) throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON) && new ProcessBuilder(PYTHON.toString(), "-c",
                "import prometheus_client.parser").start().waitFor() == 0,
                "Prometheus parser tests skipped: no python3-prometheus-client (apt-get install"
                        + " python3-prometheus-client)");
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", PARSE).redirectErrorStream(false).start();
        p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("the parser refused the exposition: %s%n%s", err, exposition).isZero();
        List<JsonNode> samples = new ArrayList<>();
        new ObjectMapper().readTree(out).forEach(samples::add);
        return samples;
    }
}
