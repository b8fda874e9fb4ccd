package dev.belfry.host.internal.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.admin.AdminModule;
import dev.belfry.host.testing.Eventually;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runs the admin API shows (and {@code belfry jobs show} prints) are still there after a restart. */
class AdminRunHistoryTest {
    private static final Path EXAMPLES = Path.of(System.getProperty("belfry.examplePlugins", "target/example-plugins"));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String JOB = "/jobs/hello-jobs.say-hello";

    @TempDir
    Path data;
    @TempDir
    Path plugins;

    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private void start() {
        host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO).build());
    }

    private HttpResponse<String> call(String method, String path) throws Exception {
        URI base = URI.create(Files.readString(data.resolve(AdminServer.URL_FILE)).strip());
        String token = Files.readString(data.resolve(AdminServer.TOKEN_FILE)).strip();
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + token)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode runs() throws Exception {
        JsonNode runs = JSON.readTree(call("GET", JOB).body()).get("runs");
        return runs == null ? JSON.createArrayNode() : runs;
    }

    @Test
    void shouldShowTheRunsOfTheLastLifeAfterARestart() throws Exception {
        Files.copy(EXAMPLES.resolve("hello-jobs.jar"), plugins.resolve("hello-jobs.jar"));
        start();
        assertThat(call("POST", JOB + "/trigger").statusCode()).isEqualTo(200);
        Eventually.await(Duration.ofSeconds(10), () -> {
            try {
                return runs().size() >= 1;
            } catch (Exception e) {
                return false;
            }
        }, () -> "the triggered run in the job's runs");
        JsonNode before = runs();
        host.close();
        host = null;

        start();
        JsonNode after = runs();

        assertThat(after).as("runs after the restart").isEqualTo(before);
        assertThat(after.get(0).get("success").asBoolean()).isTrue();
    }

    @Test
    void shouldShowNoRunsWhenTheJobHasNotRun() throws Exception {
        Files.copy(EXAMPLES.resolve("hello-jobs.jar"), plugins.resolve("hello-jobs.jar"));
        start();

        assertThat(runs()).isEmpty();
    }
}
