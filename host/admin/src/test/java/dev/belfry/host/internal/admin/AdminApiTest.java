package dev.belfry.host.internal.admin;

import dev.belfry.host.admin.AdminModule;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.api.QName;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.JobView;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API over real HTTP, against a real host running the hello-jobs example plugin. */
class AdminApiTest {
    private static final Path EXAMPLES = Path.of(System.getProperty("belfry.examplePlugins", "target/example-plugins"));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path data;
    @TempDir
    static Path plugins;

    private static Host host;
    private static URI base;
    private static String token;

    @BeforeAll
    static void startHost() throws IOException {
        Files.copy(EXAMPLES.resolve("hello-jobs.jar"), plugins.resolve("hello-jobs.jar"));
        host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO).build());
        base = URI.create(Files.readString(data.resolve(AdminServer.URL_FILE)).strip());
        token = Files.readString(data.resolve(AdminServer.TOKEN_FILE)).strip();
    }

    @AfterAll
    static void stopHost() {
        host.close();
    }

    private static HttpResponse<String> call(String method, String path, String bearer, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return call("GET", path, token, null);
    }

    private static HttpResponse<String> post(String path) throws Exception {
        return call("POST", path, token, null);
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    private static JobView.Status status(String qname) {
        return host.job(QName.parse(qname)).orElseThrow().status();
    }

    @Test
    void shouldListenOnLoopbackAndKeepTheTokenOwnerOnly() throws IOException {
        assertThat(base.getHost()).isEqualTo("127.0.0.1");
        assertThat(Files.getPosixFilePermissions(data.resolve(AdminServer.TOKEN_FILE)))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void shouldAnswer401AndChangeNothingWithoutTheRightToken() throws Exception {
        long runsBefore = host.job(QName.parse("hello-jobs.say-hello")).orElseThrow().runCount();

        HttpResponse<String> none = call("POST", "/jobs/hello-jobs.say-hello/trigger", null, null);
        HttpResponse<String> wrong = call("POST", "/jobs/hello-jobs.say-hello/trigger", "not-the-token", null);
        HttpResponse<String> read = call("GET", "/jobs", token + "x", null);

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(read.statusCode()).isEqualTo(401);
        assertThat(json(wrong).get("error").asText()).contains("bearer token");
        assertThat(host.job(QName.parse("hello-jobs.say-hello")).orElseThrow().runCount()).isEqualTo(runsBefore);
    }

    @Test
    void shouldReportHealth() throws Exception {
        HttpResponse<String> r = get("/health");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode h = json(r);
        assertThat(h.get("status").asText()).isEqualTo("ok");
        assertThat(h.get("engine").get("jobs").asInt()).isEqualTo(3);
        assertThat(h.get("sidecar").get("healthy").asBoolean()).isTrue();
    }

    @Test
    void shouldListJobsFilteredByPluginAndStatus() throws Exception {
        JsonNode all = json(get("/jobs"));
        JsonNode idle = json(get("/jobs?status=idle"));
        JsonNode other = json(get("/jobs?plugin=someone-else"));

        assertThat(all).extracting(j -> j.get("qname").asText())
                .contains("hello-jobs.greeting", "hello-jobs.heartbeat", "hello-jobs.say-hello");
        assertThat(idle).extracting(j -> j.get("qname").asText()).containsExactly("hello-jobs.say-hello");
        assertThat(other).isEmpty();
        JsonNode greeting = all.get(0);
        assertThat(greeting.get("schedule").asText()).isEqualTo("cron * * * * * UTC");
        assertThat(greeting.has("next_fire_at")).isTrue();
    }

    @Test
    void shouldTriggerAJobAndShowItsRun() throws Exception {
        HttpResponse<String> r = post("/jobs/hello-jobs.say-hello/trigger");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).get("result").asText()).isEqualTo("started");
        Eventually.await(Duration.ofSeconds(10), () -> {
            try {
                JsonNode job = json(get("/jobs/hello-jobs.say-hello"));
                return job.has("runs") && job.get("runs").size() >= 1;
            } catch (Exception e) {
                return false;
            }
        }, () -> "the triggered run in the job's runs");
        JsonNode run = json(get("/jobs/hello-jobs.say-hello")).get("runs").get(0);
        assertThat(run.get("success").asBoolean()).isTrue();
        assertThat(run.get("attempt").asInt()).isEqualTo(1);
    }

    @Test
    void shouldPauseResumeAndCancelAJob() throws Exception {
        assertThat(post("/jobs/hello-jobs.greeting/pause").statusCode()).isEqualTo(200);
        assertThat(status("hello-jobs.greeting")).isEqualTo(JobView.Status.PAUSED);

        assertThat(post("/jobs/hello-jobs.greeting/resume").statusCode()).isEqualTo(200);
        assertThat(status("hello-jobs.greeting")).isEqualTo(JobView.Status.SCHEDULED);

        assertThat(json(post("/jobs/hello-jobs.greeting/cancel")).get("result").asText()).isEqualTo("cancelled");
        assertThat(status("hello-jobs.greeting")).isEqualTo(JobView.Status.CANCELLED);
        assertThat(post("/jobs/hello-jobs.greeting/resume").statusCode()).isEqualTo(200);
        assertThat(status("hello-jobs.greeting")).isEqualTo(JobView.Status.SCHEDULED);
    }

    @Test
    void shouldRefuseBadRequestsWithOneLineJsonAndNoChange() throws Exception {
        JobView.Status before = status("hello-jobs.heartbeat");

        assertError(get("/jobs/hello-jobs.nope"), 404, "no job named hello-jobs.nope");
        assertError(get("/jobs/not%20a%20qname"), 400, "invalid job qname");
        assertError(get("/jobs?status=exploded"), 400, "status:");
        assertError(get("/jobs?colour=red"), 400, "unknown query parameter: colour");
        assertError(get("/jobs/hello-jobs.heartbeat/pause"), 405, "GET is not allowed");
        assertError(call("POST", "/jobs/hello-jobs.heartbeat/pause", token, "{\"now\": true"), 400, "no request body");
        assertError(post("/jobs/hello-jobs.heartbeat/explode"), 404, "no such job operation: explode");
        assertError(post("/jobs/hello-jobs.nope/trigger"), 404, "no job named");
        assertError(call("DELETE", "/jobs", token, null), 405, "DELETE is not allowed");
        assertError(get("/nothing/here"), 404, "no such endpoint");
        assertError(post("/plugins/nope/reload"), 404, "no plugin named nope");
        assertThat(post("/jobs/hello-jobs.say-hello/cancel").statusCode()).isEqualTo(200);
        assertError(post("/jobs/hello-jobs.say-hello/trigger"), 409, "cannot run: it is cancelled");
        assertThat(post("/jobs/hello-jobs.say-hello/resume").statusCode()).isEqualTo(200);

        assertThat(status("hello-jobs.heartbeat")).isEqualTo(before);
    }

    private static void assertError(HttpResponse<String> r, int status, String message) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.body()).doesNotContain("\n").doesNotContain("\tat ");
        assertThat(json(r).get("error").asText()).contains(message);
    }

    @Test
    void shouldListPluginsWithTheirJobsAndReloadOne() throws Exception {
        JsonNode list = json(get("/plugins"));

        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("id").asText()).isEqualTo("hello-jobs");
        assertThat(list.get(0).get("jobs")).hasSize(3);

        HttpResponse<String> reload = post("/plugins/hello-jobs/reload");
        assertThat(reload.statusCode()).isEqualTo(200);
        assertThat(host.plugins()).containsExactly("hello-jobs");
        assertThat(status("hello-jobs.say-hello")).isNotEqualTo(JobView.Status.ORPHANED);
    }

    @Test
    void shouldOfferTheSameMetricsOverJmx() throws Exception {
        var server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        var name = new javax.management.ObjectName("dev.belfry:type=Host,data="
                + javax.management.ObjectName.quote(data.toAbsolutePath().toString()));

        assertThat(server.isRegistered(name)).isTrue();
        assertThat((Long) server.getAttribute(name, "SidecarCommitsTotal")).isGreaterThanOrEqualTo(0L);
        var byStatus = (javax.management.openmbean.TabularData) server.getAttribute(name, "JobsByStatus");
        assertThat(byStatus.size()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void shouldServePrometheusMetrics() throws Exception {
        HttpResponse<String> r = get("/metrics");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(r.body()).contains("# TYPE belfry_jobs gauge").contains("belfry_jobs{status=\"scheduled\"}")
                .contains("# TYPE belfry_fire_lag_seconds histogram").contains("belfry_sidecar_commits_total");
    }

    @Test
    void shouldAnswerTheProbesWithoutATokenAndNothingElse() throws Exception {
        HttpResponse<String> live = call("GET", "/livez", null, null);
        HttpResponse<String> ready = call("GET", "/readyz", null, null);

        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).isEqualTo("ok\n");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
        // Only the two probes, read-only, as they are: anything else still needs the token.
        assertThat(call("GET", "/readyz?verbose=1", null, null).statusCode()).isEqualTo(401);
        assertThat(call("POST", "/readyz", null, null).statusCode()).isEqualTo(401);
        assertThat(call("GET", "/health", null, null).statusCode()).isEqualTo(401);
    }
}
