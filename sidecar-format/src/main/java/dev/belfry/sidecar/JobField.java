package dev.belfry.sidecar;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The members of a job object in the sidecar, each spelled once: {@link SidecarCodec} writes and reads a job's
 * members by these names, and every other view of a job (the host's admin API, its graph mirror, its command line)
 * names a persisted field through its constant here rather than repeating the text. The JSON Schema
 * ({@code background-jobs.schema.json}) is written by hand and checked against this list by a test.
 *
 * <p>The constants are in the order the codec writes the members. Each is one component of {@link JobRecord}
 * ({@link JobRecord#unknown()} aside, which holds the members this list does not name).
 */
public enum JobField {
    /** {@link JobRecord#qname()}: the job's qualified name, {@code plugin-id.job-name}. */
    QNAME("qname", true),
    /** {@link JobRecord#pluginId()}: the contributing plugin. */
    PLUGIN_ID("plugin_id", true),
    /** {@link JobRecord#schedule()}: when the job fires, an object selected by its {@code type}. */
    SCHEDULE("schedule", true),
    /** {@link JobRecord#status()}: the life-cycle state, a {@link JobStatus#jsonName()}. */
    STATUS("status", true),
    /** {@link JobRecord#nextFireAt()}: an instant, or null when the job is not armed. */
    NEXT_FIRE_AT("next_fire_at", false),
    /** {@link JobRecord#lastStartedAt()}: an instant, or null if the job never ran. */
    LAST_STARTED_AT("last_started_at", false),
    /** {@link JobRecord#lastFinishedAt()}: an instant, or null if no run has finished. */
    LAST_FINISHED_AT("last_finished_at", false),
    /** {@link JobRecord#lastOutcome()}: an outcome object, or null if no run has finished. */
    LAST_OUTCOME("last_outcome", false),
    /** {@link JobRecord#consecutiveFailures()}: failed runs since the last success. */
    CONSECUTIVE_FAILURES("consecutive_failures", true),
    /** {@link JobRecord#runCount()}: runs started in total. */
    RUN_COUNT("run_count", true),
    /** {@link JobRecord#failureCount()}: runs failed in total. */
    FAILURE_COUNT("failure_count", true),
    /** {@link JobRecord#paused()}: whether an operator paused the job. */
    PAUSED("paused", true),
    /** {@link JobRecord#orphanedAt()}: an instant while the job is orphaned, else null. */
    ORPHANED_AT("orphaned_at", false),
    /** {@link JobRecord#dynamic()}: whether plugin code added the job at run time; false when omitted. */
    DYNAMIC("dynamic", false),
    /** {@link JobRecord#checkpoint()}: the job's opaque progress text, or null. */
    CHECKPOINT("checkpoint", false),
    /** {@link JobRecord#version()}: the record's revision. */
    VERSION("version", true);

    private static final Set<String> JSON_NAMES = Collections.unmodifiableSet(new LinkedHashSet<>(
            Arrays.stream(values()).map(JobField::jsonName).toList()));

    private final String jsonName;
    private final boolean required;

    JobField(String jsonName, boolean required) {
        this.jsonName = jsonName;
        this.required = required;
    }

    /** @return the member's name in a job object, e.g. {@code next_fire_at} */
    public String jsonName() {
        return jsonName;
    }

    /**
     * @return whether a reader refuses a job object without this member; the others may be omitted (or null, the
     *         flag {@link #DYNAMIC} aside), and the codec still writes every one of them
     */
    public boolean required() {
        return required;
    }

    /** @return every member name, in the order the codec writes them */
    public static Set<String> jsonNames() {
        return JSON_NAMES;
    }
}
