package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.module.PluginNode;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JobField;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.RunOutcome;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns host values into the parameter rows the graph statements take. Every value reaches Neo4j as a parameter,
 * never as Cypher text; instants become UTC {@code DATETIME}s so {@code datetime()} arithmetic works on them.
 */
final class GraphRows {
    private static final Instant EARLIEST = LocalDateTime.MIN.toInstant(ZoneOffset.UTC);
    private static final Instant LATEST = LocalDateTime.MAX.toInstant(ZoneOffset.UTC);
    private static final JobField[] FIELDS = JobField.values();

    private GraphRows() {
    }

    /**
     * @param record a job
     * @return {@code {qname, plugin_id, version, props}}; {@code props} holds every node property but
     *         {@code updated_at}, with {@code null} for absent values so that {@code SET n += props} removes them
     */
    static Map<String, Object> job(JobRecord record) {
        return jobRow(record, props(record));
    }

    /**
     * A row with only what changed since the record last written to the graph: a run's start or end changes a few
     * of a job's twenty properties, and Neo4j writes the rest of the node again if they are sent.
     *
     * @param before the record as last written to the graph
     * @param after  a later version of it
     * @return {@code {qname, plugin_id, version, base_version, props}}; {@code props} holds the properties whose
     *         value differs (always {@code version}), {@code null} for one that is now absent; {@code base_version}
     *         is {@code before}'s version, which the node must still have for the row to apply
     */
    static Map<String, Object> jobChanges(JobRecord before, JobRecord after) {
        Map<String, Object> old = props(before);
        Map<String, Object> props = props(after);
        props.entrySet().removeIf(p -> old.containsKey(p.getKey()) && Objects.equals(old.get(p.getKey()), p.getValue()));
        Map<String, Object> row = jobRow(after, props);
        row.put("base_version", before.version());
        return row;
    }

    private static Map<String, Object> props(JobRecord record) {
        Map<String, Object> props = new HashMap<>();
        for (JobField field : FIELDS) {
            putField(props, field, record);
        }
        return props;
    }

    /**
     * A persisted field's node properties: the field under its sidecar name, with a value Cypher can use as it is.
     * Where the graph deliberately differs, it is here: the qname also split into {@code namespace} and {@code name},
     * a schedule as {@code schedule_type}, readable {@code schedule} text and {@code zone} (Cypher has no use for
     * the sidecar's schedule object), an outcome as {@code last_outcome} text and {@code last_duration_ms}, and no
     * checkpoint at all: it is the job's private, opaque progress text, up to 64 Ki characters a change.
     */
    private static void putField(Map<String, Object> props, JobField field, JobRecord r) {
        String name = field.jsonName();
        switch (field) {
            case QNAME -> {
                props.put(name, r.qname().toString());
                props.put("namespace", r.qname().namespace());
                props.put("name", r.qname().name());
            }
            case PLUGIN_ID -> props.put(name, r.pluginId());
            case SCHEDULE -> {
                props.put("schedule_type", scheduleType(r.schedule()));
                props.put(name, scheduleText(r.schedule()));
                props.put("zone", r.schedule() instanceof Schedule.Cron c ? c.zone().getId() : null);
            }
            case STATUS -> props.put(name, r.status().jsonName());
            case NEXT_FIRE_AT -> props.put(name, dateTime(r.nextFireAt()));
            case LAST_STARTED_AT -> props.put(name, dateTime(r.lastStartedAt()));
            case LAST_FINISHED_AT -> props.put(name, dateTime(r.lastFinishedAt()));
            case LAST_OUTCOME -> {
                props.put(name, r.lastOutcome().map(GraphRows::outcomeText).orElse(null));
                props.put("last_duration_ms", r.lastOutcome().map(o -> o.duration().toMillis()).orElse(null));
            }
            case CONSECUTIVE_FAILURES -> props.put(name, (long) r.consecutiveFailures());
            case RUN_COUNT -> props.put(name, r.runCount());
            case FAILURE_COUNT -> props.put(name, r.failureCount());
            case PAUSED -> props.put(name, r.paused());
            case ORPHANED_AT -> props.put(name, dateTime(r.orphanedAt()));
            case DYNAMIC -> props.put(name, r.dynamic());
            case CHECKPOINT -> {
                // not mirrored (above)
            }
            case VERSION -> props.put(name, r.version());
            default -> throw new IllegalStateException("no graph form for the job field " + field);
        }
    }

    private static Map<String, Object> jobRow(JobRecord record, Map<String, Object> props) {
        Map<String, Object> row = new HashMap<>();
        row.put(JobField.QNAME.jsonName(), record.qname().toString());
        row.put(JobField.PLUGIN_ID.jsonName(), record.pluginId());
        row.put(JobField.VERSION.jsonName(), record.version());
        row.put("props", props);
        return row;
    }

    /**
     * @param result    a finished run
     * @param runPrefix {@code hostId/hostStartedAtMillis/}, which makes the engine's per-process run id unique
     *                  across restarts
     * @return {@code {qname, run_id, props}}
     */
    static Map<String, Object> run(RunResult result, String runPrefix) {
        String runId = runPrefix + result.runId();
        Map<String, Object> props = new HashMap<>();
        props.put("run_id", runId);
        props.put("scheduled_for", dateTime(result.scheduledFor()));
        props.put("started_at", dateTime(result.firedAt()));
        props.put("finished_at", dateTime(result.finishedAt()));
        props.put("outcome", result.error().map(e -> Engine.isCancelledNotFailed(e) ? "cancelled" : "failed")
                .orElse("success"));
        props.put("error", result.error().orElse(null));
        props.put("attempt", (long) result.attempt());
        Duration took = Duration.between(result.firedAt(), result.finishedAt());
        props.put("duration_ms", took.isNegative() ? 0L : took.toMillis());
        Map<String, Object> row = new HashMap<>();
        row.put("qname", result.job().toString());
        row.put("run_id", runId);
        row.put("props", props);
        return row;
    }

    /**
     * @param plugin a plugin
     * @return {@code {id, version, state, depends_on}}
     */
    static Map<String, Object> plugin(PluginNode plugin) {
        Map<String, Object> row = new HashMap<>();
        row.put("id", plugin.id());
        row.put("version", plugin.version());
        row.put("state", plugin.state());
        row.put("depends_on", List.copyOf(plugin.dependsOn()));
        return row;
    }

    /** @return the run id prefix for a host process */
    static String runPrefix(String hostId, Instant hostStartedAt) {
        return hostId + "/" + hostStartedAt.toEpochMilli() + "/";
    }

    static OffsetDateTime dateTime(Instant instant) {
        // An Instant reaches a year further each way than a date-time (Java's and Neo4j's), and Schedule.once(
        // Instant.MAX) is valid: such an instant is written as the last date-time there is rather than fail the write.
        Instant held = instant.isBefore(EARLIEST) ? EARLIEST : instant.isAfter(LATEST) ? LATEST : instant;
        return OffsetDateTime.ofInstant(held, ZoneOffset.UTC);
    }

    private static OffsetDateTime dateTime(Optional<Instant> instant) {
        return instant.map(GraphRows::dateTime).orElse(null);
    }

    private static String outcomeText(RunOutcome outcome) {
        if (outcome.success()) {
            return "success";
        }
        return outcome.message().isEmpty() ? "failed" : outcome.message();
    }

    static String scheduleType(Schedule schedule) {
        if (schedule instanceof Schedule.Manual) {
            return "manual";
        } else if (schedule instanceof Schedule.Once) {
            return "once";
        } else if (schedule instanceof Schedule.Periodic) {
            return "periodic";
        } else if (schedule instanceof Schedule.Cron) {
            return "cron";
        }
        throw new IllegalStateException("unknown schedule kind: " + schedule);
    }

    /** A readable form: {@code manual}, the once instant, {@code every PT10S fixed_rate}, the cron expression. */
    static String scheduleText(Schedule schedule) {
        if (schedule instanceof Schedule.Manual) {
            return "manual";
        } else if (schedule instanceof Schedule.Once o) {
            return o.at().toString();
        } else if (schedule instanceof Schedule.Periodic p) {
            String text = "every " + p.every() + " " + p.mode().name().toLowerCase(Locale.ROOT);
            return p.initialDelay().isZero() ? text : text + " after " + p.initialDelay();
        } else if (schedule instanceof Schedule.Cron c) {
            return c.expression();
        }
        throw new IllegalStateException("unknown schedule kind: " + schedule);
    }
}
