package dev.belfry.host.internal.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.belfry.host.internal.state.SmallFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API: HTTP with JSON on 127.0.0.1 only, every request authenticated with a bearer token that is made
 * at start and written to {@code <data>/admin.token} (mode 0600); the URL goes to {@code <data>/admin.url}, which is
 * how the CLI finds a running host. Bad input gets a 4xx with a one-line JSON error and changes nothing; a stack
 * trace never leaves the server.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    /** The file holding the token. */
    public static final String TOKEN_FILE = "admin.token";
    /** The file holding the URL. */
    public static final String URL_FILE = "admin.url";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService threads;
    private final byte[] token;
    private final Path dataDir;
    private final URI url;

    private AdminServer(HttpServer server, ExecutorService threads, byte[] token, Path dataDir, URI url) {
        this.server = server;
        this.threads = threads;
        this.token = token;
        this.dataDir = dataDir;
        this.url = url;
    }

    /**
     * Starts the server and writes the token and URL files.
     *
     * @param dataDir the data directory
     * @param port    the port on 127.0.0.1; 0 picks a free one
     * @param api     answers the requests
     * @return the running server
     * @throws IOException if the port cannot be bound or the files written
     */
    public static AdminServer start(Path dataDir, int port, AdminApi api) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "belfry-admin");
            t.setDaemon(true);
            return t;
        });
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        AdminServer admin = new AdminServer(server, threads, token.getBytes(StandardCharsets.US_ASCII), dataDir, url);
        server.createContext("/", exchange -> admin.handle(exchange, api));
        server.setExecutor(threads);
        SmallFiles.writeAtomically(dataDir.resolve(TOKEN_FILE), token + "\n", true);
        SmallFiles.writeAtomically(dataDir.resolve(URL_FILE), url + "\n", false);
        server.start();
        log.info("admin API at {} (token in {})", url, dataDir.resolve(TOKEN_FILE));
        return admin;
    }

    /** @return the server's URL */
    public URI url() {
        return url;
    }

    private void handle(HttpExchange exchange, AdminApi api) throws IOException {
        try (exchange) {
            if (!authorized(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"belfry\"");
                send(exchange, 401, Map.of("error", "missing or wrong bearer token (see " + TOKEN_FILE
                        + " in the host's data directory)"));
                return;
            }
            AdminApi.Response response;
            try {
                response = api.handle(exchange.getRequestMethod(), exchange.getRequestURI(),
                        exchange.getRequestBody().readAllBytes());
            } catch (AdminApi.ApiException e) {
                response = new AdminApi.Response(e.status(), Map.of("error", e.getMessage()));
            } catch (RuntimeException e) {
                log.error("admin request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                response = new AdminApi.Response(500, Map.of("error", "internal error: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage().replaceAll("[\\r\\n]+", " "))));
            }
            if (response.body() instanceof String text) {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(response.status(), bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            } else {
                send(exchange, response.status(), response.body());
            }
        }
    }

    private boolean authorized(String header) {
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        // Constant-time comparison: the token must not leak through response timing.
        return MessageDigest.isEqual(token, header.substring("Bearer ".length()).strip()
                .getBytes(StandardCharsets.US_ASCII));
    }

    private static void send(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops the server and removes the URL file, so the CLI can tell the host is not running. */
    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        try {
            Files.deleteIfExists(dataDir.resolve(URL_FILE));
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", dataDir.resolve(URL_FILE), e.getMessage());
        }
    }
}
