package dev.belfry.host.internal.engine;

import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Arms each job's next regular fire and its pending retry on the {@link TimerHeap}: the only writer of a slot's
 * {@code nextFire}, fire timer and retry. Guarded by the engine lock.
 */
final class Arming {
    private final TimerHeap timers;
    private final EngineSettings settings;
    private final Duration claimAhead;

    Arming(TimerHeap timers, EngineSettings settings, Duration claimAhead) {
        this.timers = timers;
        this.settings = settings;
        this.claimAhead = claimAhead;
    }

    /**
     * Sets the job's next regular fire, and arms it if the job may fire: its timer comes up {@code claimAhead}
     * before the instant, so that the fire's claim can be committed by then.
     */
    void setNextFire(JobSlot slot, Optional<Instant> next) {
        TimerHeap.cancel(slot.fireTimer());
        Instant at = next.orElse(null);
        slot.setNextFire(at, at != null && slot.armable()
                ? timers.push(Timer.Kind.FIRE, claimAhead.isZero() ? at : at.minus(claimAhead), at, slot, null)
                : null);
    }

    /** Arms the job's next fire, whose timer came up ahead of it, again at its very instant: it is decided then. */
    void decideAtInstant(JobSlot slot, Instant at) {
        slot.setFireTimer(timers.push(Timer.Kind.FIRE, at, slot, null));
    }

    /** The job's fire timer came up. */
    void fireDue(JobSlot slot) {
        slot.setFireTimer(null);
    }

    void scheduleRetry(JobSlot slot, Instant retryFor, int attempt, Instant at) {
        dropRetry(slot);
        slot.setRetry(timers.push(Timer.Kind.RETRY, at, slot, null), retryFor, attempt);
    }

    /**
     * Arms the same fire again, under the same attempt, after its start could not be made durable: it never ran, so
     * it is neither a failure nor a retry, and, like a retry, it is not subject to the misfire policy when it comes.
     */
    void scheduleStartAgain(JobSlot slot, Instant scheduledFor, int attempt, Instant at) {
        scheduleRetry(slot, scheduledFor, attempt, at);
        slot.retryIsStartAgain();
    }

    /** The job's retry timer came up. */
    void retryDue(JobSlot slot) {
        slot.setRetryTimer(null);
    }

    void dropRetry(JobSlot slot) {
        TimerHeap.cancel(slot.retryTimer());
        slot.setRetry(null, null, slot.retryAttempt());
    }

    /** Stops the job's fires and retry, remembering its next fire (a pause, its plugin stopping). */
    void suspend(JobSlot slot) {
        TimerHeap.cancel(slot.fireTimer());
        slot.setFireTimer(null);
        dropRetry(slot);
    }

    /** Stops the job's fires and retry and forgets its next fire (a cancel). */
    void disarm(JobSlot slot) {
        suspend(slot);
        slot.setNextFire(null, null);
    }

    /** Whether a fire due at {@code due} is later than the misfire threshold at {@code now}. */
    boolean misfired(Instant due, Instant now) {
        // Not Duration.between: it is slower, and this runs for every job a plugin attaches (docs/benchmarks.md).
        return now.minus(settings.misfireThreshold()).isAfter(due);
    }

    /** @return whether the job's next fire counts from the end of its previous run */
    static boolean fixedDelay(JobSlot slot) {
        return slot.record().schedule() instanceof Schedule.Periodic p && p.mode() == PeriodicMode.FIXED_DELAY;
    }
}
