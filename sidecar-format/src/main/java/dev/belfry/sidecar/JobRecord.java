package dev.belfry.sidecar;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The persisted state of one background job. Immutable; the engine derives a changed record with the
 * {@code with...} methods. None of them touches {@link #version()}: the engine sets it explicitly with
 * {@link #withVersion(long)} when it commits a change.
 *
 * @param qname               the job's qualified name, unique within a document
 * @param pluginId            the id of the contributing plugin; normally {@code qname.namespace()}
 * @param schedule            when the job fires
 * @param status              the job's life-cycle state
 * @param nextFireAt          when the job fires next, if armed
 * @param lastStartedAt       when the most recent run started, if any
 * @param lastFinishedAt      when the most recent run finished, if any
 * @param lastOutcome         how the most recent finished run ended, if any
 * @param consecutiveFailures failed runs since the last success; not negative
 * @param runCount            runs started in total; not negative
 * @param failureCount        runs failed in total; not negative
 * @param paused              whether an operator paused the job
 * @param orphanedAt          when the job's plugin went away, while the job is {@link JobStatus#ORPHANED}; empty
 *                            otherwise. Persisted so that pruning orphans after a retention survives restarts.
 *                            The record does not tie it to {@code status}: the engine keeps the two in step and
 *                            may change them in either order
 * @param dynamic             {@code true} for a job plugin code added at run time through its {@code JobScheduler}
 *                            (cancelling it removes it), {@code false} for a job a plugin declares as an extension
 * @param checkpoint          opaque progress text the job saved for its next run, at most
 *                            {@value #MAX_CHECKPOINT_LENGTH} characters
 * @param version             the record's revision, raised by the engine on every committed change; not negative
 * @param unknown             members a newer writer added to this job's object, kept for writing back
 */
public record JobRecord(
        QName qname,
        String pluginId,
        Schedule schedule,
        JobStatus status,
        Optional<Instant> nextFireAt,
        Optional<Instant> lastStartedAt,
        Optional<Instant> lastFinishedAt,
        Optional<RunOutcome> lastOutcome,
        int consecutiveFailures,
        long runCount,
        long failureCount,
        boolean paused,
        Optional<Instant> orphanedAt,
        boolean dynamic,
        Optional<String> checkpoint,
        long version,
        UnknownFields unknown) {

    /** The longest checkpoint accepted, in characters (64 Ki). */
    public static final int MAX_CHECKPOINT_LENGTH = 64 * 1024;

    /**
     * Validates every component.
     *
     * @throws IllegalArgumentException if a counter or the version is negative, the plugin id is invalid, or the
     *                                  checkpoint is longer than {@value #MAX_CHECKPOINT_LENGTH} characters; the
     *                                  message quotes the bad value
     * @throws NullPointerException     if any component is null (use {@link Optional#empty()} for absent values)
     */
    public JobRecord {
        Objects.requireNonNull(qname, "qname");
        QName.checkNamespace(pluginId);
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(nextFireAt, "nextFireAt");
        Objects.requireNonNull(lastStartedAt, "lastStartedAt");
        Objects.requireNonNull(lastFinishedAt, "lastFinishedAt");
        Objects.requireNonNull(lastOutcome, "lastOutcome");
        Objects.requireNonNull(orphanedAt, "orphanedAt");
        Objects.requireNonNull(checkpoint, "checkpoint");
        Objects.requireNonNull(unknown, "unknown");
        requireNotNegative("consecutiveFailures", consecutiveFailures, qname);
        requireNotNegative("runCount", runCount, qname);
        requireNotNegative("failureCount", failureCount, qname);
        requireNotNegative("version", version, qname);
        if (checkpoint.isPresent() && checkpoint.get().length() > MAX_CHECKPOINT_LENGTH) {
            throw new IllegalArgumentException("job " + qname + ": checkpoint is " + checkpoint.get().length()
                    + " characters long, more than the " + MAX_CHECKPOINT_LENGTH + " allowed");
        }
    }

    /**
     * A job the host has just learned about: {@link JobStatus#PENDING}, never run, no fire time yet, not orphaned,
     * declared rather than dynamic (use {@link #withDynamic(boolean)} for a job added at run time), version 0.
     *
     * @param qname    the job's qualified name
     * @param pluginId the contributing plugin's id
     * @param schedule when the job fires
     * @return the new record
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the plugin id is invalid
     */
    public static JobRecord pending(QName qname, String pluginId, Schedule schedule) {
        return new JobRecord(qname, pluginId, schedule, JobStatus.PENDING, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 0, 0, 0, false, Optional.empty(), false, Optional.empty(), 0,
                UnknownFields.none());
    }

    /**
     * @param newSchedule the schedule for the copy
     * @return a copy with another schedule
     */
    public JobRecord withSchedule(Schedule newSchedule) {
        return new JobRecord(qname, pluginId, newSchedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, failureCount, paused, orphanedAt, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * @param newStatus the status for the copy
     * @return a copy with another status
     */
    public JobRecord withStatus(JobStatus newStatus) {
        return new JobRecord(qname, pluginId, schedule, newStatus, nextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, failureCount, paused, orphanedAt, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * @param at the next fire time for the copy, or empty if the job is not armed
     * @return a copy with another next fire time
     */
    public JobRecord withNextFireAt(Optional<Instant> at) {
        return new JobRecord(qname, pluginId, schedule, status, at, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, failureCount, paused, orphanedAt, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * @param at the start of the most recent run for the copy, or empty
     * @return a copy with another last start time
     */
    public JobRecord withLastStartedAt(Optional<Instant> at) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, at, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, failureCount, paused, orphanedAt, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * @param at the end of the most recent run for the copy, or empty
     * @return a copy with another last finish time
     */
    public JobRecord withLastFinishedAt(Optional<Instant> at) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, at,
                lastOutcome, consecutiveFailures, runCount, failureCount, paused, orphanedAt, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * @param outcome the outcome of the most recent run for the copy, or empty
     * @return a copy with another last outcome
     */
    public JobRecord withLastOutcome(Optional<RunOutcome> outcome) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                outcome, consecutiveFailures, runCount, failureCount, paused, orphanedAt, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * @param count failed runs since the last success, not negative
     * @return a copy with another consecutive-failure count
     * @throws IllegalArgumentException if {@code count} is negative
     */
    public JobRecord withConsecutiveFailures(int count) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, count, runCount, failureCount, paused, orphanedAt, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * @param count runs started in total, not negative
     * @return a copy with another run count
     * @throws IllegalArgumentException if {@code count} is negative
     */
    public JobRecord withRunCount(long count) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, count, failureCount, paused, orphanedAt, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * @param count runs failed in total, not negative
     * @return a copy with another failure count
     * @throws IllegalArgumentException if {@code count} is negative
     */
    public JobRecord withFailureCount(long count) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, count, paused, orphanedAt, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * The copy a run's start leads to, made in one step (a busy engine starts thousands of runs a second).
     *
     * @param at          when the run started
     * @param newRunCount runs started in total, including this one; not negative
     * @return a copy with another last start time and run count
     * @throws IllegalArgumentException if {@code newRunCount} is negative
     */
    public JobRecord withRunStarted(Instant at, long newRunCount) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, Optional.of(at), lastFinishedAt,
                lastOutcome, consecutiveFailures, newRunCount, failureCount, paused, orphanedAt, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * The copy a run's end leads to, made in one step.
     *
     * @param at                 when the run ended
     * @param outcome            how it ended
     * @param newConsecutive     failed runs since the last success, not negative
     * @param newFailureCount    runs failed in total, not negative
     * @return a copy with another last finish time, outcome and failure counts
     * @throws IllegalArgumentException if a count is negative
     */
    public JobRecord withRunEnded(Instant at, RunOutcome outcome, int newConsecutive, long newFailureCount) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, Optional.of(at),
                Optional.of(outcome), newConsecutive, runCount, newFailureCount, paused, orphanedAt, dynamic,
                checkpoint, version, unknown);
    }

    /**
     * @param isPaused whether the copy is paused
     * @return a copy with another paused flag
     */
    public JobRecord withPaused(boolean isPaused) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, failureCount, isPaused, orphanedAt, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * @param at when the copy's plugin went away, or empty if the job is not orphaned
     * @return a copy with another orphan time
     */
    public JobRecord withOrphanedAt(Optional<Instant> at) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, failureCount, paused, at, dynamic, checkpoint,
                version, unknown);
    }

    /**
     * @param isDynamic whether the copy was added at run time by plugin code rather than declared
     * @return a copy with another dynamic flag
     */
    public JobRecord withDynamic(boolean isDynamic) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, failureCount, paused, orphanedAt, isDynamic, checkpoint,
                version, unknown);
    }

    /**
     * @param text the checkpoint for the copy, or empty to clear it
     * @return a copy with another checkpoint
     * @throws IllegalArgumentException if the text is longer than {@value #MAX_CHECKPOINT_LENGTH} characters
     */
    public JobRecord withCheckpoint(Optional<String> text) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, failureCount, paused, orphanedAt, dynamic, text,
                version, unknown);
    }

    /**
     * @param newVersion the revision for the copy, not negative
     * @return a copy with another version
     * @throws IllegalArgumentException if {@code newVersion} is negative
     */
    public JobRecord withVersion(long newVersion) {
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, failureCount, paused, orphanedAt, dynamic, checkpoint,
                newVersion, unknown);
    }

    /**
     * A copy with every component an engine derives from a job's live state set at once, so that committing a
     * change costs one copy instead of one per component.
     *
     * @param newStatus     the status for the copy
     * @param newNextFireAt the next fire time for the copy, or empty if the job is not armed
     * @param isPaused      whether the copy is paused
     * @param newOrphanedAt when the copy's plugin went away, or empty if the job is not orphaned
     * @param isDynamic     whether the copy was added at run time by plugin code rather than declared
     * @param newVersion    the revision for the copy, not negative
     * @return the copy
     * @throws IllegalArgumentException if {@code newVersion} is negative
     * @throws NullPointerException     if an argument is null
     */
    public JobRecord withEngineState(JobStatus newStatus, Optional<Instant> newNextFireAt, boolean isPaused,
                                     Optional<Instant> newOrphanedAt, boolean isDynamic, long newVersion) {
        return new JobRecord(qname, pluginId, schedule, newStatus, newNextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, failureCount, isPaused, newOrphanedAt, isDynamic,
                checkpoint, newVersion, unknown);
    }

    /**
     * @param other another record
     * @return whether {@code other} has the same components as this record, {@link #version()} aside: whether a
     *         change would be a change at all
     */
    public boolean equalsIgnoringVersion(JobRecord other) {
        return this == other || (other != null
                && qname.equals(other.qname)
                && pluginId.equals(other.pluginId)
                && schedule.equals(other.schedule)
                && status == other.status
                && nextFireAt.equals(other.nextFireAt)
                && lastStartedAt.equals(other.lastStartedAt)
                && lastFinishedAt.equals(other.lastFinishedAt)
                && lastOutcome.equals(other.lastOutcome)
                && consecutiveFailures == other.consecutiveFailures
                && runCount == other.runCount
                && failureCount == other.failureCount
                && paused == other.paused
                && orphanedAt.equals(other.orphanedAt)
                && dynamic == other.dynamic
                && checkpoint.equals(other.checkpoint)
                && unknown.equals(other.unknown));
    }

    private static void requireNotNegative(String what, long value, QName qname) {
        if (value < 0) {
            throw new IllegalArgumentException("job " + qname + ": " + what + " must not be negative: " + value);
        }
    }
}
