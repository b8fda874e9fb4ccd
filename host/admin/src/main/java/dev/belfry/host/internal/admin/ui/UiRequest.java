package dev.belfry.host.internal.admin.ui;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A request to the dashboard, as the admin server read it.
 *
 * @param method      the HTTP method
 * @param uri         the request target
 * @param headers     headers by lower-case name
 * @param body        the body (a form, for POST)
 * @param adminBearer whether it carried the admin API's bearer token
 * @param origin      the server's own origin, {@code http://127.0.0.1:PORT}
 */
public record UiRequest(String method, URI uri, Map<String, String> headers, byte[] body, boolean adminBearer,
                        URI origin) {

    /** @return the query parameters, decoded; the first of a repeated one counts */
    public Map<String, String> query() {
        return decode(uri.getRawQuery());
    }

    /** @return the form fields of a POST body, decoded */
    public Map<String, String> form() {
        return decode(new String(body, StandardCharsets.UTF_8));
    }

    /**
     * @param name a cookie's name
     * @return its value, if the request carries it
     */
    public Optional<String> cookie(String name) {
        String header = headers.get("cookie");
        if (header == null) {
            return Optional.empty();
        }
        for (String part : header.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).strip().equals(name)) {
                return Optional.of(part.substring(eq + 1).strip());
            }
        }
        return Optional.empty();
    }

    private static Map<String, String> decode(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isBlank()) {
            return out;
        }
        for (String pair : raw.strip().split("&")) {
            int eq = pair.indexOf('=');
            try {
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.putIfAbsent(key, value);
            } catch (IllegalArgumentException e) {
                // A malformed escape: the field is left out, as if not sent.
            }
        }
        return out;
    }
}
