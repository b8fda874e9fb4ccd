package dev.belfry.host.internal.cron;

import dev.belfry.api.schedule.InvalidScheduleException;
import java.time.Month;
import java.time.format.TextStyle;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Expands macros and checks every field of an expression against Belfry's cron grammar before cron-utils sees
 * it. cron-utils' own messages do not say which field is wrong and it accepts a few forms Belfry rejects
 * ({@code 5#6}, a bare {@code L} in day-of-week), so the check here is what gives users an exact, one-line reason.
 */
final class CronSyntax {
    static final Map<String, String> MACROS = Map.of(
            "@yearly", "0 0 1 1 *",
            "@annually", "0 0 1 1 *",
            "@monthly", "0 0 1 * *",
            "@weekly", "0 0 * * 0",
            "@daily", "0 0 * * *",
            "@midnight", "0 0 * * *",
            "@hourly", "0 * * * *");

    private static final String[] MONTH_NAMES =
            {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    private static final String[] DAY_NAMES = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

    /** One cron field: its name in messages and its value range. */
    enum Field {
        SECOND("second", 0, 59),
        MINUTE("minute", 0, 59),
        HOUR("hour", 0, 23),
        DAY_OF_MONTH("day-of-month", 1, 31),
        MONTH("month", 1, 12),
        DAY_OF_WEEK("day-of-week", 0, 7);

        final String label;
        final int min;
        final int max;

        Field(String label, int min, int max) {
            this.label = label;
            this.min = min;
            this.max = max;
        }
    }

    private static final Field[] FIVE = {Field.MINUTE, Field.HOUR, Field.DAY_OF_MONTH, Field.MONTH, Field.DAY_OF_WEEK};
    private static final Field[] SIX =
            {Field.SECOND, Field.MINUTE, Field.HOUR, Field.DAY_OF_MONTH, Field.MONTH, Field.DAY_OF_WEEK};

    /** An expression split into upper-cased fields, with the leading seconds field when it has one. */
    record Fields(String expression, String[] texts, Field[] kinds) {
        boolean hasSeconds() {
            return kinds.length == 6;
        }

        String text(Field field) {
            for (int i = 0; i < kinds.length; i++) {
                if (kinds[i] == field) {
                    return texts[i];
                }
            }
            return "0";
        }

        /**
         * The expression cron-utils parses: macros expanded, letters upper-cased, month and day names replaced
         * by numbers. cron-utils reads the name SUN as 7 even at the start of a range ({@code SUN-MON} fails),
         * while Belfry reads it as 0 there and as 7 only at a range end ({@code SAT-SUN}).
         */
        String normalized() {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < texts.length; i++) {
                out.append(i == 0 ? "" : " ").append(withNumbers(texts[i], kinds[i]));
            }
            return out.toString();
        }
    }

    private CronSyntax() {
    }

    private static final Pattern NAME = Pattern.compile("[A-Z]{3}");
    private static final Pattern SUNDAY_SEVEN_STEP = Pattern.compile("(^|,)7/\\d+");

    private static String withNumbers(String text, Field field) {
        if (field != Field.MONTH && field != Field.DAY_OF_WEEK) {
            return text;
        }
        Matcher m = NAME.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            int value = nameValue(m.group(), field);
            boolean rangeEnd = m.start() > 0 && text.charAt(m.start() - 1) == '-';
            if (field == Field.DAY_OF_WEEK && value == 0 && rangeEnd) {
                value = 7;
            }
            m.appendReplacement(out, Integer.toString(value));
        }
        m.appendTail(out);
        if (field == Field.DAY_OF_WEEK) {
            // cron-utils maps a step's start 7 to 0, turning 7/2 (just Sunday) into 0/2 (Sun Tue Thu Sat).
            return SUNDAY_SEVEN_STEP.matcher(out).replaceAll("$17");
        }
        return out.toString();
    }

    /**
     * Folds white space, expands a macro and checks every field.
     *
     * @param expression the expression as written
     * @return its fields
     * @throws InvalidScheduleException naming the field, the bad text and what is wrong with it
     */
    static Fields check(String expression) {
        String folded = expression.strip().replaceAll("\\s+", " ");
        if (folded.isEmpty()) {
            throw new InvalidScheduleException(expression, "cron expression is empty");
        }
        String body = folded;
        if (folded.startsWith("@")) {
            body = MACROS.get(folded.toLowerCase(Locale.ROOT));
            if (body == null) {
                throw new InvalidScheduleException(folded, "unknown macro \"" + folded
                        + "\" (known: @yearly @annually @monthly @weekly @daily @midnight @hourly)");
            }
        }
        String[] written = body.split(" ");
        String[] texts = body.toUpperCase(Locale.ROOT).split(" ");
        if (texts.length != 5 && texts.length != 6) {
            throw new InvalidScheduleException(folded, "expected 5 or 6 fields, found " + texts.length);
        }
        Field[] kinds = texts.length == 5 ? FIVE : SIX;
        for (int i = 0; i < texts.length; i++) {
            String problem = checkField(written[i], texts[i], kinds[i]);
            if (problem != null) {
                throw new InvalidScheduleException(folded,
                        "field " + (i + 1) + " (" + kinds[i].label + ") " + problem);
            }
        }
        return new Fields(folded, texts, kinds);
    }

    /** @return {@code "<quoted item>": <what is wrong>}, or null if the field is well formed */
    /** @param written the field as the user wrote it, quoted in messages; {@code text} is it upper-cased */
    private static String checkField(String written, String text, Field field) {
        if (text.equals("?")) {
            return dayField(field) ? null : quote(written, "? is allowed only in day-of-month and day-of-week");
        }
        String[] items = text.split(",", -1);
        String[] writtenItems = written.split(",", -1);
        for (int i = 0; i < items.length; i++) {
            String problem = checkItem(items[i], field);
            if (problem != null) {
                return quote(writtenItems[i], problem);
            }
        }
        return null;
    }

    private static String quote(String item, String problem) {
        return "\"" + item + "\": " + problem;
    }

    private static String checkItem(String item, Field field) {
        if (item.isEmpty()) {
            return "empty list element";
        }
        if (item.equals("?")) {
            return "? must stand alone as the whole field";
        }
        int slash = item.indexOf('/');
        if (slash >= 0) {
            String base = item.substring(0, slash);
            String step = item.substring(slash + 1);
            if (!isNumber(step)) {
                return "step is not a number";
            }
            int stepValue = number(step);
            if (stepValue < 1 || stepValue > field.max) {
                return "step out of range 1-" + field.max;
            }
            if (base.equals("*")) {
                return null;
            }
            if (base.isEmpty()) {
                return "a step needs *, a range or a start value before /";
            }
            String problem = checkPlain(base, field);
            return problem != null && isSpecial(base, field)
                    ? "a step needs *, a range or a start value before /" : problem;
        }
        if (item.equals("*")) {
            return null;
        }
        if (field == Field.DAY_OF_MONTH && isSpecial(item, field)) {
            return checkDayOfMonthSpecial(item);
        }
        if (field == Field.DAY_OF_WEEK && isSpecial(item, field)) {
            return checkDayOfWeekSpecial(item);
        }
        if (!dayField(field) && (item.contains("L") || item.contains("W") || item.contains("#"))
                && item.chars().allMatch(c -> Character.isDigit(c) || "LW#-".indexOf(c) >= 0)) {
            return "L, W and # are allowed only in day-of-month and day-of-week";
        }
        return checkPlain(item, field);
    }

    private static boolean dayField(Field field) {
        return field == Field.DAY_OF_MONTH || field == Field.DAY_OF_WEEK;
    }

    private static boolean isSpecial(String item, Field field) {
        if (field == Field.DAY_OF_MONTH) {
            return item.startsWith("L") || item.endsWith("W");
        }
        if (field == Field.DAY_OF_WEEK) {
            return item.endsWith("L") || item.contains("#");
        }
        return false;
    }

    private static String checkDayOfMonthSpecial(String item) {
        if (item.equals("L") || item.equals("LW")) {
            return null;
        }
        if (item.startsWith("L-")) {
            String n = item.substring(2);
            if (!isNumber(n)) {
                return "L-n needs a number of days before the last, e.g. L-3";
            }
            int value = number(n);
            return value >= 1 && value <= 30 ? null : "days before the last out of range 1-30";
        }
        if (item.endsWith("W")) {
            String n = item.substring(0, item.length() - 1);
            if (!isNumber(n)) {
                return "W needs a day before it, e.g. 15W, or LW for the last weekday";
            }
            int value = number(n);
            return value >= 1 && value <= 31 ? null : "value out of range 1-31";
        }
        return "L in day-of-month must be L, L-n or LW";
    }

    private static String checkDayOfWeekSpecial(String item) {
        if (item.contains("#")) {
            int hash = item.indexOf('#');
            String day = item.substring(0, hash);
            String nth = item.substring(hash + 1);
            String problem = checkValue(day, Field.DAY_OF_WEEK);
            if (problem != null) {
                return problem;
            }
            if (!isNumber(nth)) {
                return "# needs an occurrence 1-5 after it, e.g. 5#3";
            }
            int value = number(nth);
            return value >= 1 && value <= 5 ? null : "occurrence out of range 1-5";
        }
        String day = item.substring(0, item.length() - 1);
        if (day.isEmpty()) {
            return "L in day-of-week needs a weekday before it, e.g. 5L for the last Friday";
        }
        return checkValue(day, Field.DAY_OF_WEEK);
    }

    private static String checkPlain(String item, Field field) {
        int dash = item.indexOf('-');
        if (dash < 0) {
            return checkValue(item, field);
        }
        String from = item.substring(0, dash);
        String to = item.substring(dash + 1);
        String problem = checkValue(from, field);
        if (problem == null) {
            problem = checkValue(to, field);
        }
        if (problem != null) {
            return problem;
        }
        int low = value(from, field);
        int high = value(to, field);
        if (field == Field.DAY_OF_WEEK && to.equals("SUN")) {
            high = 7;  // MON-SUN reads naturally; cron-utils takes a trailing SUN as 7 too
        }
        return low <= high ? null : "range runs backwards (no wrap-around; split it, e.g. 22-23,0-2)";
    }

    private static String checkValue(String text, Field field) {
        if (text.isEmpty()) {
            return "missing value";
        }
        if (isNumber(text)) {
            int value = number(text);
            return value >= field.min && value <= field.max
                    ? null : "value out of range " + field.min + "-" + field.max;
        }
        if (nameValue(text, field) >= 0) {
            return null;
        }
        if (field == Field.MONTH) {
            return "not a number 1-12 or a month name JAN-DEC";
        }
        if (field == Field.DAY_OF_WEEK) {
            return "not a number 0-7 or a day name SUN-SAT";
        }
        return "not a number";
    }

    private static int value(String text, Field field) {
        return isNumber(text) ? number(text) : nameValue(text, field);
    }

    private static int nameValue(String text, Field field) {
        String[] names = field == Field.MONTH ? MONTH_NAMES : field == Field.DAY_OF_WEEK ? DAY_NAMES : new String[0];
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(text)) {
                return field == Field.MONTH ? i + 1 : i;
            }
        }
        return -1;
    }

    private static boolean isNumber(String text) {
        return !text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** Digit strings too long for an int are simply out of any field's range. */
    private static int number(String text) {
        return text.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(text);
    }

    static String monthName(int month) {
        return Month.of(month).getDisplayName(TextStyle.FULL, Locale.ENGLISH);
    }
}
