package dev.belfry.host.internal.cron;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A slow, obviously-correct reference for tests: its own parser (sharing no code with the product), day rules
 * written with java.time, and a next-fire search that walks instants and applies the daylight-saving rule
 * literally. It only skips instants it has shown cannot match (a non-matching local day, hour or minute within
 * one constant-offset stretch), and visits every transition instant.
 */
final class ReferenceCron {
    private static final Map<String, String> MACROS = Map.of("@YEARLY", "0 0 1 1 *", "@ANNUALLY", "0 0 1 1 *",
            "@MONTHLY", "0 0 1 * *", "@WEEKLY", "0 0 * * 0", "@DAILY", "0 0 * * *", "@MIDNIGHT", "0 0 * * *",
            "@HOURLY", "0 * * * *");
    private static final List<String> MONTHS =
            List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
    private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

    private final boolean[] seconds;
    private final boolean[] minutes;
    private final boolean[] hours;
    private final boolean[] months;
    private final String[] dayOfMonthItems;
    private final String[] dayOfWeekItems;
    private final boolean eitherDay;
    final boolean fixedTime;

    ReferenceCron(String expression) {
        String body = expression.trim().toUpperCase(Locale.ROOT);
        body = MACROS.getOrDefault(body, body);
        String[] f = body.split("\\s+");
        if (f.length == 5) {
            f = new String[] {"0", f[0], f[1], f[2], f[3], f[4]};
        }
        seconds = set(f[0], 0, 59, List.of());
        minutes = set(f[1], 0, 59, List.of());
        hours = set(f[2], 0, 23, List.of());
        months = set(f[4], 1, 12, MONTHS);
        dayOfMonthItems = f[3].split(",");
        dayOfWeekItems = f[5].split(",");
        boolean domFree = f[3].startsWith("*") || f[3].equals("?");
        boolean dowFree = f[5].startsWith("*") || f[5].equals("?");
        eitherDay = !domFree && !dowFree;
        fixedTime = !f[1].startsWith("*") && !f[2].startsWith("*");
    }

    private static int value(String s, List<String> names) {
        int i = names.indexOf(s);
        if (i >= 0) {
            return names == MONTHS ? i + 1 : i;
        }
        return Integer.parseInt(s);
    }

    private static boolean[] set(String field, int min, int max, List<String> names) {
        boolean[] out = new boolean[max + 1];
        for (String item : field.split(",")) {
            int step = 1;
            String base = item;
            if (item.contains("/")) {
                step = Integer.parseInt(item.substring(item.indexOf('/') + 1));
                base = item.substring(0, item.indexOf('/'));
            }
            int from;
            int to;
            if (base.equals("*") || base.equals("?")) {
                from = min;
                to = max;
            } else if (base.contains("-")) {
                from = value(base.substring(0, base.indexOf('-')), names);
                String end = base.substring(base.indexOf('-') + 1);
                to = names == DAYS && end.equals("SUN") ? 7 : value(end, names);
            } else {
                from = value(base, names);
                to = item.contains("/") ? max : from;
            }
            for (int v = from; v <= to; v += step) {
                out[v] = true;
            }
        }
        return out;
    }

    boolean matches(LocalDateTime t) {
        return seconds[t.getSecond()] && minutes[t.getMinute()] && hours[t.getHour()]
                && months[t.getMonthValue()] && dayMatches(t.toLocalDate());
    }

    boolean dayMatches(LocalDate d) {
        boolean dom = false;
        for (String item : dayOfMonthItems) {
            dom |= dayOfMonthItem(item, d);
        }
        boolean dow = false;
        for (String item : dayOfWeekItems) {
            dow |= dayOfWeekItem(item, d);
        }
        return eitherDay ? dom || dow : dom && dow;
    }

    private static boolean dayOfMonthItem(String item, LocalDate d) {
        int last = d.lengthOfMonth();
        if (item.equals("L")) {
            return d.getDayOfMonth() == last;
        }
        if (item.startsWith("L-")) {
            return d.getDayOfMonth() == last - Integer.parseInt(item.substring(2));
        }
        if (item.equals("LW")) {
            LocalDate x = d.withDayOfMonth(last);
            while (x.getDayOfWeek() == DayOfWeek.SATURDAY || x.getDayOfWeek() == DayOfWeek.SUNDAY) {
                x = x.minusDays(1);
            }
            return x.equals(d);
        }
        if (item.endsWith("W")) {
            int n = Integer.parseInt(item.substring(0, item.length() - 1));
            if (n > last) {
                return false;
            }
            LocalDate x = d.withDayOfMonth(n);
            if (x.getDayOfWeek() == DayOfWeek.SATURDAY) {
                x = n == 1 ? x.plusDays(2) : x.minusDays(1);
            } else if (x.getDayOfWeek() == DayOfWeek.SUNDAY) {
                x = n == last ? x.minusDays(2) : x.plusDays(1);
            }
            return x.equals(d);
        }
        return set(item, 1, 31, List.of())[d.getDayOfMonth()];
    }

    private static boolean dayOfWeekItem(String item, LocalDate d) {
        int dow = d.getDayOfWeek().getValue() % 7;
        if (item.contains("#")) {
            int day = value(item.substring(0, item.indexOf('#')), DAYS) % 7;
            int k = Integer.parseInt(item.substring(item.indexOf('#') + 1));
            return dow == day && (d.getDayOfMonth() - 1) / 7 + 1 == k;
        }
        if (item.endsWith("L")) {
            int day = value(item.substring(0, item.length() - 1), DAYS) % 7;
            return dow == day && d.plusWeeks(1).getMonth() != d.getMonth();
        }
        boolean[] days = set(item, 0, 7, DAYS);
        return days[dow] || dow == 0 && days[7];
    }

    /**
     * The first fire in (after, until], by the rule applied literally to each instant: a wildcard expression
     * fires whenever the wall clock matches; a fixed-time one fires when the wall clock matches on its first
     * pass, and at a spring-forward instant if any wall time skipped there matches.
     */
    Optional<Instant> next(ZoneId zone, Instant after, Instant until) {
        ZoneRules rules = zone.getRules();
        long t = after.getEpochSecond() + 1;
        long end = until.getEpochSecond();
        while (t <= end) {
            Instant at = Instant.ofEpochSecond(t);
            ZoneOffset offset = rules.getOffset(at);
            LocalDateTime local = LocalDateTime.ofEpochSecond(t, 0, offset);
            ZoneOffsetTransition arriving = rules.nextTransition(Instant.ofEpochSecond(t - 1));
            if (fixedTime && arriving != null && arriving.getInstant().getEpochSecond() == t && arriving.isGap()
                    && gapMatches(arriving)) {
                return Optional.of(at);
            }
            if (matches(local)) {
                if (!fixedTime) {
                    return Optional.of(at);
                }
                List<ZoneOffset> valid = rules.getValidOffsets(local);
                boolean secondPass = valid.size() == 2
                        && offset.getTotalSeconds() == Math.min(valid.get(0).getTotalSeconds(),
                                valid.get(1).getTotalSeconds());
                if (!secondPass) {
                    return Optional.of(at);
                }
            }
            long skip = 1;
            if (!months[local.getMonthValue()] || !dayMatches(local.toLocalDate())) {
                skip = 86_400 - local.toLocalTime().toSecondOfDay();
            } else if (!hours[local.getHour()]) {
                skip = 3600 - local.getMinute() * 60 - local.getSecond();
            } else if (!minutes[local.getMinute()]) {
                skip = 60 - local.getSecond();
            }
            ZoneOffsetTransition next = rules.nextTransition(at);
            long nextTransition = next == null ? Long.MAX_VALUE : next.getInstant().getEpochSecond();
            t = Math.min(t + skip, nextTransition);
        }
        return Optional.empty();
    }

    private boolean gapMatches(ZoneOffsetTransition gap) {
        LocalDateTime x = gap.getDateTimeBefore();
        while (x.isBefore(gap.getDateTimeAfter())) {
            if (matches(x)) {
                return true;
            }
            x = x.plusSeconds(1);
        }
        return false;
    }
}
