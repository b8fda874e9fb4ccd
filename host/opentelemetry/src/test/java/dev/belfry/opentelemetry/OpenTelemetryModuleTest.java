package dev.belfry.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.internal.Seams;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.PluginJarBuilder;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's span with the OpenTelemetry SDK and its in-memory exporter: a plugin's job, loaded by its own class loader,
 * makes a span of its own and logs a line while it runs; its span is the run span's child and its line carries the
 * run's trace. The host is stepped with a fake clock, so nothing sleeps.
 */
class OpenTelemetryModuleTest {
    @TempDir
    Path data;
    @TempDir
    Path plugins;
    /** What the plugin's job logs, and the engine's line for its failing run. */
    @RegisterExtension
    final LogCapture log = LogCapture.ofNames("fetch.Job", Engine.class.getName()).atLevel(Level.INFO);

    private final FakeClock clock = FakeClock.at("2027-01-04T12:00:00Z");
    private final Deque<Runnable> runs = new ArrayDeque<>();
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private OpenTelemetrySdk sdk;
    private Host host;

    @BeforeEach
    void sdk() {
        sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()).build();
        // The plugin finds the application's SDK where plugin code does: GlobalOpenTelemetry.
        GlobalOpenTelemetry.resetForTest();
        GlobalOpenTelemetry.set(sdk);
    }

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
        GlobalOpenTelemetry.resetForTest();
        sdk.close();
    }

    /** A plugin built with the OpenTelemetry API shaded in, as one built against it with its dependencies would be. */
    private void plugin(boolean fails) throws Exception {
        PluginJarBuilder.plugin("fetch").bundle(jarOf(GlobalOpenTelemetry.class))
                .bundle(jarOf(io.opentelemetry.context.Context.class)).extension("fetch.Job", "package fetch;\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.Schedule;\n"
                + "import io.opentelemetry.api.GlobalOpenTelemetry;\n"
                + "import io.opentelemetry.api.trace.Span;\n"
                + "public class Job implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"pages\", Schedule.manual()).build(); }\n"
                + "  public void run(JobContext c) {\n"
                + "    Span span = GlobalOpenTelemetry.getTracer(\"fetch\").spanBuilder(\"GET /pages\").startSpan();\n"
                + "    span.end();\n"
                + "    org.slf4j.LoggerFactory.getLogger(\"fetch.Job\").info(\"fetched\");\n"
                + (fails ? "    throw new IllegalStateException(\"upstream 503\");\n" : "")
                + "  }\n"
                + "}\n").writeTo(plugins, "fetch.jar");
        host = Seams.steppedHosts().start(HostConfig.builder().dataDir(data).clock(clock).pluginsDir(plugins)
                .pluginScanInterval(Duration.ZERO).module(OpenTelemetryModule.of(sdk)).build(), runs::addLast);
    }

    private static Path jarOf(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private void runIt() {
        clock.advance(Duration.ofMillis(250));
        host.trigger("fetch.pages");
        Seams.steppedHosts().runDue(host);
        while (!runs.isEmpty()) {
            runs.pollFirst().run();
        }
    }

    private SpanData span(String name) {
        return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " in " + exporter.getFinishedSpanItems()));
    }

    @Test
    void shouldMakeAPluginsOwnSpanAndLogLineChildrenOfTheRunsSpanEvenWhenItBundlesTheApi() throws Exception {
        // given: a plugin, with its own copy of the OpenTelemetry API, whose job makes a span and logs a line
        plugin(false);

        // when: the job runs
        runIt();

        // then: the run has a root span with the job's attributes
        SpanData run = span("belfry.run fetch.pages");
        assertThat(run.getParentSpanId()).isEqualTo(SpanId.getInvalid());
        assertThat(run.getAttributes().get(AttributeKey.stringKey("belfry.job"))).isEqualTo("fetch.pages");
        assertThat(run.getAttributes().get(AttributeKey.stringKey("belfry.plugin"))).isEqualTo("fetch");
        assertThat(run.getAttributes().get(AttributeKey.longKey("belfry.attempt"))).isEqualTo(1L);
        assertThat(run.getAttributes().get(AttributeKey.stringKey("belfry.outcome"))).isEqualTo("succeeded");
        assertThat(run.getAttributes().get(AttributeKey.stringKey("belfry.scheduled_for"))).startsWith("2027-01-04T");
        assertThat(run.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        // and the plugin's own span, made through its own class loader, is the run span's child in its trace
        SpanData pluginSpan = span("GET /pages");
        assertThat(pluginSpan.getTraceId()).isEqualTo(run.getTraceId());
        assertThat(pluginSpan.getParentSpanId()).isEqualTo(run.getSpanId());
        // and the plugin's log line carries the run's trace and span ids
        assertThat(log.events()).filteredOn(e -> e.getLoggerName().equals("fetch.Job")).singleElement()
                .satisfies(e -> assertThat(e.getMDCPropertyMap()).containsEntry("trace_id", run.getTraceId())
                        .containsEntry("span_id", run.getSpanId()).containsEntry("belfry.job", "fetch.pages"));
    }

    @Test
    void shouldMarkTheSpanOfAFailedRunAsAnErrorWithItsException() throws Exception {
        // given: a plugin whose job throws after its span
        plugin(true);

        // when: the job runs
        runIt();

        // then: the run's span says it failed and holds the exception
        SpanData run = span("belfry.run fetch.pages");
        assertThat(run.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(run.getAttributes().get(AttributeKey.stringKey("belfry.outcome"))).isEqualTo("failed");
        assertThat(run.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
        List<String> failed = log.matching(Level.WARN, "of job fetch.pages (attempt 1) failed");
        assertThat(failed).hasSize(1);
    }
}
