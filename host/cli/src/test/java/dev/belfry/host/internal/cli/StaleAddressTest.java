package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.belfry.host.internal.admin.AdminApi;
import dev.belfry.host.internal.admin.AdminServer;
import dev.belfry.host.internal.graph.EmbeddedGraph;
import dev.belfry.host.internal.state.DataDirLock;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI sends a secret from the data directory (admin token, graph password) only to an address the host that
 * holds the directory wrote: after a stop or a kill -9 the old port may belong to anyone (issue 15, security).
 */
class StaleAddressTest {
    @TempDir
    Path data;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    /** Whoever listens on the old port; it must never be called. */
    private ServerSocketChannel listener;

    @BeforeEach
    void listen() throws IOException {
        listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        listener.configureBlocking(false);
    }

    @AfterEach
    void close() throws IOException {
        listener.close();
    }

    private int port() throws IOException {
        return ((InetSocketAddress) listener.getLocalAddress()).getPort();
    }

    private int belfry(String... args) {
        return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private void leaveAdminFiles() throws IOException {
        Files.writeString(data.resolve(AdminServer.URL_FILE), "http://127.0.0.1:" + port() + "\n");
        Files.writeString(data.resolve(AdminServer.TOKEN_FILE), "the-token\n");
    }

    private void leaveGraphFiles() throws IOException {
        Path graph = Files.createDirectories(data.resolve("graph"));
        Files.writeString(graph.resolve(EmbeddedGraph.BOLT_URL_FILE), "bolt://127.0.0.1:" + port() + "\n");
        Files.writeString(graph.resolve(EmbeddedGraph.CREDENTIALS_FILE), "user=neo4j\npassword=the-password\n");
    }

    private void assertNobodyWasCalled() throws IOException {
        assertThat(listener.accept()).as("a connection to the old port").isNull();
    }

    @Test
    void shouldNotSendTheAdminTokenWhenAKilledHostLeftItsAddress() throws IOException {
        // given what a host killed with -9 leaves: its address, its token and a lock file naming a live process
        leaveAdminFiles();
        Path system = Files.createDirectories(data.resolve("_system"));
        Files.writeString(system.resolve(DataDirLock.FILE), "pid " + ProcessHandle.current().pid() + "\n");

        for (String[] command : new String[][] {{"status"}, {"jobs", "list"}}) {
            String[] args = new String[command.length + 2];
            System.arraycopy(command, 0, args, 0, command.length);
            args[command.length] = "--data";
            args[command.length + 1] = data.toString();

            assertThat(belfry(args)).as("%s: %s", String.join(" ", command), err).isEqualTo(BelfryCli.EXIT_NOT_RUNNING);
        }

        assertThat(err.toString()).contains("no Belfry host is running on data directory " + data);
        assertNobodyWasCalled();
    }

    @Test
    void shouldNotSendTheGraphPasswordWhenNoHostHoldsTheDataDirectory() throws IOException {
        leaveGraphFiles();

        int code = belfry("query", "RETURN 1", "--data", data.toString());

        assertThat(code).as("stderr: %s", err).isEqualTo(BelfryCli.EXIT_NOT_RUNNING);
        assertThat(err.toString()).contains("no Belfry host is running on data directory " + data);
        assertNobodyWasCalled();
    }

    @Test
    void shouldNotSendTheGraphPasswordToAnAddressLeftByAnEarlierRun() throws IOException {
        // given a host that has just taken the directory and not yet started its graph: bolt.url is the last run's
        leaveGraphFiles();
        Path boltUrl = data.resolve("graph").resolve(EmbeddedGraph.BOLT_URL_FILE);
        Files.setLastModifiedTime(boltUrl, FileTime.from(Instant.now().minusSeconds(3600)));

        int code;
        try (DataDirLock held = DataDirLock.acquire(data)) {
            code = belfry("query", "RETURN 1", "--data", data.toString());
        }

        assertThat(code).as("stderr: %s", err).isEqualTo(BelfryCli.EXIT_NOT_RUNNING);
        assertThat(err.toString()).doesNotContain("the-password");
        assertNobodyWasCalled();
    }

    @Test
    void shouldNotSendATokenFromADataDirectoryOthersMayWrite() throws IOException {
        Assumptions.assumeTrue(data.getFileSystem().supportedFileAttributeViews().contains("posix"));
        int code;
        try (DataDirLock held = DataDirLock.acquire(data)) {
            leaveAdminFiles();
            Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxrwxrwx"));

            code = belfry("status", "--data", data.toString());
        }

        assertThat(code).isEqualTo(BelfryCli.EXIT_FAILED);
        assertThat(err.toString().lines()).singleElement().asString().isEqualTo("belfry: refusing data directory "
                + data + ": " + data + " is writable by group or others (rwxrwxrwx); chmod 700 it");
        assertNobodyWasCalled();
    }

    @Test
    void shouldNotReadAndSendATokenThroughALink() throws IOException {
        // given another directory's token linked in as this one's: the CLI would read it and send it to this address
        Path elsewhere = Files.writeString(data.resolveSibling(data.getFileName() + "-other-token"), "other-token\n");
        int code;
        try (DataDirLock held = DataDirLock.acquire(data)) {
            Files.writeString(data.resolve(AdminServer.URL_FILE), "http://127.0.0.1:" + port() + "\n");
            Files.createSymbolicLink(data.resolve(AdminServer.TOKEN_FILE), elsewhere);

            code = belfry("jobs", "list", "--data", data.toString());
        } finally {
            Files.deleteIfExists(data.resolve(AdminServer.TOKEN_FILE));
        }
        Files.delete(elsewhere);

        assertThat(code).isEqualTo(BelfryCli.EXIT_FAILED);
        assertThat(err.toString()).contains(data.resolve(AdminServer.TOKEN_FILE) + " is a symbolic link");
        assertNobodyWasCalled();
    }

    @Test
    void shouldKeepTheAdminAddressToTheOwnerAndRemoveItAtAStop() throws IOException {
        Assumptions.assumeTrue(data.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path url = data.resolve(AdminServer.URL_FILE);
        try (AdminServer server = AdminServer.start(data, 0, new AdminApi(new FakeAdminBackend("ok")))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(url))).isEqualTo("rw-------");
        }
        assertThat(url).doesNotExist();
    }

    @Test
    void shouldNameWhatIsMissingWhenTheAnswerIsNotAHealthReport() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try (DataDirLock held = DataDirLock.acquire(data)) {
            Files.writeString(data.resolve(AdminServer.URL_FILE), "http://127.0.0.1:" + server.getAddress().getPort());
            Files.writeString(data.resolve(AdminServer.TOKEN_FILE), "the-token\n");

            int code = belfry("status", "--data", data.toString());

            assertThat(code).isEqualTo(BelfryCli.EXIT_FAILED);
            assertThat(err.toString().lines()).singleElement().asString()
                    .isEqualTo("belfry: the host's answer to GET /health has no sidecar.healthy (is it a Belfry host of"
                            + " the same version?)");
            assertThat(out.toString()).isEmpty();
        } finally {
            server.stop(0);
        }
    }
}
