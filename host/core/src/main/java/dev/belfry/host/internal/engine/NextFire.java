package dev.belfry.host.internal.engine;

import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.cron.CronCompiler;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The pure next-fire function of every {@link Schedule} kind. Reads no clock: the caller passes the instants.
 * An instant that would fall beyond {@link Instant#MAX} is reported as no fire.
 */
public final class NextFire {
    private NextFire() {
    }

    /**
     * The first fire of a freshly armed job. A {@link Schedule.Once} fires at its instant even if that has
     * passed: what to do with an overdue fire is the misfire policy's business.
     *
     * @param schedule the job's schedule
     * @param armedAt  when the job was armed
     * @return the first fire; empty for a manual schedule
     * @throws dev.belfry.api.schedule.InvalidScheduleException if a cron expression does not compile
     * @throws NullPointerException                             if an argument is null
     */
    public static Optional<Instant> firstFire(Schedule schedule, Instant armedAt) {
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(armedAt, "armedAt");
        if (schedule instanceof Schedule.Manual) {
            return Optional.empty();
        } else if (schedule instanceof Schedule.Once once) {
            return Optional.of(once.at());
        } else if (schedule instanceof Schedule.Periodic periodic) {
            return plus(armedAt, periodic.initialDelay());
        } else if (schedule instanceof Schedule.Cron cron) {
            return CronCompiler.compile(cron.expression(), cron.zone()).nextFire(armedAt);
        }
        throw new IllegalStateException("unknown schedule kind: " + schedule.getClass().getName());
    }

    /**
     * The fire after {@code previous}. For a fixed-rate periodic schedule {@code previous} is the previous
     * <em>scheduled</em> instant, so the grid never drifts; for fixed delay it is when the previous run finished.
     *
     * @param schedule the job's schedule
     * @param previous the previous scheduled fire (fixed rate, cron) or completion (fixed delay)
     * @return the next fire; empty for a manual schedule and for a one-shot that has fired
     * @throws dev.belfry.api.schedule.InvalidScheduleException if a cron expression does not compile
     * @throws NullPointerException                             if an argument is null
     */
    public static Optional<Instant> nextFire(Schedule schedule, Instant previous) {
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(previous, "previous");
        if (schedule instanceof Schedule.Manual) {
            return Optional.empty();
        } else if (schedule instanceof Schedule.Once) {
            return Optional.empty();
        } else if (schedule instanceof Schedule.Periodic periodic) {
            return plus(previous, periodic.every());
        } else if (schedule instanceof Schedule.Cron cron) {
            return CronCompiler.compile(cron.expression(), cron.zone()).nextFire(previous);
        }
        throw new IllegalStateException("unknown schedule kind: " + schedule.getClass().getName());
    }

    /**
     * @return {@code instant + amount}, or empty if that falls outside what an {@link Instant} holds
     */
    static Optional<Instant> plus(Instant instant, Duration amount) {
        try {
            return Optional.of(instant.plus(amount));
        } catch (DateTimeException | ArithmeticException e) {
            return Optional.empty();
        }
    }
}
