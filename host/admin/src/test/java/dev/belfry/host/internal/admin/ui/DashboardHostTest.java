package dev.belfry.host.internal.admin.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.admin.AdminModule;
import dev.belfry.host.internal.admin.AdminServer;
import dev.belfry.host.testing.Eventually;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard of a real host running the hello-jobs example plugin: live events, the host's own refusals. */
class DashboardHostTest {
    private static final Path EXAMPLES = Path.of(System.getProperty("belfry.examplePlugins", "target/example-plugins"));
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path data;
    @TempDir
    static Path plugins;

    private static Host host;
    private static URI base;

    @BeforeAll
    static void startHost() throws IOException {
        Files.copy(EXAMPLES.resolve("hello-jobs.jar"), plugins.resolve("hello-jobs.jar"));
        host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO).build());
        base = URI.create(Files.readString(data.resolve(AdminServer.URL_FILE)).strip());
    }

    @AfterAll
    static void stopHost() {
        host.close();
    }

    private static Browser operator() throws Exception {
        String token = Files.readString(data.resolve(AdminServer.TOKEN_FILE)).strip();
        HttpResponse<String> code = HTTP.send(HttpRequest.newBuilder(base.resolve("/ui/codes"))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        Browser b = new Browser(base);
        b.login(code.body().replaceAll(".*\"url\":\"([^\"]+)\".*", "$1"));
        return b;
    }

    @Test
    void shouldPushARunOfATriggeredJobToAnOpenEventStream() throws Exception {
        Browser browser = operator();
        List<String> lines = new CopyOnWriteArrayList<>();
        HttpResponse<Stream<String>> stream = HTTP.send(HttpRequest.newBuilder(base.resolve("/ui/events"))
                .header("Cookie", browser.cookie).GET().build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        Thread reader = new Thread(() -> {
            try {
                stream.body().forEach(lines::add);
            } catch (java.io.UncheckedIOException e) {
                // the stream ends when the test closes it
            }
        }, "test-event-reader");
        reader.setDaemon(true);
        reader.start();
        Eventually.await(Duration.ofSeconds(10), () -> lines.contains(": open"), () -> "the stream's opening");

        browser.get("/ui/jobs/hello-jobs.say-hello/confirm?action=trigger");
        HttpResponse<String> trigger = browser.post("/ui/jobs/hello-jobs.say-hello/trigger", "csrf=" + browser.csrf());

        assertThat(trigger.statusCode()).isEqualTo(303);
        Eventually.await(Duration.ofSeconds(10), () -> lines.stream().anyMatch(l ->
                l.equals("data: {\"job\":\"hello-jobs.say-hello\",\"detail\":\"succeeded\"}")),
                () -> "the run's end in the event stream, got " + lines);
        assertThat(lines).contains("event: run");
        assertThat(browser.get("/ui/jobs/hello-jobs.say-hello").body()).contains("id=\"runs\"")
                .contains("succeeded").contains("id=\"policies\"").contains("the fire is skipped");
        stream.body().close();
    }

    @Test
    void shouldShowTheHostsReasonWhenItRefusesToTriggerACancelledJob() throws Exception {
        Browser browser = operator();
        browser.get("/ui/jobs/hello-jobs.greeting/confirm?action=cancel");
        assertThat(browser.post("/ui/jobs/hello-jobs.greeting/cancel", "csrf=" + browser.csrf()).statusCode())
                .isEqualTo(303);
        browser.get("/ui/jobs/hello-jobs.greeting/confirm?action=trigger");

        HttpResponse<String> r = browser.post("/ui/jobs/hello-jobs.greeting/trigger", "csrf=" + browser.csrf());

        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.body()).contains("id=\"refusal\"")
                .contains("The host refused to trigger hello-jobs.greeting: job hello-jobs.greeting cannot run: it is"
                        + " cancelled");
    }

    @Test
    void shouldDrawTheHostsPluginsAndJobsWithTheGraphMirrorOff() throws Exception {
        Browser browser = operator();

        String overview = browser.get("/ui/").body();
        String graph = browser.get("/ui/graph").body();

        assertThat(overview).contains("id=\"health-graph\"").contains("id=\"chart-hour\"").contains("id=\"due\"");
        assertThat(graph).contains("<svg id=\"graph\"").contains("data-plugin=\"hello-jobs\"")
                .contains("hello-jobs.heartbeat");
    }
}
