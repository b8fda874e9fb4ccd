package dev.belfry.host.internal.cron;

import dev.belfry.host.internal.cron.CronCompiler.Accumulator;
import java.time.DayOfWeek;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Words a compiled expression the way a person would say it ("every 15 minutes from 09:00 to 17:45, Monday to
 * Friday"), from the same value sets the engine fires from, so the words cannot promise other times than the
 * engine keeps. Runs of values become ranges, evenly spaced values become "every n", and the day fields follow
 * Vixie cron: when both are restricted a day matching either fires.
 */
final class CronDescription {
    private static final String[] NTH = {"first", "second", "third", "fourth", "fifth"};
    /** Weekdays in the order people list them: Monday first, Sunday (0) last. */
    private static final int[] WEEK_ORDER = {1, 2, 3, 4, 5, 6, 0};
    /** Beyond this many fire times a day, they are summarised rather than listed. */
    private static final int TIMES_LISTED = 6;
    /** Beyond this many separate hour ranges, the hours are listed as numbers rather than as time windows. */
    private static final int WINDOWS_LISTED = 3;
    private static final String OF_THE_MONTH = " of the month";

    private CronDescription() {
    }

    /**
     * @param seconds    bits 0-59 of the seconds that fire (bit 0 alone for a 5-field expression)
     * @param minutes    bits 0-59
     * @param hours      bits 0-23
     * @param dayOfMonth the day-of-month field's values and special days
     * @param months     bits 1-12
     * @param dayOfWeek  the day-of-week field's values (bits 0-6, Sunday 0) and special days
     * @param domStar    the day-of-month field does not restrict ({@code *} or {@code ?})
     * @param dowStar    the day-of-week field does not restrict
     * @return the description
     */
    static String describe(long seconds, long minutes, long hours, Accumulator dayOfMonth, long months,
                           Accumulator dayOfWeek, boolean domStar, boolean dowStar) {
        String time = timeOfDay(values(seconds, 0, 59), values(minutes, 0, 59), values(hours, 0, 23));
        String days = days(dayOfMonth, dayOfWeek, domStar, dowStar);
        int[] monthValues = values(months, 1, 12);
        String monthList = monthValues.length == 12 ? "" : joinAnd(runs(monthValues, 3, CronSyntax::monthName));
        if (days.isEmpty()) {
            if (!monthList.isEmpty()) {
                return time + ", every day in " + monthList;
            }
            // a time that repeats all day long already says "every"; one bound to some hours needs the days said
            return values(hours, 0, 23).length == 24 ? time : time + ", every day";
        }
        if (monthList.isEmpty()) {
            return time + ", " + days;
        }
        if (days.contains(OF_THE_MONTH) && !days.contains(" or ")) {
            return time + ", " + days.replace(OF_THE_MONTH, " of " + monthList);
        }
        return time + ", " + days + ", in " + monthList;
    }

    // ---- time of day

    private static String timeOfDay(int[] s, int[] m, int[] h) {
        if (s.length == 1) {
            return minutesAndHours(s[0], m, h);
        }
        String every = secondsPhrase(s);
        boolean allMinutes = m.length == 60;
        if (allMinutes && h.length == 24) {
            return every.startsWith("every") && evenStep(s, 60) > 0 ? every : every + " of every minute";
        }
        if (allMinutes) {
            List<String> windows = new ArrayList<>();
            for (int[] run : runs(h)) {
                windows.add("from " + clock(run[0], 0) + " until " + untilHour(run[1]));
            }
            if (windows.size() <= WINDOWS_LISTED) {
                return every + " " + joinAnd(windows);
            }
        }
        if (m.length * h.length <= TIMES_LISTED) {
            return every + " during the minute" + (m.length * h.length == 1 ? " " : "s ") + joinAnd(times(0, m, h));
        }
        return every + " during " + minuteList(m) + " of " + hourList(h);
    }

    private static String secondsPhrase(int[] s) {
        int step = evenStep(s, 60);
        if (step == 1) {
            return "every second";
        }
        if (step > 0) {
            return "every " + step + " seconds" + (s[0] == 0 ? "" : " starting at second " + s[0]);
        }
        step = progression(s);
        if (s.length >= 3 && step > 0) {
            return "every " + (step == 1 ? "second" : step + " seconds") + " from second " + s[0] + " to second "
                    + s[s.length - 1];
        }
        return "at seconds " + joinAnd(numbers(s));
    }

    private static String minutesAndHours(int second, int[] m, int[] h) {
        boolean allHours = h.length == 24;
        if (m.length == 60) {
            if (allHours) {
                return "every minute" + (second == 0 ? "" : " at second " + second);
            }
            return windows("every minute", second, 0, 59, h);
        }
        int step = evenStep(m, 60);
        if (step > 0) {
            String every = "every " + step + " minutes";
            if (allHours && m[0] == 0 && second == 0) {
                return every;
            }
            return windows(every, second, m[0], m[m.length - 1], h);
        }
        if (m.length == 1) {
            int minute = m[0];
            if (allHours) {
                return minute == 0 && second == 0 ? "every hour"
                        : "every hour at minute " + minute + (second == 0 ? "" : ", second " + second);
            }
            int hourStep = progression(h);
            if (h.length >= 3 && hourStep > 0) {
                return (hourStep == 1 ? "every hour" : "every " + hourStep + " hours") + " from "
                        + clock(h[0], minute, second) + " to " + clock(h[h.length - 1], minute, second);
            }
        }
        if (m.length * h.length <= TIMES_LISTED) {
            return "at " + joinAnd(times(second, m, h));
        }
        String ofHours = " of " + (allHours ? "every hour" : hourList(h));
        step = progression(m);
        if (m.length >= 3 && step > 0) {
            // evenly spaced within the hour but not across it, such as */7 (…, 49, 56, then 0 of the next hour)
            return "every " + (step == 1 ? "minute" : step + " minutes") + " from minute " + m[0] + " to minute "
                    + m[m.length - 1] + ofHours + (second == 0 ? "" : ", at second " + second);
        }
        return (second == 0 ? "at " : "at second " + second + " of ") + minuteList(m) + ofHours;
    }

    /** "every 15 minutes from 09:00 to 17:45": each run of hours is a window from its first to its last fire. */
    private static String windows(String every, int second, int firstMinute, int lastMinute, int[] h) {
        List<int[]> runs = runs(h);
        if (runs.size() > WINDOWS_LISTED) {
            return every + " during " + hourList(h);
        }
        List<String> windows = new ArrayList<>();
        for (int[] run : runs) {
            windows.add("from " + clock(run[0], firstMinute, second) + " to " + clock(run[1], lastMinute, second));
        }
        return every + " " + joinAnd(windows);
    }

    private static String minuteList(int[] m) {
        return (m.length == 1 ? "minute " : "minutes ") + joinAnd(runs(m, 3, Integer::toString));
    }

    /** "hours 8 to 10 and 20", or "every 2nd hour from hour 0 to hour 22" for evenly spaced hours. */
    private static String hourList(int[] h) {
        int step = progression(h);
        if (h.length >= 3 && step > 1) {
            return "every " + ordinal(step) + " hour from hour " + h[0] + " to hour " + h[h.length - 1];
        }
        return (h.length == 1 ? "hour " : "hours ") + joinAnd(runs(h, 3, Integer::toString));
    }

    private static List<String> times(int second, int[] m, int[] h) {
        List<String> times = new ArrayList<>();
        for (int hour : h) {
            for (int minute : m) {
                times.add(clock(hour, minute, second));
            }
        }
        return times;
    }

    private static String clock(int hour, int minute) {
        return String.format(Locale.ROOT, "%02d:%02d", hour, minute);
    }

    private static String clock(int hour, int minute, int second) {
        return second == 0 ? clock(hour, minute) : clock(hour, minute) + String.format(Locale.ROOT, ":%02d", second);
    }

    private static String untilHour(int lastHour) {
        return lastHour == 23 ? "midnight" : clock(lastHour + 1, 0);
    }

    // ---- days

    /**
     * Vixie's rule: if either day field starts with {@code *} (or is {@code ?}) a day must match both fields, else it
     * must match either. A field whose values cover every day adds nothing to say.
     */
    private static String days(Accumulator dom, Accumulator dow, boolean domStar, boolean dowStar) {
        boolean domEveryDay = values(dom.bits, 1, 31).length == 31;
        boolean dowEveryDay = values(dow.bits, 0, 6).length == 7;
        if (domStar || dowStar) {
            if (domEveryDay && dowEveryDay) {
                return "";
            }
            if (dowEveryDay) {
                return dayOfMonth(dom);
            }
            if (domEveryDay) {
                return dayOfWeek(dow, false);
            }
            return dayOfMonth(dom) + ", if it falls on " + dayOfWeek(dow, true).substring("on ".length());
        }
        if (domEveryDay || dowEveryDay) {
            return "";
        }
        return dayOfMonth(dom) + " or " + dayOfWeek(dow, true);
    }

    private static String dayOfMonth(Accumulator dom) {
        List<String> items = new ArrayList<>();
        int[] days = values(dom.bits, 1, 31);
        int step = progression(days);
        if (days.length >= 4 && step > 1) {
            items.add("every " + ordinal(step) + " day from the " + ordinal(days[0]) + " to the "
                    + ordinal(days[days.length - 1]));
        } else {
            for (int[] run : runs(days)) {
                items.add(run[1] - run[0] >= 2 ? "the " + ordinal(run[0]) + " to the " + ordinal(run[1])
                        : run[0] == run[1] ? "the " + ordinal(run[0])
                        : "the " + ordinal(run[0]) + " and the " + ordinal(run[1]));
            }
        }
        for (int day : values(dom.nearestWeekday, 1, 31)) {
            items.add("the weekday nearest the " + ordinal(day));
        }
        for (int before : values(dom.lastMinus, 1, 30)) {
            items.add("the " + ordinal(before + 1) + "-to-last day");
        }
        if (dom.last) {
            items.add("the last day");
        }
        if (dom.lastWeekday) {
            items.add("the last weekday");
        }
        return "on " + joinAnd(items) + OF_THE_MONTH;
    }

    private static String dayOfWeek(Accumulator dow, boolean alwaysOn) {
        List<String> items = new ArrayList<>();
        List<Integer> plain = new ArrayList<>();
        for (int d : WEEK_ORDER) {
            if ((dow.bits >>> d & 1) != 0) {
                plain.add(d);
            }
        }
        List<String> plainItems = weekdayRuns(plain);
        items.addAll(plainItems);
        for (int nth = 1; nth <= NTH.length; nth++) {
            for (int d : WEEK_ORDER) {
                if ((dow.nthWeekday >>> ((nth - 1) * 7 + d) & 1) != 0) {
                    items.add("the " + NTH[nth - 1] + " " + weekday(d) + OF_THE_MONTH);
                }
            }
        }
        for (int d : WEEK_ORDER) {
            if ((dow.lastOfWeekday >>> d & 1) != 0) {
                items.add("the last " + weekday(d) + OF_THE_MONTH);
            }
        }
        boolean oneRange = items.size() == 1 && plainItems.size() == 1 && plain.size() >= 3;
        return (oneRange && !alwaysOn ? "" : "on ") + joinAnd(items);
    }

    /** Weekdays in week order, with three or more consecutive days as one range ("Monday to Friday"). */
    private static List<String> weekdayRuns(List<Integer> days) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < days.size()) {
            int j = i;
            while (j + 1 < days.size() && position(days.get(j + 1)) == position(days.get(j)) + 1) {
                j++;
            }
            if (j - i >= 2) {
                out.add(weekday(days.get(i)) + " to " + weekday(days.get(j)));
            } else {
                for (int k = i; k <= j; k++) {
                    out.add(weekday(days.get(k)));
                }
            }
            i = j + 1;
        }
        return out;
    }

    private static int position(int weekday) {
        return weekday == 0 ? 7 : weekday;
    }

    private static String weekday(int cronDay) {
        return DayOfWeek.of(cronDay == 0 ? 7 : cronDay).getDisplayName(TextStyle.FULL, Locale.ENGLISH);
    }

    // ---- value sets

    private static int[] values(long bits, int min, int max) {
        return java.util.stream.IntStream.rangeClosed(min, max).filter(v -> (bits >>> v & 1) != 0).toArray();
    }

    /** The common difference of at least two values, or 0 if they are not evenly spaced. */
    private static int progression(int[] v) {
        if (v.length < 2) {
            return 0;
        }
        int step = v[1] - v[0];
        for (int i = 2; i < v.length; i++) {
            if (v[i] - v[i - 1] != step) {
                return 0;
            }
        }
        return step;
    }

    /** The step of values evenly spaced across a cycle (the gap from the last to the next cycle's first too). */
    private static int evenStep(int[] v, int cycle) {
        int step = progression(v);
        return step > 0 && v[0] + cycle - v[v.length - 1] == step ? step : 0;
    }

    /** Consecutive values grouped as [first, last] pairs. */
    private static List<int[]> runs(int[] v) {
        List<int[]> out = new ArrayList<>();
        int i = 0;
        while (i < v.length) {
            int j = i;
            while (j + 1 < v.length && v[j + 1] == v[j] + 1) {
                j++;
            }
            out.add(new int[] {v[i], v[j]});
            i = j + 1;
        }
        return out;
    }

    /** Values as words, with runs of at least {@code minRun} written "first to last". */
    private static List<String> runs(int[] v, int minRun, java.util.function.IntFunction<String> name) {
        List<String> out = new ArrayList<>();
        for (int[] run : runs(v)) {
            if (run[1] - run[0] + 1 >= minRun) {
                out.add(name.apply(run[0]) + " to " + name.apply(run[1]));
            } else {
                for (int x = run[0]; x <= run[1]; x++) {
                    out.add(name.apply(x));
                }
            }
        }
        return out;
    }

    private static List<String> numbers(int[] v) {
        return java.util.Arrays.stream(v).mapToObj(Integer::toString).toList();
    }

    private static String ordinal(int n) {
        int lastTwo = n % 100;
        String suffix = lastTwo >= 11 && lastTwo <= 13 ? "th"
                : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
        return n + suffix;
    }

    private static String joinAnd(List<String> items) {
        if (items.size() <= 1) {
            return String.join("", items);
        }
        return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.get(items.size() - 1);
    }
}
