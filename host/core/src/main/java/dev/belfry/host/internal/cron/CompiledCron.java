package dev.belfry.host.internal.cron;

import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;
import java.util.Optional;

/**
 * A parsed cron expression compiled to bit sets, ready to answer "when next?" quickly. Immutable and
 * thread-safe; obtain one from {@link CronCompiler#compile(String, ZoneId)}.
 *
 * <p>The search runs on local epoch seconds with its own calendar arithmetic and the zone's transitions held
 * in primitive arrays, so a call allocates only its result. Daylight saving follows Belfry's rule: a
 * {@linkplain #fixedTime() fixed-time} expression whose wall time falls in a spring-forward gap fires once at
 * the jump, and in a fall-back overlap only on the first pass; any other expression follows the wall clock.
 */
public final class CompiledCron {
    /** How far ahead of {@code after} the search looks: one 400-year Gregorian cycle of local days. */
    static final long SEARCH_DAYS = CivilDates.DAYS_PER_CYCLE;

    private static final long NONE = Long.MIN_VALUE;
    private static final int MAX_FIXED_STEPS = 1_000;

    private final String expression;
    private final ZoneId zone;
    private final boolean fixedTime;
    private final long secondBits;
    private final long minuteBits;
    private final int hourBits;
    private final int monthBits;
    /** Matching days (bits 1-31) of a month, indexed by {@code firstDayOfWeek * 4 + daysInMonth - 28}. */
    private final int[] dayMasks;
    private final int firstSecond;
    private final int firstMinute;
    private final int firstTimeOfDay;
    private final ZoneTimeline timeline;

    CompiledCron(String expression, ZoneId zone, boolean fixedTime, long secondBits, long minuteBits,
            int hourBits, int monthBits, int[] dayMasks) {
        this.expression = expression;
        this.zone = zone;
        this.fixedTime = fixedTime;
        this.secondBits = secondBits;
        this.minuteBits = minuteBits;
        this.hourBits = hourBits;
        this.monthBits = monthBits;
        this.dayMasks = dayMasks.clone();
        this.firstSecond = Long.numberOfTrailingZeros(secondBits);
        this.firstMinute = Long.numberOfTrailingZeros(minuteBits);
        this.firstTimeOfDay = Integer.numberOfTrailingZeros(hourBits) * 3600 + firstMinute * 60 + firstSecond;
        this.timeline = ZoneTimeline.of(zone);
    }

    /**
     * The first fire strictly after an instant. Pure: reads no clock.
     *
     * @param after the instant to search from; any nanoseconds are honoured (fires are on whole seconds)
     * @return the next fire, or empty if none falls within {@value CivilDates#DAYS_PER_CYCLE} local days
     *         (one Gregorian cycle) or within the range of {@link Instant}
     * @throws NullPointerException if {@code after} is null
     */
    public Optional<Instant> nextFire(Instant after) {
        long t0 = after.getEpochSecond();
        long next = fixedTime ? nextFixedTime(t0) : nextWallClock(t0);
        if (next == NONE || next > Instant.MAX.getEpochSecond()) {
            return Optional.empty();
        }
        return Optional.of(Instant.ofEpochSecond(next));
    }

    /** @return the expression as it was compiled, white space folded, macros not expanded */
    public String expression() {
        return expression;
    }

    /** @return the zone whose wall clock the expression is read in */
    public ZoneId zone() {
        return zone;
    }

    /**
     * Whether the expression is fixed-time for the daylight-saving rule: neither its minute nor its hour field
     * starts with {@code *} (the seconds field does not matter).
     *
     * @return true for a fixed-time expression, false for a wildcard one that follows the wall clock
     */
    public boolean fixedTime() {
        return fixedTime;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompiledCron other && expression.equals(other.expression) && zone.equals(other.zone);
    }

    @Override
    public int hashCode() {
        return Objects.hash(expression, zone);
    }

    @Override
    public String toString() {
        return "CompiledCron[" + expression + " in " + zone + "]";
    }

    /**
     * Wall-clock semantics: walk the zone's constant-offset segments in instant order; inside one, local time
     * is monotonic, so the first matching local second that maps back into the segment is the answer.
     */
    private long nextWallClock(long t0) {
        long t = t0 + 1;
        int offset = timeline.offsetAt(t);
        long limitDay = Math.floorDiv(t + offset, CivilDates.SECONDS_PER_DAY) + SEARCH_DAYS;
        while (true) {
            long segmentEnd = timeline.nextTransition(t);
            long local = nextLocal(t + offset, limitDay);
            if (local == NONE) {
                return NONE;
            }
            if (segmentEnd == ZoneTimeline.NO_TRANSITION || local - offset < segmentEnd) {
                return local - offset;
            }
            t = segmentEnd;
            offset = timeline.offsetAt(t);
        }
    }

    /**
     * Fixed-time semantics: the first matching local time whose first pass (the transition instant if it is
     * in a gap) is after {@code t0}. First passes never decrease with local time and the local time of
     * {@code t0} maps to at most {@code t0}, so the scan starts one second after it.
     */
    private long nextFixedTime(long t0) {
        long local = t0 + timeline.offsetAt(t0) + 1;
        long limitDay = Math.floorDiv(local, CivilDates.SECONDS_PER_DAY) + SEARCH_DAYS;
        for (int step = 0; step < MAX_FIXED_STEPS; step++) {
            long candidate = nextLocal(local, limitDay);
            if (candidate == NONE) {
                return NONE;
            }
            long at = timeline.firstPass(candidate);
            if (at > t0) {
                return at;
            }
            local = timeline.skipTo(candidate, t0);
        }
        return NONE;
    }

    /** @return the first matching local second at or after {@code local}, or NONE past {@code limitDay} */
    private long nextLocal(long local, long limitDay) {
        long epochDay = Math.floorDiv(local, CivilDates.SECONDS_PER_DAY);
        int secondOfDay = (int) (local - epochDay * CivilDates.SECONDS_PER_DAY);
        long civil = CivilDates.civilFromDays(epochDay);
        long year = CivilDates.year(civil);
        int month = CivilDates.month(civil);
        int day = CivilDates.day(civil);
        while (epochDay <= limitDay) {
            if ((monthBits >>> month & 1) != 0) {
                long firstOfMonth = epochDay - (day - 1);
                int length = CivilDates.daysInMonth(year, month);
                int days = dayMasks[CivilDates.dayOfWeek(firstOfMonth) * 4 + length - 28] & (-1 << day);
                if (days != 0 && Integer.numberOfTrailingZeros(days) == day) {
                    int time = nextTimeOfDay(secondOfDay);
                    if (time >= 0) {
                        return epochDay * CivilDates.SECONDS_PER_DAY + time;
                    }
                    days &= days - 1;
                }
                if (days != 0) {
                    long matchDay = firstOfMonth + Integer.numberOfTrailingZeros(days) - 1;
                    return matchDay * CivilDates.SECONDS_PER_DAY + firstTimeOfDay;
                }
            }
            int nextMonths = monthBits & (-1 << (month + 1));
            if (nextMonths == 0) {
                year++;
                month = Integer.numberOfTrailingZeros(monthBits);
            } else {
                month = Integer.numberOfTrailingZeros(nextMonths);
            }
            day = 1;
            secondOfDay = 0;
            epochDay = CivilDates.daysFromCivil(year, month, 1);
        }
        return NONE;
    }

    /** @return the first matching second of the day at or after {@code secondOfDay}, or -1 */
    private int nextTimeOfDay(int secondOfDay) {
        int hour = secondOfDay / 3600;
        int rest = secondOfDay - hour * 3600;
        int minute = rest / 60;
        int second = rest - minute * 60;
        if ((hourBits >>> hour & 1) != 0) {
            if ((minuteBits >>> minute & 1) != 0) {
                long seconds = secondBits & (-1L << second);
                if (seconds != 0) {
                    return hour * 3600 + minute * 60 + Long.numberOfTrailingZeros(seconds);
                }
            }
            if (minute < 59) {
                long minutes = minuteBits & (-1L << (minute + 1));
                if (minutes != 0) {
                    return hour * 3600 + Long.numberOfTrailingZeros(minutes) * 60 + firstSecond;
                }
            }
        }
        if (hour < 23) {
            int hours = hourBits & (-1 << (hour + 1));
            if (hours != 0) {
                return Integer.numberOfTrailingZeros(hours) * 3600 + firstMinute * 60 + firstSecond;
            }
        }
        return -1;
    }
}
