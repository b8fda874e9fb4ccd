package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.internal.admin.AdminApi;
import dev.belfry.host.internal.admin.AdminServer;
import dev.belfry.host.internal.state.DataDirLock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unauthenticated clients that connect and send nothing, or trickle their request, must not keep {@code belfry
 * status} from its answer, and are cut after a bounded time (issue 15, item 3).
 */
class AdminLockoutTest {
    @TempDir
    Path data;

    private AdminServer server;
    /** The CLI talks only to a host that holds its data directory. */
    private DataDirLock lock;
    private final List<Socket> slow = new ArrayList<>();
    private final ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService cli = Executors.newSingleThreadExecutor();

    @BeforeEach
    void holdTheDataDirectory() throws IOException {
        lock = DataDirLock.acquire(data);
    }

    @AfterEach
    void stop() throws IOException {
        lock.close();
        trickle.shutdownNow();
        cli.shutdownNow();
        for (Socket s : slow) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void shouldAnswerStatusWithinASecondWhileFiftySlowClientsHoldConnections() throws Exception {
        // Timeout far beyond the test: status must answer because slow clients hold no answering thread, not
        // because they were cut.
        server = AdminServer.start(data, 0, new AdminApi(new FakeAdminBackend("ok")),
                new AdminServer.Limits(Duration.ofSeconds(60), 256, 16 * 1024, 64 * 1024));
        assertThat(status().code).as("status before the slow clients").isZero(); // loads the CLI's classes

        for (int i = 0; i < 50; i++) {
            Socket s = connect();
            slow.add(s);
            s.getOutputStream()
                    .write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        trickle.scheduleAtFixedRate(() -> {
            for (Socket s : slow) {
                try {
                    s.getOutputStream().write('X');
                } catch (IOException ignored) {
                    // a cut client is no longer trickling
                }
            }
        }, 0, 100, TimeUnit.MILLISECONDS);

        for (int round = 0; round < 3; round++) {
            long start = System.nanoTime();
            Result r = status();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(r.code).as("exit code; stderr: %s", r.err).isZero();
            assertThat(r.out).contains("host", "ok", "engine");
            assertThat(took).as("status with 50 slow clients connected").isLessThan(Duration.ofSeconds(1));
        }
        assertThat(slow).as("the slow clients are still connected").allMatch(s -> !s.isClosed());
    }

    @Test
    void shouldCutIdleAndTricklingClientsAfterTheRequestTimeout() throws Exception {
        Duration timeout = Duration.ofMillis(300);
        server = AdminServer.start(data, 0, new AdminApi(new FakeAdminBackend("ok")),
                new AdminServer.Limits(timeout, 256, 16 * 1024, 64 * 1024));
        Socket idle = connect();
        Socket trickling = connect();
        slow.add(idle);
        slow.add(trickling);
        trickling.getOutputStream().write("GET /health HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
        trickle.scheduleAtFixedRate(() -> {
            try {
                trickling.getOutputStream().write('X');
            } catch (IOException ignored) {
                // cut
            }
        }, 0, 20, TimeUnit.MILLISECONDS);

        long start = System.nanoTime();
        String idleGot = readUntilClosed(idle);
        String tricklingGot = readUntilClosed(trickling);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(idleGot).startsWith("HTTP/1.1 408 ");
        assertThat(tricklingGot).startsWith("HTTP/1.1 408 ")
                .contains("{\"error\":\"request not received within 300 ms\"}");
        assertThat(took).isGreaterThanOrEqualTo(timeout.minusMillis(50)).isLessThan(Duration.ofSeconds(3));
        assertThat(status().code).as("a real request after the cut").isZero();
    }

    @Test
    void shouldLetStatusInWhenIdleClientsFillEveryConnectionSlot() throws Exception {
        server = AdminServer.start(data, 0, new AdminApi(new FakeAdminBackend("ok")),
                new AdminServer.Limits(Duration.ofSeconds(60), 8, 16 * 1024, 64 * 1024));
        for (int i = 0; i < 20; i++) {
            slow.add(connect());
        }
        Result r = status();
        assertThat(r.code).as("stderr: %s", r.err).isZero();
        assertThat(r.out).contains("ok");
    }

    @Test
    void shouldRefuseAnUnauthenticatedRequestWithoutReadingItsBodyAndStillAnswer() throws Exception {
        server = AdminServer.start(data, 0, new AdminApi(new FakeAdminBackend("ok")), AdminServer.Limits.DEFAULT);
        Socket s = connect();
        slow.add(s);
        OutputStream out = s.getOutputStream();
        out.write(("POST /jobs/a.b/trigger HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[1000]);
        String got = readUntilClosed(s);
        assertThat(got).startsWith("HTTP/1.1 401 ").contains("WWW-Authenticate: Bearer");
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(server.url().getHost(), server.url().getPort()), 2_000);
        s.setSoTimeout(5_000);
        return s;
    }

    private static String readUntilClosed(Socket s) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        try {
            in.transferTo(got);
        } catch (SocketException e) {
            // reset after the answer
        }
        return got.toString(StandardCharsets.UTF_8);
    }

    private record Result(int code, String out, String err) {
    }

    /** Runs {@code belfry status}; bounded, so the old server's lock-out fails the test instead of hanging it. */
    private Result status() throws Exception {
        CompletableFuture<Result> f = CompletableFuture.supplyAsync(() -> {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true),
                    "status", "--data", data.toString());
            return new Result(code, out.toString(), err.toString());
        }, cli);
        return f.get(10, TimeUnit.SECONDS);
    }
}
