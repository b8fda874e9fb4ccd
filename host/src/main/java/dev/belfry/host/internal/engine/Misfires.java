package dev.belfry.host.internal.engine;

import dev.belfry.api.MisfirePolicy;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Pure planning of what to do with fires missed while the host was down, the job paused, or the engine stalled.
 * Fixed-rate schedules are planned arithmetically, so even millions of missed fires cost nothing to plan.
 */
final class Misfires {
    /** Longest walk over a cron schedule's missed fires; past it the oldest are dropped (documented). */
    static final int MAX_CRON_STEPS = 1_000_000;

    private Misfires() {
    }

    /**
     * What to do about missed fires.
     *
     * @param toRun       the scheduled instants to run now, oldest first (empty for SKIP)
     * @param missed      how many fires were missed in all (at least 1)
     * @param nextRegular the schedule's first fire after now, if any
     */
    record Plan(List<Instant> toRun, long missed, Optional<Instant> nextRegular) {
    }

    /**
     * @param schedule    the job's schedule
     * @param policy      its misfire policy
     * @param firstMissed the earliest fire that was missed
     * @param now         the current instant; every fire at or before it counts as missed
     * @return the plan
     */
    static Plan plan(Schedule schedule, MisfirePolicy policy, Instant firstMissed, Instant now) {
        if (schedule instanceof Schedule.Periodic p && p.mode() == PeriodicMode.FIXED_RATE) {
            return planFixedRate(p.every(), policy, firstMissed, now);
        }
        if (schedule instanceof Schedule.Periodic p) {
            // Fixed delay has no grid: a missed fire is one overdue fire; the next counts from its completion.
            return choose(policy, List.of(firstMissed), 1, policy instanceof MisfirePolicy.Skip
                    ? Optional.of(now.plus(p.every())) : Optional.empty());
        }
        if (schedule instanceof Schedule.Once || schedule instanceof Schedule.Manual) {
            return choose(policy, List.of(firstMissed), 1, Optional.empty());
        }
        if (schedule instanceof Schedule.Cron) {
            return planByWalking(schedule, policy, firstMissed, now);
        }
        throw new IllegalStateException("unknown schedule kind: " + schedule);
    }

    private static Plan planFixedRate(Duration every, MisfirePolicy policy, Instant firstMissed, Instant now) {
        long periodNanos = every.toNanos();
        long missed = Duration.between(firstMissed, now).toNanos() / periodNanos + 1;
        Instant lastMissed = firstMissed.plusNanos((missed - 1) * periodNanos);
        int keep = policy instanceof MisfirePolicy.FireAll all ? (int) Math.min(all.maxFires(), missed) : 1;
        List<Instant> latest = new ArrayList<>(keep);
        for (int i = keep - 1; i >= 0; i--) {
            latest.add(lastMissed.minusNanos(i * periodNanos));
        }
        List<Instant> runs = policy instanceof MisfirePolicy.FireOnce ? List.of(firstMissed) : latest;
        return choose(policy, runs, missed, Optional.of(lastMissed.plus(every)));
    }

    private static Plan planByWalking(Schedule schedule, MisfirePolicy policy, Instant firstMissed, Instant now) {
        int window = policy instanceof MisfirePolicy.FireAll all ? all.maxFires() : 1;
        ArrayDeque<Instant> latest = new ArrayDeque<>(window);
        long missed = 0;
        Instant at = firstMissed;
        Optional<Instant> next = Optional.of(firstMissed);
        while (next.isPresent() && !next.get().isAfter(now) && missed < MAX_CRON_STEPS) {
            at = next.get();
            missed++;
            if (latest.size() == window) {
                latest.removeFirst();
            }
            latest.addLast(at);
            next = NextFire.nextFire(schedule, at);
        }
        if (next.isPresent() && !next.get().isAfter(now)) {
            next = NextFire.nextFire(schedule, now); // walked too far: skip straight past now
        }
        List<Instant> runs = policy instanceof MisfirePolicy.FireOnce ? List.of(firstMissed) : List.copyOf(latest);
        return choose(policy, runs, missed, next);
    }

    private static Plan choose(MisfirePolicy policy, List<Instant> runs, long missed, Optional<Instant> next) {
        if (policy instanceof MisfirePolicy.Skip) {
            return new Plan(List.of(), missed, next);
        }
        if (policy instanceof MisfirePolicy.FireOnce) {
            return new Plan(List.of(runs.get(0)), missed, next);
        }
        if (policy instanceof MisfirePolicy.FireAll all) {
            int keep = Math.min(all.maxFires(), runs.size());
            return new Plan(List.copyOf(runs.subList(runs.size() - keep, runs.size())), missed, next);
        }
        throw new IllegalStateException("unknown misfire policy: " + policy);
    }
}
