package dev.belfry.host.internal.admin.ui;

import static dev.belfry.host.internal.admin.ui.Html.text;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Small pieces of HTML the pages share: a health section as a list of terms, instants, status badges. */
final class Fields {
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    private Fields() {
    }

    /**
     * @param id     the element's id
     * @param values a section of the host's health
     * @return its fields as a description list; nested sections nest, lists are joined
     */
    static String list(String id, Map<?, ?> values) {
        StringBuilder b = new StringBuilder("<dl class=\"fields\" id=\"").append(id).append("\">");
        values.forEach((k, v) -> {
            b.append("<dt>").append(text(String.valueOf(k).replace('_', ' '))).append("</dt><dd data-field=\"")
                    .append(text(k)).append("\">");
            if (v instanceof Map<?, ?> m) {
                b.append(list(id + "-" + k, m));
            } else if (v instanceof List<?> l) {
                b.append(l.isEmpty() ? "none" : "<ul>" + l.stream().map(x -> "<li>" + text(x) + "</li>")
                        .reduce("", String::concat) + "</ul>");
            } else {
                b.append(v == null ? "<span class=\"muted\">none</span>" : text(v));
            }
            b.append("</dd>");
        });
        return b.append("</dl>").toString();
    }

    /**
     * @param at an instant, if any
     * @return it as a {@code time} element in UTC, or "none"
     */
    static String time(Optional<Instant> at) {
        return at.map(Fields::time).orElse("<span class=\"muted\">none</span>");
    }

    static String time(Instant at) {
        String shown;
        try {
            shown = UTC.format(at);
        } catch (java.time.DateTimeException e) {
            shown = at.toString(); // beyond what a calendar date holds
        }
        return "<time datetime=\"" + text(at) + "\">" + text(shown) + "</time>";
    }

    /**
     * @param status a job status's JSON name
     * @return it as a badge whose class the stylesheet colours
     */
    static String status(String status) {
        return "<span class=\"status status-" + text(status) + "\" data-testid=\"status\">" + text(status)
                + "</span>";
    }

    /** @return a fraction from 0 to 1 as a whole percentage, as the progress bar and its live updates show it */
    static int percent(double fraction) {
        return (int) Math.round(Math.max(0, Math.min(1, fraction)) * 100);
    }
}
