package dev.belfry.host.reliability.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalDouble;

/** Asks a running host's admin API, found as an operator would: {@code <data>/admin.url} and {@code admin.token}. */
final class AdminProbe {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final String token;

    AdminProbe(Path data) throws IOException {
        this.base = URI.create(Files.readString(data.resolve("admin.url")).strip());
        this.token = Files.readString(data.resolve("admin.token")).strip();
    }

    /** @return the {@code sidecar} object of {@code GET /health} */
    JsonNode sidecarHealth() throws IOException, InterruptedException {
        return JSON.readTree(get("/health")).get("sidecar");
    }

    /**
     * @param name a metric without labels
     * @return its value in {@code GET /metrics}, if present
     */
    OptionalDouble metric(String name) throws IOException, InterruptedException {
        for (String line : get("/metrics").split("\n")) {
            if (line.startsWith(name + " ")) {
                return OptionalDouble.of(Double.parseDouble(line.substring(name.length() + 1).strip()));
            }
        }
        return OptionalDouble.empty();
    }

    private String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve(path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }
}
