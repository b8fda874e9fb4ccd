package dev.belfry.sidecar;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The life-cycle state of a background job as persisted in the sidecar. In JSON each constant is written in
 * lower snake case ({@link #jsonName()}, e.g. {@code "failed_retrying"}); reading also accepts any letter case.
 */
public enum JobStatus {
    /** Registered but not yet armed by the engine. */
    PENDING,
    /** Armed: a next fire time is known. */
    SCHEDULED,
    /** A run is in progress. */
    RUNNING,
    /** Armed, with no fire time pending (for example a manual job between triggers). */
    IDLE,
    /** The last run failed and a retry is planned. */
    FAILED_RETRYING,
    /** The job failed and will not be retried automatically. */
    FAILED,
    /** Paused by an operator; it does not fire until resumed. */
    PAUSED,
    /** Known from the sidecar, but no loaded plugin contributes it any more. */
    ORPHANED,
    /** A one-shot job that has run; it will not fire again. */
    COMPLETED,
    /** Cancelled by an operator or by its plugin. */
    CANCELLED;

    private final String jsonName = name().toLowerCase(Locale.ROOT);

    /** @return the name used in JSON, the constant's name in lower case, e.g. {@code failed_retrying} */
    public String jsonName() {
        return jsonName;
    }

    /**
     * Parses a status name as written in the sidecar, ignoring letter case ({@code failed_retrying} and
     * {@code FAILED_RETRYING} both work).
     *
     * @param text the status name
     * @return the status
     * @throws IllegalArgumentException quoting the text and listing the accepted names, if it names no status
     * @throws NullPointerException     if {@code text} is null
     */
    public static JobStatus fromJsonName(String text) {
        Objects.requireNonNull(text, "text");
        for (JobStatus s : values()) {
            if (s.jsonName.equalsIgnoreCase(text)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown job status \"" + text + "\" (expected one of "
                + Arrays.stream(values()).map(JobStatus::jsonName).collect(Collectors.joining(", ")) + ")");
    }
}
