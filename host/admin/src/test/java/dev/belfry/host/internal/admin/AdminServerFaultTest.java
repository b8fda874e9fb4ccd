package dev.belfry.host.internal.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.host.testing.LogCapture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The admin server under faults of its own process: no descriptor left to accept with, odd but common clients. */
class AdminServerFaultTest {
    @TempDir
    Path data;

    @RegisterExtension
    final LogCapture log = LogCapture.of(AdminServer.class).atLevel(Level.INFO);

    private AdminServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static AdminApi healthyApi() {
        AdminBackend backend = (AdminBackend) Proxy.newProxyInstance(AdminBackend.class.getClassLoader(),
                new Class<?>[] {AdminBackend.class}, (proxy, method, args) -> {
                    if (method.getName().equals("health")) {
                        return Map.of("status", "ok");
                    }
                    throw new UnsupportedOperationException(method.getName() + " is not in this test");
                });
        return new AdminApi(backend);
    }

    /** Sends raw bytes and reads the whole answer; a server that never answers fails the read after 5 s. */
    private String exchange(String request) throws IOException {
        String token = Files.readString(data.resolve(AdminServer.TOKEN_FILE)).strip();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(server.url().getHost(), server.url().getPort()), 5_000);
            s.setSoTimeout(5_000);
            s.getOutputStream().write(request.replace("TOKEN", token).getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            in.transferTo(got);
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void shouldKeepAnsweringAfterAcceptFailsForWantOfFileDescriptors() throws IOException {
        AtomicInteger failuresLeft = new AtomicInteger(3);
        server = AdminServer.start(data, 0, healthyApi(), AdminServer.Limits.DEFAULT, listener -> {
            if (failuresLeft.getAndDecrement() > 0) {
                throw new IOException("Too many open files");
            }
            return listener.accept();
        });

        String answer = exchange("GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer TOKEN\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 200 ").contains("\"status\":\"ok\"");
        assertThat(failuresLeft.get()).as("accept was tried again after each failure").isNegative();
        assertThat(log.matching(Level.WARN, "admin API cannot accept a connection")).hasSize(1)
                .allMatch(l -> l.contains("Too many open files"));
        log.assertLogged(Level.INFO, "admin API accepts connections again");
        assertThat(log.lines(Level.ERROR)).isEmpty();
        assertThat(exchange("GET /health HTTP/1.1\r\nAuthorization: Bearer TOKEN\r\n\r\n"))
                .as("a later request").startsWith("HTTP/1.1 200 ");
    }

    @Test
    void shouldTakeABareLineFeedForALineEnd() throws IOException {
        server = AdminServer.start(data, 0, healthyApi(), AdminServer.Limits.DEFAULT);

        long start = System.nanoTime();
        String answer = exchange("GET /health HTTP/1.1\nHost: x\nAuthorization: Bearer TOKEN\n\n");

        assertThat(answer).startsWith("HTTP/1.1 200 ").contains("\"status\":\"ok\"");
        assertThat(System.nanoTime() - start).as("answered without waiting for the request timeout")
                .isLessThan(AdminServer.Limits.DEFAULT.requestTimeout().toNanos() / 2);
        assertThat(exchange("GET /health HTTP/1.1\r\nAuthorization: Bearer TOKEN\n\r\n"))
                .as("mixed line ends").startsWith("HTTP/1.1 200 ");
    }

    @Test
    void shouldFindTheEndOfAHeadWithAnyMixOfLfAndCrLf() {
        assertThat(AdminServer.headEnd("GET / HTTP/1.1\r\n\r\nbody".getBytes(StandardCharsets.US_ASCII))).isEqualTo(18);
        assertThat(AdminServer.headEnd("GET / HTTP/1.1\n\nbody".getBytes(StandardCharsets.US_ASCII))).isEqualTo(16);
        assertThat(AdminServer.headEnd("GET / HTTP/1.1\r\nA: b\r\n".getBytes(StandardCharsets.US_ASCII))).isEqualTo(-1);
        assertThat(AdminServer.headEnd("GET / HTTP/1.1\r\n\r".getBytes(StandardCharsets.US_ASCII))).isEqualTo(-1);
    }

    @Test
    void shouldStripAHeadsClosingLineEndsInOnePassAndAnswerAHeaderOfBareCarriageReturns() throws IOException {
        byte[] head = ("GET / HTTP/1.1\r\nX: \r\r\r\n\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(AdminServer.withoutTrailingLineEnds(head, head.length)).isEqualTo(19); // up to "X: "
        assertThat(AdminServer.withoutTrailingLineEnds(head, 3)).isEqualTo(3);
        server = AdminServer.start(data, 0, healthyApi(), AdminServer.Limits.DEFAULT);

        // Before the token is checked: what an anonymous local user can send (a regular expression took seconds).
        String answer = exchange("GET /health HTTP/1.1\nX: " + "\r".repeat(15_000) + "x\n\n");

        assertThat(answer).startsWith("HTTP/1.1 401 ");
        assertThat(exchange("GET /health HTTP/1.1\r\nAuthorization: Bearer TOKEN\r\n\r\n")).startsWith("HTTP/1.1 200 ");
    }
}
