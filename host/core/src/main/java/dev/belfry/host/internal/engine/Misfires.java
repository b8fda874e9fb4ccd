package dev.belfry.host.internal.engine;

import dev.belfry.api.MisfirePolicy;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;

/**
 * Pure planning of what to do with fires missed while the host was down, the job paused, or the engine stalled.
 * Fixed-rate schedules are planned arithmetically, so even millions of missed fires cost nothing to plan.
 */
final class Misfires {
    /** Longest walk over a cron schedule's missed fires; past it the oldest are dropped (documented). */
    static final int MAX_CRON_STEPS = 1_000_000;
    /** Spans shorter than this many seconds fit in a long of nanoseconds, the fast path of fixed-rate planning. */
    private static final long MAX_LONG_NANOS_SECONDS = Long.MAX_VALUE / 1_000_000_000L - 1;
    private static final BigInteger NANOS_PER_SECOND = BigInteger.valueOf(1_000_000_000L);

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
                    ? NextFire.plus(now, p.every()) : Optional.empty());
        }
        if (schedule instanceof Schedule.Once || schedule instanceof Schedule.Manual) {
            return choose(policy, List.of(firstMissed), 1, Optional.empty());
        }
        if (schedule instanceof Schedule.Cron) {
            return planByWalking(schedule, policy, firstMissed, now);
        }
        throw new IllegalStateException("unknown schedule kind: " + schedule.getClass().getName());
    }

    private static Plan planFixedRate(Duration every, MisfirePolicy policy, Instant firstMissed, Instant now) {
        // Every instant an Instant holds may come from a plugin or a sidecar (Schedule.once(1700-01-01) is valid),
        // so the span to now and the period may both be too long for a long of nanoseconds.
        Duration span = Duration.between(firstMissed, now);
        long steps;
        Duration toLastMissed;
        if (span.getSeconds() < MAX_LONG_NANOS_SECONDS && every.getSeconds() < MAX_LONG_NANOS_SECONDS) {
            long periodNanos = every.toNanos();
            steps = span.toNanos() / periodNanos;
            toLastMissed = Duration.ofNanos(steps * periodNanos);
        } else {
            BigInteger spanNanos = nanos(span);
            BigInteger[] quotientAndRest = spanNanos.divideAndRemainder(nanos(every));
            // More missed fires than a long counts (a 1 ms grid across a billion years) are counted as the most.
            steps = quotientAndRest[0].min(BigInteger.valueOf(Long.MAX_VALUE - 1)).longValueExact();
            BigInteger[] secondsAndNanos = spanNanos.subtract(quotientAndRest[1]).divideAndRemainder(NANOS_PER_SECOND);
            toLastMissed = Duration.ofSeconds(secondsAndNanos[0].longValueExact(), secondsAndNanos[1].longValueExact());
        }
        long missed = steps + 1;
        Instant lastMissed = firstMissed.plus(toLastMissed); // at most now: always an Instant
        int keep = policy instanceof MisfirePolicy.FireAll all ? (int) Math.min(all.maxFires(), missed) : 1;
        Instant[] latest = new Instant[keep];
        Instant at = lastMissed;
        for (int i = keep - 1; i >= 0; i--) {
            latest[i] = at;
            if (i > 0) {
                at = at.minus(every); // never before firstMissed: keep is at most the number of missed fires
            }
        }
        List<Instant> runs = policy instanceof MisfirePolicy.FireOnce ? List.of(firstMissed) : List.of(latest);
        return choose(policy, runs, missed, NextFire.plus(lastMissed, every));
    }

    private static BigInteger nanos(Duration d) {
        return BigInteger.valueOf(d.getSeconds()).multiply(NANOS_PER_SECOND).add(BigInteger.valueOf(d.getNano()));
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
        throw new IllegalStateException("unknown misfire policy: " + policy.getClass().getName());
    }
}
