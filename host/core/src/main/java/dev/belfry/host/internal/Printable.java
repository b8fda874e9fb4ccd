package dev.belfry.host.internal;

/**
 * Text from plugins (a descriptor, a run's failure message) quoted in a log line: control characters and line
 * separators would let it forge log lines or drive the operator's terminal (ESC sequences), so they are written as
 * {@code \\uXXXX}. Only the printed copy is escaped; the stored text stays as it was.
 */
public final class Printable {
    private Printable() {
    }

    /**
     * @param text any text
     * @return the text with every ISO control character, U+2028 and U+2029 written as {@code \\uXXXX}
     */
    public static String escape(String text) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                if (b == null) {
                    b = new StringBuilder(text.length() + 16).append(text, 0, i);
                }
                b.append(String.format("\\u%04x", (int) c));
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? text : b.toString();
    }
}
