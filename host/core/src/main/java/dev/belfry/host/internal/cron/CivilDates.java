package dev.belfry.host.internal.cron;

/**
 * Proleptic Gregorian calendar arithmetic on primitives, so the next-fire search allocates nothing. Days are
 * counted from 1970-01-01 (day 0); a civil date is packed into one {@code long} as {@code year << 9 | month << 5 |
 * day}.
 */
final class CivilDates {
    static final int SECONDS_PER_DAY = 86_400;

    /** Days in one 400-year Gregorian cycle; the calendar, weekdays included, repeats after it. */
    static final int DAYS_PER_CYCLE = 146_097;

    /** Day number of 0000-03-01 counted back from 1970-01-01: shifting to a March-based year puts leap days last. */
    private static final long MARCH_ZERO_TO_EPOCH = 719_468;

    private CivilDates() {
    }

    /**
     * @param epochDay days since 1970-01-01
     * @return the civil date packed as {@code year << 9 | month << 5 | day}
     */
    static long civilFromDays(long epochDay) {
        long z = epochDay + MARCH_ZERO_TO_EPOCH;
        long cycle = Math.floorDiv(z, DAYS_PER_CYCLE);
        long dayOfCycle = z - cycle * DAYS_PER_CYCLE;
        // Year of the cycle, with years starting on March 1: remove the leap days before dividing by 365.
        long yearOfCycle = (dayOfCycle - dayOfCycle / 1460 + dayOfCycle / 36_524 - dayOfCycle / 146_096) / 365;
        long dayOfYear = dayOfCycle - (365 * yearOfCycle + yearOfCycle / 4 - yearOfCycle / 100);
        // Months from March have lengths 31 30 31 30 31 | 31 30 31 30 31 | 31 28/29: a 153-day five-month rhythm.
        long marchMonth = (5 * dayOfYear + 2) / 153;
        long day = dayOfYear - (153 * marchMonth + 2) / 5 + 1;
        long month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9;
        long year = yearOfCycle + cycle * 400 + (month <= 2 ? 1 : 0);
        return year << 9 | month << 5 | day;
    }

    static int year(long packed) {
        return (int) (packed >> 9);
    }

    static int month(long packed) {
        return (int) (packed >> 5) & 0xF;
    }

    static int day(long packed) {
        return (int) packed & 0x1F;
    }

    /**
     * @param year  proleptic year
     * @param month 1-12
     * @param day   1-31
     * @return days since 1970-01-01
     */
    static long daysFromCivil(long year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long cycle = Math.floorDiv(y, 400);
        long yearOfCycle = y - cycle * 400;
        int marchMonth = month > 2 ? month - 3 : month + 9;
        long dayOfYear = (153L * marchMonth + 2) / 5 + day - 1;
        long dayOfCycle = yearOfCycle * 365 + yearOfCycle / 4 - yearOfCycle / 100 + dayOfYear;
        return cycle * DAYS_PER_CYCLE + dayOfCycle - MARCH_ZERO_TO_EPOCH;
    }

    /** @return 0 for Sunday through 6 for Saturday */
    static int dayOfWeek(long epochDay) {
        // 1970-01-01 was a Thursday.
        return (int) Math.floorMod(epochDay + 4, 7L);
    }

    static boolean isLeap(long year) {
        return (year & 3) == 0 && (year % 100 != 0 || year % 400 == 0);
    }

    static int daysInMonth(long year, int month) {
        if (month == 2) {
            return isLeap(year) ? 29 : 28;
        }
        // 31 for Jan Mar May Jul Aug Oct Dec: odd months up to July, even months from August.
        return 30 + ((month + (month >> 3)) & 1);
    }
}
