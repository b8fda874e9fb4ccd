package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.internal.admin.AdminApi;
import dev.belfry.host.internal.admin.AdminServer;
import dev.belfry.host.internal.admin.ui.Dashboard;
import dev.belfry.host.internal.admin.ui.EventHub;
import dev.belfry.host.internal.admin.ui.MinuteCounts;
import dev.belfry.host.internal.state.DataDirLock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code belfry dashboard} prints a login link that logs a browser in once, as operator or viewer. */
class DashboardCommandTest {
    @TempDir
    Path data;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final HttpClient http = HttpClient.newHttpClient();

    private String[] run(String... args) throws Exception {
        FakeAdminBackend host = new FakeAdminBackend("ok");
        try (DataDirLock held = DataDirLock.acquire(data);
             EventHub events = new EventHub();
             AdminServer server = AdminServer.start(data, 0, new AdminApi(host), new Dashboard(host,
                     Clock.systemUTC(), new MinuteCounts(), events, Dashboard.writeViewerToken(data)),
                     AdminServer.Limits.DEFAULT)) {
            int code = BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true),
                    args);
            assertThat(code).as("stderr: %s", err).isZero();
            String url = out.toString().lines().findFirst().orElseThrow();
            HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            String cookie = login.headers().firstValue("Set-Cookie").orElse("");
            String page = cookie.isEmpty() ? "" : http.send(HttpRequest.newBuilder(server.url().resolve("/ui/"))
                    .header("Cookie", cookie.substring(0, cookie.indexOf(';'))).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return new String[] {url, Integer.toString(login.statusCode()), Integer.toString(again.statusCode()),
                    page};
        }
    }

    @Test
    void shouldPrintAOneTimeOperatorLink() throws Exception {
        String[] r = run("dashboard", "--no-browser", "--data", data.toString());

        assertThat(r[0]).matches("http://127\\.0\\.0\\.1:\\d+/ui/login\\?code=[A-Za-z0-9_-]{43}");
        assertThat(out.toString()).contains("as operator; it works once");
        assertThat(r[1]).isEqualTo("303");
        assertThat(r[2]).isEqualTo("401");
        assertThat(r[3]).contains(">operator</span>");
    }

    @Test
    void shouldLogInReadOnlyWithTheViewerTokenAlone() throws Exception {
        // Someone given only the viewer token: the admin token is not there to read.
        String[] r;
        Path admin = data.resolve(AdminServer.TOKEN_FILE);
        FakeAdminBackend host = new FakeAdminBackend("ok");
        try (DataDirLock held = DataDirLock.acquire(data);
             EventHub events = new EventHub();
             AdminServer server = AdminServer.start(data, 0, new AdminApi(host), new Dashboard(host,
                     Clock.systemUTC(), new MinuteCounts(), events, Dashboard.writeViewerToken(data)),
                     AdminServer.Limits.DEFAULT)) {
            Files.delete(admin);
            int code = BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true),
                    "dashboard", "--viewer", "--no-browser", "--data", data.toString());
            assertThat(code).as("stderr: %s", err).isZero();
            String url = out.toString().lines().findFirst().orElseThrow();
            HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
            r = new String[] {http.send(HttpRequest.newBuilder(server.url().resolve("/ui/"))
                    .header("Cookie", cookie.substring(0, cookie.indexOf(';'))).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body()};
        }

        assertThat(out.toString()).contains("as viewer (read-only)");
        assertThat(r[0]).contains(">viewer (read-only)</span>");
    }
}
