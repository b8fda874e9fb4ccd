package dev.belfry.host.internal.admin;

import static dev.belfry.sidecar.JobField.CHECKPOINT;
import static dev.belfry.sidecar.JobField.CONSECUTIVE_FAILURES;
import static dev.belfry.sidecar.JobField.DYNAMIC;
import static dev.belfry.sidecar.JobField.FAILURE_COUNT;
import static dev.belfry.sidecar.JobField.LAST_FINISHED_AT;
import static dev.belfry.sidecar.JobField.LAST_OUTCOME;
import static dev.belfry.sidecar.JobField.LAST_STARTED_AT;
import static dev.belfry.sidecar.JobField.NEXT_FIRE_AT;
import static dev.belfry.sidecar.JobField.ORPHANED_AT;
import static dev.belfry.sidecar.JobField.PAUSED;
import static dev.belfry.sidecar.JobField.PLUGIN_ID;
import static dev.belfry.sidecar.JobField.QNAME;
import static dev.belfry.sidecar.JobField.RUN_COUNT;
import static dev.belfry.sidecar.JobField.SCHEDULE;
import static dev.belfry.sidecar.JobField.STATUS;
import static dev.belfry.sidecar.JobField.VERSION;

import dev.belfry.host.internal.engine.Schedules;
import dev.belfry.host.internal.Views;
import dev.belfry.sidecar.JobField;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.RunOutcome;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A job's persisted fields as the admin API shows them: the one place that decides each field's key, value and
 * whether a job list shows it. The API writes a job's fields from here and the command line reads them by
 * {@link #key(JobField)}, so a field keeps one spelling from the sidecar to the terminal.
 */
public final class JobJson {
    /**
     * The fields a job list shows, in the order its objects list them. A job's own answer shows them too, then
     * {@link #SHOWN_ALONE}. Every {@link JobField} is in one of the two lists (a test checks it).
     */
    static final List<JobField> LISTED = List.of(QNAME, PLUGIN_ID, STATUS, SCHEDULE, NEXT_FIRE_AT, LAST_STARTED_AT,
            LAST_FINISHED_AT, LAST_OUTCOME, CONSECUTIVE_FAILURES, RUN_COUNT, FAILURE_COUNT, PAUSED, DYNAMIC,
            ORPHANED_AT, VERSION);
    /**
     * The fields only a job's own answer shows: a checkpoint may hold 64 Ki characters, too many to repeat for every
     * job of a list.
     */
    static final List<JobField> SHOWN_ALONE = List.of(CHECKPOINT);

    private JobJson() {
    }

    /**
     * The key a field has in the admin API's JSON of a job: its sidecar name, but for the one field the API has
     * always named otherwise.
     *
     * @param field a persisted field
     * @return its key in a job object of {@code GET /jobs} and {@code GET /jobs/QNAME}
     */
    public static String key(JobField field) {
        // A switch without default: a new field does not compile until its key is decided here.
        return switch (field) {
            // The API says "plugin" for a plugin's id everywhere (the ?plugin= filter, a reload's answer, the CLI's
            // column), and scripts read a job's plugin under that key.
            case PLUGIN_ID -> "plugin";
            case QNAME, SCHEDULE, STATUS, NEXT_FIRE_AT, LAST_STARTED_AT, LAST_FINISHED_AT, LAST_OUTCOME,
                    CONSECUTIVE_FAILURES, RUN_COUNT, FAILURE_COUNT, PAUSED, ORPHANED_AT, DYNAMIC, CHECKPOINT,
                    VERSION -> field.jsonName();
        };
    }

    /**
     * @param record a job
     * @param fields the fields to show, in order
     * @return the fields by {@link #key(JobField)}, JSON-ready, {@code null} for absent values
     */
    static Map<String, Object> fields(JobRecord record, List<JobField> fields) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (JobField f : fields) {
            m.put(key(f), value(f, record));
        }
        return m;
    }

    // Values for people and scripts rather than for reading back: a schedule as text, a next fire only if it fires.
    private static Object value(JobField field, JobRecord r) {
        return switch (field) {
            case QNAME -> r.qname().toString();
            case PLUGIN_ID -> r.pluginId();
            case SCHEDULE -> Schedules.describe(r.schedule());
            case STATUS -> r.status().jsonName();
            case NEXT_FIRE_AT -> instant(firesNextAt(r));
            case LAST_STARTED_AT -> instant(r.lastStartedAt());
            case LAST_FINISHED_AT -> instant(r.lastFinishedAt());
            case LAST_OUTCOME -> r.lastOutcome().map(JobJson::outcome).orElse(null);
            case CONSECUTIVE_FAILURES -> r.consecutiveFailures();
            case RUN_COUNT -> r.runCount();
            case FAILURE_COUNT -> r.failureCount();
            case PAUSED -> r.paused();
            case ORPHANED_AT -> instant(r.orphanedAt());
            case DYNAMIC -> r.dynamic();
            case CHECKPOINT -> r.checkpoint().orElse(null);
            case VERSION -> r.version();
        };
    }

    private static Map<String, Object> outcome(RunOutcome o) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("success", o.success());
        out.put("message", o.message());
        out.put("duration_ms", o.duration().toMillis());
        return out;
    }

    private static Optional<Instant> firesNextAt(JobRecord r) {
        return Views.firesNextAt(r);
    }

    private static String instant(Optional<Instant> at) {
        return at.map(Instant::toString).orElse(null);
    }
}
