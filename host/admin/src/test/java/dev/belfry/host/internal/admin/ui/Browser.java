package dev.belfry.host.internal.admin.ui;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a browser does with the dashboard, over plain HTTP: keeps the session cookie, sends Origin with its forms,
 * fills in the CSRF token its last page carried. Redirects are not followed, so tests see them.
 */
final class Browser {
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]*)\"");
    private final HttpClient http = HttpClient.newHttpClient();
    final URI base;
    String cookie;
    String lastPage = "";

    Browser(URI base) {
        this.base = base;
    }

    HttpResponse<String> get(String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).GET();
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        lastPage = r.body();
        return r;
    }

    /** Posts a form as the page would: with the page's CSRF token and this server's Origin. */
    HttpResponse<String> post(String path, String fields) throws Exception {
        return post(path, fields, Optional.of(base.toString()));
    }

    HttpResponse<String> post(String path, String fields, Optional<String> origin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(fields, StandardCharsets.UTF_8));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        origin.ifPresent(o -> b.header("Origin", o));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        lastPage = r.body();
        return r;
    }

    /** @return the CSRF token in the last page */
    String csrf() {
        Matcher m = CSRF.matcher(lastPage);
        if (!m.find()) {
            throw new AssertionError("the last page has no CSRF field: " + lastPage);
        }
        return m.group(1);
    }

    /** An answer read off the socket. */
    record Raw(int status, String body) {
    }

    /**
     * Gets a page over a plain socket with another Host header, as a page of another site whose name points at this
     * address would (the JDK's client does not let a caller set Host).
     */
    Raw getAs(String path, String host) throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            String request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                    + (cookie == null ? "" : "Cookie: " + cookie + "\r\n") + "Connection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Raw(Integer.parseInt(answer.substring(9, 12)), answer.substring(answer.indexOf("\r\n\r\n") + 4));
        }
    }

    /** Follows a login link and keeps the cookie it sets. */
    HttpResponse<String> login(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        r.headers().firstValue("Set-Cookie").ifPresent(c -> cookie = c.substring(0, c.indexOf(';')));
        return r;
    }
}
