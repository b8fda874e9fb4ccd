package dev.belfry.host.internal.cron;

import dev.belfry.host.internal.cron.CronCompiler.Accumulator;

/**
 * Which days of a month match the day-of-month and day-of-week fields. Every such rule (L, L-n, LW, nW, nL, n#k
 * and plain days) depends only on the weekday of the 1st and the length of the month, so all 28 cases are
 * worked out once at compile time and the search just indexes a table.
 */
final class DayRules {
    private DayRules() {
    }

    /**
     * @param bothMustMatch Vixie's rule: true when either field starts with {@code *} (a day must match both),
     *                      false when both are restricted (matching either is enough)
     * @return matching-day bit masks (bits 1-31), indexed by {@code firstDayOfWeek * 4 + daysInMonth - 28}
     */
    static int[] masks(Accumulator dayOfMonth, Accumulator dayOfWeek, boolean bothMustMatch) {
        int[] masks = new int[7 * 4];
        for (int firstDow = 0; firstDow < 7; firstDow++) {
            for (int length = 28; length <= 31; length++) {
                int mask = 0;
                for (int day = 1; day <= length; day++) {
                    boolean dom = dayOfMonthMatches(dayOfMonth, day, length, firstDow);
                    boolean dow = dayOfWeekMatches(dayOfWeek, day, length, (firstDow + day - 1) % 7);
                    if (bothMustMatch ? dom && dow : dom || dow) {
                        mask |= 1 << day;
                    }
                }
                masks[firstDow * 4 + length - 28] = mask;
            }
        }
        return masks;
    }

    /**
     * Every month starts on every weekday somewhere in the 400-year cycle, and February does so with 28 and
     * with 29 days, so an all-zero row for every month of the expression proves it can never match.
     */
    static boolean anyMatch(int[] masks, int monthBits) {
        for (int month = 1; month <= 12; month++) {
            if ((monthBits >>> month & 1) == 0) {
                continue;
            }
            int minLength = month == 2 ? 28 : CivilDates.daysInMonth(2001, month);
            int maxLength = month == 2 ? 29 : minLength;
            for (int firstDow = 0; firstDow < 7; firstDow++) {
                for (int length = minLength; length <= maxLength; length++) {
                    if (masks[firstDow * 4 + length - 28] != 0) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean dayOfMonthMatches(Accumulator f, int day, int length, int firstDow) {
        if ((f.bits >>> day & 1) != 0 || f.last && day == length) {
            return true;
        }
        int beforeLast = length - day;
        if (beforeLast >= 1 && beforeLast <= 30 && (f.lastMinus >>> beforeLast & 1) != 0) {
            return true;
        }
        if (f.lastWeekday && day == nearestWeekday(length, length, firstDow)) {
            return true;
        }
        for (int n = 1; n <= length; n++) {
            if ((f.nearestWeekday >>> n & 1) != 0 && nearestWeekday(n, length, firstDow) == day) {
                return true;
            }
        }
        return false;
    }

    /**
     * The weekday nearest to day {@code n} without leaving the month (Quartz's W): a Saturday moves to Friday,
     * or to Monday the 3rd when it is the 1st; a Sunday moves to Monday, or to Friday when it is the last day.
     */
    static int nearestWeekday(int n, int length, int firstDow) {
        int dow = (firstDow + n - 1) % 7;
        if (dow == 6) {
            return n == 1 ? 3 : n - 1;
        }
        if (dow == 0) {
            return n == length ? n - 2 : n + 1;
        }
        return n;
    }

    private static boolean dayOfWeekMatches(Accumulator f, int day, int length, int dow) {
        if ((f.bits >>> dow & 1) != 0) {
            return true;
        }
        if ((f.lastOfWeekday >>> dow & 1) != 0 && day + 7 > length) {
            return true;
        }
        int occurrence = (day - 1) / 7 + 1;
        return (f.nthWeekday >>> ((occurrence - 1) * 7 + dow) & 1) != 0;
    }
}
