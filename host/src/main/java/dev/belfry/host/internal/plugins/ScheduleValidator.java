package dev.belfry.host.internal.plugins;

import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.api.schedule.Schedule;

/** Checks a schedule fully (for example compiles a cron expression) before its job is accepted. */
@FunctionalInterface
public interface ScheduleValidator {

    /**
     * @param schedule the schedule to check
     * @throws InvalidScheduleException if the host cannot fire it
     */
    void validate(Schedule schedule);
}
