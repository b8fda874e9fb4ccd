package dev.belfry.host.internal.admin.ui;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The dashboard's answer: status, headers and body, or the start of an event stream.
 *
 * @param status  the HTTP status
 * @param headers headers to send besides the length and {@code Connection}
 * @param body    the body
 * @param stream  for an event stream: called with the connection once the head is sent; the connection then stays
 *                open
 */
public record UiResponse(int status, Map<String, String> headers, byte[] body,
                         Optional<Consumer<EventHub.Sink>> stream) {

    /**
     * The headers every page gets: the browser runs only the dashboard's own script and style, frames it nowhere,
     * sends the referrer to itself only (Origin stays meaningful on its forms), and stores no page.
     */
    static final Map<String, String> SECURITY_HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'"
                    + " data:; connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none';"
                    + " frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff",
            "X-Frame-Options", "DENY",
            "Referrer-Policy", "same-origin",
            "Cross-Origin-Opener-Policy", "same-origin",
            "Cross-Origin-Resource-Policy", "same-origin");

    static UiResponse page(int status, String html) {
        return of(status, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8), "no-store");
    }

    static UiResponse json(int status, String json) {
        return of(status, "application/json; charset=utf-8", json.getBytes(StandardCharsets.UTF_8), "no-store");
    }

    static UiResponse asset(String type, byte[] bytes) {
        return of(200, type, bytes, "no-cache");
    }

    static UiResponse redirect(String location) {
        UiResponse r = of(303, "text/plain; charset=utf-8", new byte[0], "no-store");
        r.headers().put("Location", location);
        return r;
    }

    static UiResponse stream(Consumer<EventHub.Sink> start) {
        Map<String, String> h = new LinkedHashMap<>(SECURITY_HEADERS);
        h.put("Content-Type", "text/event-stream; charset=utf-8");
        h.put("Cache-Control", "no-store");
        return new UiResponse(200, h, new byte[0], Optional.of(start));
    }

    private static UiResponse of(int status, String type, byte[] body, String cache) {
        Map<String, String> h = new LinkedHashMap<>(SECURITY_HEADERS);
        h.put("Content-Type", type);
        h.put("Cache-Control", cache);
        return new UiResponse(status, h, body, Optional.empty());
    }

    /**
     * @param name  a header
     * @param value its value
     * @return this response with the header added
     */
    UiResponse with(String name, String value) {
        headers.put(name, value);
        return this;
    }
}
