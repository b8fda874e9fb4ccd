package dev.belfry.host;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of one job: its state as last committed and the runs executing now. Immutable.
 *
 * @param qname               the job's name, {@code namespace.job}
 * @param namespace           who contributes it: a plugin's id, or the namespace an application registered it under
 * @param schedule            when it fires
 * @param status              where it is in its life
 * @param nextFireAt          when it fires next, if it is armed
 * @param lastStartedAt       when its last run started
 * @param lastFinishedAt      when its last run ended
 * @param lastRun             how its last run ended
 * @param consecutiveFailures failed runs since its last success
 * @param runCount            runs started, ever
 * @param failureCount        runs failed, ever
 * @param paused              whether an operator paused it
 * @param orphanedAt          when its plugin went away, while it is orphaned
 * @param dynamic             whether code added it at run time (cancel removes it) rather than a plugin declaring it
 * @param checkpoint          the checkpoint its last run left for the next one
 * @param running             the runs executing now
 * @param nextRetryAt         when a failed run is retried, while a retry is planned ({@code nextFireAt} is the
 *                            schedule's next fire, which a retry does not move)
 */
public record JobView(QName qname, String namespace, Schedule schedule, Status status, Optional<Instant> nextFireAt,
                      Optional<Instant> lastStartedAt, Optional<Instant> lastFinishedAt, Optional<LastRun> lastRun,
                      int consecutiveFailures, long runCount, long failureCount, boolean paused,
                      Optional<Instant> orphanedAt, boolean dynamic, Optional<String> checkpoint,
                      List<Running> running, Optional<Instant> nextRetryAt) {

    /**
     * Checks that nothing is null and copies the list.
     *
     * @param qname               the job's name, {@code namespace.job}
     * @param namespace           who contributes it: a plugin's id, or the namespace an application registered it under
     * @param schedule            when it fires
     * @param status              where it is in its life
     * @param nextFireAt          when it fires next, if it is armed
     * @param lastStartedAt       when its last run started
     * @param lastFinishedAt      when its last run ended
     * @param lastRun             how its last run ended
     * @param consecutiveFailures failed runs since its last success
     * @param runCount            runs started, ever
     * @param failureCount        runs failed, ever
     * @param paused              whether an operator paused it
     * @param orphanedAt          when its plugin went away, while it is orphaned
     * @param dynamic             whether code added it at run time (cancel removes it) rather than a plugin declaring it
     * @param checkpoint          the checkpoint its last run left for the next one
     * @param running             the runs executing now
     * @param nextRetryAt         when a failed run is retried, while a retry is planned
     */
    public JobView {
        Objects.requireNonNull(qname, "qname");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(nextFireAt, "nextFireAt");
        Objects.requireNonNull(lastStartedAt, "lastStartedAt");
        Objects.requireNonNull(lastFinishedAt, "lastFinishedAt");
        Objects.requireNonNull(lastRun, "lastRun");
        Objects.requireNonNull(orphanedAt, "orphanedAt");
        Objects.requireNonNull(checkpoint, "checkpoint");
        running = List.copyOf(running);
        Objects.requireNonNull(nextRetryAt, "nextRetryAt");
    }

    /** Where a job is in its life. */
    public enum Status {
        /** Known, not yet armed. */
        PENDING,
        /** Armed: a next fire is set. */
        SCHEDULED,
        /** A run is in progress. */
        RUNNING,
        /** Armed with no fire pending, such as a manual job between triggers. */
        IDLE,
        /** Its last run failed and a retry is planned. */
        FAILED_RETRYING,
        /** It failed and will not be retried automatically. */
        FAILED,
        /** Paused by an operator. */
        PAUSED,
        /** Its plugin went away; its state is kept for the orphan retention. */
        ORPHANED,
        /** A one-shot job that has run. */
        COMPLETED,
        /** Cancelled by an operator or by its plugin. */
        CANCELLED
    }

    /**
     * How a job's last run ended.
     *
     * @param succeeded whether it completed without failing
     * @param message   the failure's summary, or empty
     * @param duration  how long it took
     */
    public record LastRun(boolean succeeded, String message, Duration duration) {
        /**
         * Checks that nothing is null.
         *
         * @param succeeded whether it completed without failing
         * @param message   the failure's summary, or empty
         * @param duration  how long it took
         */
        public LastRun {
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(duration, "duration");
        }
    }

    /**
     * A run executing now.
     *
     * @param id           the run's id, unique within this host's life
     * @param scheduledFor the fire it is for
     * @param startedAt    when it started
     * @param attempt      its attempt number
     * @param progress     its last reported progress, 0 to 1
     * @param message      its last progress message
     */
    public record Running(long id, Instant scheduledFor, Instant startedAt, int attempt, double progress,
                          String message) {
        /**
         * Checks that nothing is null.
         *
         * @param id           the run's id, unique within this host's life
         * @param scheduledFor the fire it is for
         * @param startedAt    when it started
         * @param attempt      its attempt number
         * @param progress     its last reported progress, 0 to 1
         * @param message      its last progress message
         */
        public Running {
            Objects.requireNonNull(scheduledFor, "scheduledFor");
            Objects.requireNonNull(startedAt, "startedAt");
            Objects.requireNonNull(message, "message");
        }
    }
}
