package dev.belfry.sidecar;

import java.util.Objects;

/**
 * A sidecar file could not be read: it is not valid JSON, not a background-jobs document, or a value in it is
 * unacceptable. The exception always says where: the file, the 1-based line and column of the offending value,
 * and the JSON path of the field (such as {@code jobs[3].next_fire_at}; {@code $} is the document itself). Its
 * message is one line of the form
 * <pre>background_jobs.json:14:25: jobs[3].next_fire_at: expected an ISO-8601 instant, found "yesterday"</pre>
 */
public final class SidecarFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final int MAX_PART_LENGTH = 400;

    private final String file;
    private final int line;
    private final int column;
    private final String field;
    private final String problem;

    /**
     * Creates an exception.
     *
     * @param file    the name of the file (or other source) being read
     * @param line    the 1-based line of the offending value
     * @param column  the 1-based column of the offending value
     * @param field   the JSON path of the offending value, {@code $} for the document
     * @param problem what is wrong, in one line, without the location
     * @throws NullPointerException if a string argument is null
     */
    public SidecarFormatException(String file, int line, int column, String field, String problem) {
        this(file, line, column, field, problem, null);
    }

    /**
     * Creates an exception with an underlying cause.
     *
     * @param file    the name of the file (or other source) being read
     * @param line    the 1-based line of the offending value
     * @param column  the 1-based column of the offending value
     * @param field   the JSON path of the offending value, {@code $} for the document
     * @param problem what is wrong, in one line, without the location
     * @param cause   the underlying exception, or null
     * @throws NullPointerException if a string argument is null
     */
    public SidecarFormatException(String file, int line, int column, String field, String problem, Throwable cause) {
        super(oneLine(Objects.requireNonNull(file, "file")) + ":" + line + ":" + column + ": "
                + oneLine(Objects.requireNonNull(field, "field")) + ": "
                + oneLine(Objects.requireNonNull(problem, "problem")), cause);
        this.file = file;
        this.line = line;
        this.column = column;
        this.field = field;
        this.problem = oneLine(problem);
    }

    // The message must stay one readable line even when it quotes a damaged value: control characters are
    // escaped and very long text is cut.
    private static String oneLine(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX_PART_LENGTH) + 3);
        int i = 0;
        for (; i < s.length() && sb.length() < MAX_PART_LENGTH; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (i < s.length()) {
            sb.append("...");
        }
        return sb.toString();
    }

    /** @return the name of the file (or other source) that was being read */
    public String file() {
        return file;
    }

    /** @return the 1-based line of the offending value */
    public int line() {
        return line;
    }

    /** @return the 1-based column of the offending value */
    public int column() {
        return column;
    }

    /** @return the JSON path of the offending value, e.g. {@code jobs[3].next_fire_at}; {@code $} for the document */
    public String field() {
        return field;
    }

    /** @return what is wrong, without the location prefix */
    public String problem() {
        return problem;
    }
}
