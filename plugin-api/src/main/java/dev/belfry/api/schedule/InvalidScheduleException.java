package dev.belfry.api.schedule;

import java.util.Objects;

/**
 * Thrown when a schedule, or a value inside one, is not acceptable. The message quotes the bad value and,
 * when known, names the plugin and job it came from, so an operator can find it without a stack trace.
 */
public final class InvalidScheduleException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The offending value as written. */
    private final String value;
    /** What is wrong with it. */
    private final String reason;
    /** The plugin the schedule came from, or null if not known. */
    private final String pluginId;
    /** The job the schedule belongs to, or null if not known. */
    private final String jobName;

    /**
     * Creates an exception for a bad value with no plugin or job context yet.
     *
     * @param value  the offending value as the user wrote it
     * @param reason what is wrong with it, in words that say how to fix it
     */
    public InvalidScheduleException(String value, String reason) {
        this(value, reason, null, null);
    }

    private InvalidScheduleException(String value, String reason, String pluginId, String jobName) {
        super(describe(value, reason, pluginId, jobName));
        this.value = String.valueOf(value);
        this.reason = oneLine(Objects.requireNonNull(reason, "reason"));
        this.pluginId = pluginId;
        this.jobName = jobName;
    }

    /**
     * Returns a copy of this exception that also names the plugin and job the schedule belongs to.
     *
     * @param pluginId the contributing plugin's id
     * @param jobName  the job's local name
     * @return a new exception with the same value and reason
     */
    public InvalidScheduleException forJob(String pluginId, String jobName) {
        InvalidScheduleException e = new InvalidScheduleException(value, reason, pluginId, jobName);
        e.initCause(this);
        return e;
    }

    /** @return the offending value as the user wrote it */
    public String value() {
        return value;
    }

    /** @return what is wrong with the value, without the value itself; one line (controls escaped) */
    public String reason() {
        return reason;
    }

    private static String describe(String value, String reason, String pluginId, String jobName) {
        String where = pluginId == null ? "" : "job " + pluginId + "." + jobName + ": ";
        return oneLine(where + "invalid schedule \"" + value + "\": " + reason);
    }

    /**
     * The message must stay one line in a log or terminal, even when the value (or text quoted from it in the
     * reason) holds a line break or another control character: those are written as {@code \n}, {@code \t} or
     * {@code \\uXXXX} instead.
     */
    static String oneLine(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean escape = c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029';
            if (escape && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                if (!escape) {
                    out.append(c);
                } else if (c == '\n') {
                    out.append("\\n");
                } else if (c == '\r') {
                    out.append("\\r");
                } else if (c == '\t') {
                    out.append("\\t");
                } else {
                    out.append(String.format("\\u%04x", (int) c));
                }
            }
        }
        return out == null ? text : out.toString();
    }
}
