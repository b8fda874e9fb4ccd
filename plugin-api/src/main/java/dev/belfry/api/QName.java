package dev.belfry.api;

import java.util.Objects;

/**
 * The qualified name of a background job: the contributing plugin's id (the namespace) and the job's local name,
 * written {@code namespace.name}. Because a namespace may itself contain dots, the local name may not: the text
 * form is split at its last dot.
 *
 * <p>A namespace is 1 to 64 characters of letters, digits, {@code _}, {@code -} and {@code .}; a local name is 1
 * to 128 characters of letters, digits, {@code _} and {@code -}. Both start with a letter or digit. Letters and
 * digits are Unicode ones, so {@code räder.nächtlich} is a valid name; the host, however, accepts only ASCII plugin
 * ids (without {@code ..} and without names operating systems reserve, such as {@code CON}), so in a job contributed
 * by a plugin only the local name may use other letters.
 *
 * @param namespace the contributing plugin's id
 * @param name      the job's name within its plugin
 */
public record QName(String namespace, String name) implements Comparable<QName> {
    /** Longest namespace accepted. */
    public static final int MAX_NAMESPACE_LENGTH = 64;
    /** Longest local name accepted. */
    public static final int MAX_NAME_LENGTH = 128;

    /**
     * Validates both parts.
     *
     * @param namespace the plugin id
     * @param name      the job name
     * @throws IllegalArgumentException naming the bad value and the first character that is not allowed
     * @throws NullPointerException     if an argument is null
     */
    public QName {
        checkNamespace(namespace);
        checkName(name);
    }

    /**
     * Creates a qualified name.
     *
     * @param namespace the plugin id
     * @param name      the job name
     * @return the qualified name
     * @throws IllegalArgumentException if either part is invalid
     */
    public static QName of(String namespace, String name) {
        return new QName(namespace, name);
    }

    /**
     * Parses the text form {@code namespace.name}, splitting at the last dot.
     *
     * @param text the qualified name as text
     * @return the qualified name
     * @throws IllegalArgumentException if there is no dot or either part is invalid
     */
    public static QName parse(String text) {
        Objects.requireNonNull(text, "qname");
        int dot = text.lastIndexOf('.');
        if (dot <= 0 || dot == text.length() - 1) {
            throw new IllegalArgumentException("invalid job qname \"" + text + "\": expected plugin-id.job-name");
        }
        return new QName(text.substring(0, dot), text.substring(dot + 1));
    }

    /**
     * Checks a plugin id against the namespace rules.
     *
     * @param namespace the candidate plugin id
     * @return the same value, for chaining
     * @throws IllegalArgumentException naming the bad value and the reason
     */
    public static String checkNamespace(String namespace) {
        return check("plugin id", namespace, MAX_NAMESPACE_LENGTH, true);
    }

    /**
     * Checks a job's local name.
     *
     * @param name the candidate job name
     * @return the same value, for chaining
     * @throws IllegalArgumentException naming the bad value and the reason
     */
    public static String checkName(String name) {
        return check("job name", name, MAX_NAME_LENGTH, false);
    }

    private static String check(String what, String value, int maxLength, boolean dotAllowed) {
        Objects.requireNonNull(value, what);
        if (value.isEmpty()) {
            throw new IllegalArgumentException("invalid " + what + " \"\": must not be empty");
        }
        if (value.length() > maxLength) {
            throw new IllegalArgumentException("invalid " + what + " \"" + value + "\": longer than " + maxLength
                    + " characters");
        }
        for (int i = 0; i < value.length(); ) {
            char c = value.charAt(i);
            // ASCII without Character's tables: every name is checked when a sidecar is read, 100,000 at a start.
            if (c < 0x80 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || (i > 0 && (c == '_' || c == '-' || (dotAllowed && c == '.'))))) {
                i++;
                continue;
            }
            int cp = value.codePointAt(i);
            boolean ok = Character.isLetterOrDigit(cp)
                    || (i > 0 && (cp == '_' || cp == '-' || (dotAllowed && cp == '.')));
            if (!ok) {
                throw new IllegalArgumentException("invalid " + what + " \"" + value + "\": character '"
                        + new String(Character.toChars(cp)) + "' at position " + (i + 1) + " is not allowed (use "
                        + (dotAllowed ? "letters, digits, '_', '-' and '.'" : "letters, digits, '_' and '-'")
                        + ", starting with a letter or digit)");
            }
            i += Character.charCount(cp);
        }
        return value;
    }

    @Override
    public int compareTo(QName other) {
        int c = namespace.compareTo(other.namespace);
        return c != 0 ? c : name.compareTo(other.name);
    }

    /** @return {@code namespace.name} */
    @Override
    public String toString() {
        return namespace + "." + name;
    }
}
