package dev.belfry.api.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * When a background job fires. A schedule is an immutable value; the host computes fire times from it with a
 * pure next-fire function, so the same schedule always yields the same instants.
 *
 * <p>Create schedules with the factories: {@link #manual()}, {@link #once(Instant)},
 * {@link #every(Duration)}, {@link #cron(String)} and {@link #cron(String, ZoneId)}.
 */
public sealed interface Schedule permits Schedule.Manual, Schedule.Once, Schedule.Periodic, Schedule.Cron {

    /**
     * A job that never fires by itself; it runs only when triggered (by an operator or by code).
     *
     * @return the manual schedule
     */
    static Manual manual() {
        return Manual.INSTANCE;
    }

    /**
     * A job that fires once, at the given instant (or as soon as the host is up, if that instant has passed
     * while it was down and the misfire policy allows).
     *
     * @param at the instant to fire at
     * @return a one-shot schedule
     * @throws NullPointerException if {@code at} is null
     */
    static Once once(Instant at) {
        return new Once(at);
    }

    /**
     * A job that fires every {@code every} at a fixed rate, starting immediately.
     *
     * @param every the period; at least one millisecond
     * @return a periodic schedule in {@link PeriodicMode#FIXED_RATE} mode with no initial delay
     * @throws InvalidScheduleException if the period is zero, negative or below one millisecond
     */
    static Periodic every(Duration every) {
        return new Periodic(every, PeriodicMode.FIXED_RATE, Duration.ZERO);
    }

    /**
     * A job that fires every {@code every} in the given mode, starting after {@code initialDelay}.
     *
     * @param every        the period; at least one millisecond
     * @param mode         fixed rate (grid-anchored) or fixed delay (counted from completion)
     * @param initialDelay how long after the job is first armed it fires for the first time; not negative
     * @return a periodic schedule
     * @throws InvalidScheduleException if a value is out of range
     */
    static Periodic every(Duration every, PeriodicMode mode, Duration initialDelay) {
        return new Periodic(every, mode, initialDelay);
    }

    /**
     * A cron schedule evaluated in UTC.
     *
     * @param expression a 5-field Unix expression, a 6-field expression with leading seconds, or a macro such as
     *                   {@code @daily}; see the host's cron documentation for the full syntax
     * @return a cron schedule in UTC
     * @throws InvalidScheduleException if the expression is blank or has the wrong number of fields
     */
    static Cron cron(String expression) {
        return new Cron(expression, ZoneOffset.UTC);
    }

    /**
     * A cron schedule evaluated in the given time zone, with Belfry's daylight-saving rule: a fixed-time job
     * whose local time falls into a spring-forward gap fires once right after the jump, and in a fall-back
     * overlap only on the first pass; a job with a wildcard minute or hour follows the wall clock.
     *
     * @param expression the cron expression, as for {@link #cron(String)}
     * @param zone       the zone whose wall clock the expression is read in
     * @return a cron schedule
     * @throws InvalidScheduleException if the expression is blank or has the wrong number of fields
     */
    static Cron cron(String expression, ZoneId zone) {
        return new Cron(expression, zone);
    }

    /** Never fires by itself; see {@link Schedule#manual()}. */
    record Manual() implements Schedule {
        private static final Manual INSTANCE = new Manual();
    }

    /**
     * Fires once at {@code at}; see {@link Schedule#once(Instant)}.
     *
     * @param at the instant to fire at
     */
    record Once(Instant at) implements Schedule {
        /**
         * Validates the instant.
         *
         * @param at the instant to fire at
         * @throws NullPointerException if {@code at} is null
         */
        public Once {
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * Fires repeatedly with a fixed period; see {@link Schedule#every(Duration, PeriodicMode, Duration)}.
     *
     * @param every        the period, at least one millisecond
     * @param mode         how the period is measured
     * @param initialDelay delay before the first fire, not negative
     */
    record Periodic(Duration every, PeriodicMode mode, Duration initialDelay) implements Schedule {
        /** The shortest period the host will honour. */
        public static final Duration MIN_PERIOD = Duration.ofMillis(1);

        /**
         * Validates the period, mode and initial delay.
         *
         * @param every        the period
         * @param mode         the mode
         * @param initialDelay the initial delay
         * @throws InvalidScheduleException if the period is below one millisecond or the delay is negative
         * @throws NullPointerException     if any argument is null
         */
        public Periodic {
            Objects.requireNonNull(every, "every");
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(initialDelay, "initialDelay");
            if (every.compareTo(MIN_PERIOD) < 0) {
                throw new InvalidScheduleException(every.toString(), "period must be at least 1 ms");
            }
            if (initialDelay.isNegative()) {
                throw new InvalidScheduleException(initialDelay.toString(), "initial delay must not be negative");
            }
        }

        /**
         * @param newMode the mode for the copy
         * @return a copy of this schedule with another mode
         */
        public Periodic withMode(PeriodicMode newMode) {
            return new Periodic(every, newMode, initialDelay);
        }

        /**
         * @param delay the initial delay for the copy
         * @return a copy of this schedule with another initial delay
         */
        public Periodic withInitialDelay(Duration delay) {
            return new Periodic(every, mode, delay);
        }
    }

    /**
     * Fires when the zone's wall clock matches a cron expression; see {@link Schedule#cron(String, ZoneId)}.
     * The constructor checks only the shape of the expression (not blank, 5 or 6 fields or a macro); the host
     * parses it fully when the job is registered and rejects it with the field that is wrong.
     *
     * @param expression the expression with runs of white space folded to one space
     * @param zone       the zone the expression is read in
     */
    record Cron(String expression, ZoneId zone) implements Schedule {
        /** Expressions longer than this are rejected outright. */
        public static final int MAX_LENGTH = 512;
        // Compiled once: String.replaceAll compiles its pattern on every call, and a sidecar may hold many crons.
        private static final Pattern WHITE_SPACE = Pattern.compile("\\s+");

        /**
         * Normalises white space and validates the shape of the expression.
         *
         * @param expression the cron expression
         * @param zone       the zone
         * @throws InvalidScheduleException if the expression is blank, too long, or has a field count other than
         *                                  5 or 6 (a macro such as {@code @daily} counts as valid)
         * @throws NullPointerException     if an argument is null
         */
        public Cron {
            Objects.requireNonNull(expression, "expression");
            Objects.requireNonNull(zone, "zone");
            String folded = WHITE_SPACE.matcher(expression.strip()).replaceAll(" ");
            if (folded.isEmpty()) {
                throw new InvalidScheduleException(expression, "cron expression is empty");
            }
            if (folded.length() > MAX_LENGTH) {
                throw new InvalidScheduleException(folded.substring(0, 40) + "...",
                        "cron expression is longer than " + MAX_LENGTH + " characters");
            }
            if (!folded.startsWith("@")) {
                int fields = folded.split(" ").length;
                if (fields != 5 && fields != 6) {
                    throw new InvalidScheduleException(folded, "expected 5 fields (minute hour day-of-month month"
                            + " day-of-week) or 6 with leading seconds, found " + fields);
                }
            }
            expression = folded;
        }
    }
}
