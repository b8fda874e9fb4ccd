package dev.belfry.host.internal.admin.ui;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The one escaping helper of the dashboard: every name, message and value that did not come from the page's own
 * code goes through {@link #text} (element content and quoted attribute values alike) or {@link #url} (a path
 * segment or query value), so a job called {@code <script>} shows as those characters and runs nothing.
 */
public final class Html {
    private Html() {
    }

    /**
     * @param c a character
     * @return whether it is a control character a page shows as {@code U+FFFD} (C0 but new line and tab, DEL, C1)
     */
    static boolean isControl(char c) {
        return c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f && c <= 0x9f;
    }

    /**
     * @param s text
     * @return the text with its control characters shown as {@code U+FFFD}, as {@link #text} shows them
     */
    static String printable(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(isControl(c) ? '\uFFFD' : c);
        }
        return out.toString();
    }

    /**
     * @param value any text; {@code null} shows as nothing
     * @return the text safe inside an element or a double- or single-quoted attribute value
     */
    public static String text(Object value) {
        if (value == null) {
            return "";
        }
        String s = value.toString();
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                case '`' -> out.append("&#96;");
                // A NUL in a page is a parse error; the other controls print nothing useful either.
                default -> {
                    if (isControl(c)) {
                        out.append("\uFFFD");
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    /**
     * @param value a path segment or query value
     * @return it percent-encoded (spaces as {@code %20}), safe in an attribute without further escaping
     */
    public static String url(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
