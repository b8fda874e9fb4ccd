package dev.belfry.host.internal.plugins;

import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.cron.CronCompiler;

/** Checks a schedule fully (for example compiles a cron expression) before its job is accepted. */
@FunctionalInterface
public interface ScheduleValidator {

    /**
     * @param schedule the schedule to check
     * @throws InvalidScheduleException if the host cannot fire it
     */
    void validate(Schedule schedule);

    /**
     * @return the host's validator: a cron schedule must compile (in its zone); the other kinds validate themselves
     *         when they are constructed
     */
    static ScheduleValidator compiling() {
        return schedule -> {
            if (schedule instanceof Schedule.Cron cron) {
                CronCompiler.compile(cron.expression(), cron.zone());
            }
        };
    }
}
