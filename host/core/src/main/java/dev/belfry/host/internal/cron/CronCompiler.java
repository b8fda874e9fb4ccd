package dev.belfry.host.internal.cron;

import com.cronutils.model.Cron;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.field.CronField;
import com.cronutils.model.field.CronFieldName;
import com.cronutils.model.field.expression.Always;
import com.cronutils.model.field.expression.And;
import com.cronutils.model.field.expression.Between;
import com.cronutils.model.field.expression.Every;
import com.cronutils.model.field.expression.FieldExpression;
import com.cronutils.model.field.expression.On;
import com.cronutils.model.field.expression.QuestionMark;
import com.cronutils.model.field.value.FieldValue;
import com.cronutils.model.field.value.IntegerFieldValue;
import com.cronutils.model.field.value.SpecialChar;
import com.cronutils.parser.CronParser;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.host.internal.cron.CronSyntax.Field;
import dev.belfry.host.internal.cron.CronSyntax.Fields;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Parses, validates and compiles cron expressions; the only way to obtain a {@link CompiledCron}.
 *
 * <p>An expression is checked field by field (for messages that name the field), parsed by cron-utils with
 * Belfry's own 5- and 6-field definitions, and its parsed fields are compiled to bit sets. An expression that
 * can provably never match is rejected. Results are cached, keyed by expression and zone.
 */
public final class CronCompiler {
    /** Compiled expressions kept; compiling is cheap, this only spares repeated parsing of the same jobs. */
    static final int CACHE_SIZE = 10_000;

    private static final Cache<Key, CompiledCron> CACHE = Caffeine.newBuilder().maximumSize(CACHE_SIZE).build();
    private static final CronDefinition FIVE_FIELDS = definition(false);
    private static final CronDefinition SIX_FIELDS = definition(true);

    private record Key(String expression, ZoneId zone) {
    }

    private CronCompiler() {
    }

    /**
     * Parses, validates and compiles an expression, or returns the cached result of doing so.
     *
     * @param expression a 5-field Unix expression, a 6-field one with leading seconds, or a macro such as
     *                   {@code @daily}; runs of white space count as one space
     * @param zone       the zone whose wall clock the expression is read in
     * @return the compiled expression
     * @throws InvalidScheduleException if the expression is malformed or can never match; the reason names the
     *                                  field and the bad text
     * @throws NullPointerException     if an argument is null
     */
    public static CompiledCron compile(String expression, ZoneId zone) {
        Objects.requireNonNull(expression, "expression");
        Objects.requireNonNull(zone, "zone");
        String folded = expression.strip().replaceAll("\\s+", " ");
        return CACHE.get(new Key(folded, zone), key -> build(key.expression(), key.zone()));
    }

    /**
     * Describes an expression in English as a person would say it, such as "every 15 minutes from 09:00 to 17:45,
     * Monday to Friday" or "at 09:00, on the second Monday of the month"; a macro is described by what it expands
     * to. The words come from the same value sets the engine fires from.
     *
     * @param expression the expression, as for {@link #compile(String, ZoneId)}
     * @return the description; times are wall-clock times of the zone the expression is read in
     * @throws InvalidScheduleException if the expression is malformed
     * @throws NullPointerException     if the expression is null
     */
    public static String describe(String expression) {
        Objects.requireNonNull(expression, "expression");
        Fields fields = CronSyntax.check(expression);
        Cron cron = parse(fields);
        Accumulator dayOfWeek = collect(cron, CronFieldName.DAY_OF_WEEK, Field.DAY_OF_WEEK);
        foldSunday(dayOfWeek);
        return CronDescription.describe(
                fields.hasSeconds() ? collect(cron, CronFieldName.SECOND, Field.SECOND).bits : 1L,
                collect(cron, CronFieldName.MINUTE, Field.MINUTE).bits,
                collect(cron, CronFieldName.HOUR, Field.HOUR).bits,
                collect(cron, CronFieldName.DAY_OF_MONTH, Field.DAY_OF_MONTH),
                collect(cron, CronFieldName.MONTH, Field.MONTH).bits,
                dayOfWeek,
                unrestricted(fields.text(Field.DAY_OF_MONTH)),
                unrestricted(fields.text(Field.DAY_OF_WEEK)));
    }

    private static CompiledCron build(String expression, ZoneId zone) {
        Fields fields = CronSyntax.check(expression);
        Cron cron = parse(fields);
        Accumulator second = fields.hasSeconds() ? collect(cron, CronFieldName.SECOND, Field.SECOND) : null;
        Accumulator minute = collect(cron, CronFieldName.MINUTE, Field.MINUTE);
        Accumulator hour = collect(cron, CronFieldName.HOUR, Field.HOUR);
        Accumulator dayOfMonth = collect(cron, CronFieldName.DAY_OF_MONTH, Field.DAY_OF_MONTH);
        Accumulator month = collect(cron, CronFieldName.MONTH, Field.MONTH);
        Accumulator dayOfWeek = collect(cron, CronFieldName.DAY_OF_WEEK, Field.DAY_OF_WEEK);
        foldSunday(dayOfWeek);

        boolean domStar = unrestricted(fields.text(Field.DAY_OF_MONTH));
        boolean dowStar = unrestricted(fields.text(Field.DAY_OF_WEEK));
        int[] dayMasks = DayRules.masks(dayOfMonth, dayOfWeek, domStar || dowStar);
        int monthBits = (int) month.bits;
        if (!DayRules.anyMatch(dayMasks, monthBits)) {
            throw new InvalidScheduleException(fields.expression(), neverMatches(fields, monthBits, dowStar));
        }
        boolean fixedTime = !fields.text(Field.MINUTE).startsWith("*") && !fields.text(Field.HOUR).startsWith("*");
        return new CompiledCron(expression, zone, fixedTime, second == null ? 1L : second.bits, minute.bits,
                (int) hour.bits, monthBits, dayMasks);
    }

    private static void foldSunday(Accumulator dayOfWeek) {
        if ((dayOfWeek.bits & (1L << 7)) != 0) {
            dayOfWeek.bits = (dayOfWeek.bits & 0x7F) | 1;  // 7 is Sunday too
        }
    }

    /** Vixie cron's test: a day field that starts with {@code *} (or is {@code ?}) does not restrict. */
    private static boolean unrestricted(String text) {
        return text.startsWith("*") || text.equals("?");
    }

    private static String neverMatches(Fields fields, int monthBits, boolean dowStar) {
        List<String> months = new ArrayList<>();
        for (int m = 1; m <= 12; m++) {
            if ((monthBits >>> m & 1) != 0) {
                months.add(CronSyntax.monthName(m));
            }
        }
        String monthList = months.size() == 12 ? "any month" : joinOr(months);
        String dom = fields.text(Field.DAY_OF_MONTH);
        if (dowStar) {
            return "never matches (day " + dom + " of " + monthList + ")";
        }
        return "never matches (day " + dom + " and day-of-week " + fields.text(Field.DAY_OF_WEEK)
                + " never coincide in " + monthList + ")";
    }

    private static String joinOr(List<String> items) {
        if (items.size() == 1) {
            return items.get(0);
        }
        return String.join(", ", items.subList(0, items.size() - 1)) + " or " + items.get(items.size() - 1);
    }

    private static Cron parse(Fields fields) {
        CronParser parser = new CronParser(fields.hasSeconds() ? SIX_FIELDS : FIVE_FIELDS);
        try {
            return parser.parse(fields.normalized());
        } catch (IllegalArgumentException e) {
            // The field check above should have caught it; say what cron-utils said rather than nothing.
            throw new InvalidScheduleException(fields.expression(), "not accepted by cron-utils: " + e.getMessage());
        }
    }

    /**
     * Belfry's cron-utils definition, public so that tests and benchmarks compare Belfry with cron-utils reading
     * exactly the same syntax.
     *
     * @param seconds the 6-field form with leading seconds, else the 5-field Unix form
     * @return the definition
     */
    public static CronDefinition definition(boolean seconds) {
        CronDefinitionBuilder builder = CronDefinitionBuilder.defineCron();
        if (seconds) {
            builder = builder.withSeconds().withValidRange(0, 59).withStrictRange().and();
        }
        return builder
                .withMinutes().withValidRange(0, 59).withStrictRange().and()
                .withHours().withValidRange(0, 23).withStrictRange().and()
                .withDayOfMonth().withValidRange(1, 31).supportsL().supportsW().supportsLW().supportsQuestionMark()
                .withStrictRange().and()
                .withMonth().withValidRange(1, 12).withStrictRange().and()
                .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0)
                .supportsHash().supportsL().supportsQuestionMark().withStrictRange().and()
                .instance();
    }

    /** What one field's cron-utils expression compiles to; the day descriptors stay zero in other fields. */
    static final class Accumulator {
        long bits;
        boolean last;
        /** Bit n: the day n days before the last (L-n). */
        long lastMinus;
        boolean lastWeekday;
        /** Bit n: the weekday nearest to day n (nW). */
        int nearestWeekday;
        /** Bit d: the last weekday d of the month (dL). */
        int lastOfWeekday;
        /** Bit (k - 1) * 7 + d: the k-th weekday d of the month (d#k). */
        long nthWeekday;
    }

    private static Accumulator collect(Cron cron, CronFieldName name, Field field) {
        CronField cronField = cron.retrieve(name);
        Accumulator acc = new Accumulator();
        add(cronField.getExpression(), field, acc);
        return acc;
    }

    private static void add(FieldExpression e, Field field, Accumulator acc) {
        if (e instanceof Always || e instanceof QuestionMark) {
            addRange(acc, field.min, field.max, 1);
        } else if (e instanceof And and) {
            for (FieldExpression part : and.getExpressions()) {
                add(part, field, acc);
            }
        } else if (e instanceof Between between) {
            addRange(acc, value(between.getFrom()), value(between.getTo()), 1);
        } else if (e instanceof Every every) {
            int step = every.getPeriod().getValue();
            FieldExpression base = every.getExpression();
            if (base instanceof Always) {
                addRange(acc, field.min, field.max, step);
            } else if (base instanceof On on) {
                addRange(acc, on.getTime().getValue(), field.max, step);
            } else if (base instanceof Between between) {
                addRange(acc, value(between.getFrom()), value(between.getTo()), step);
            } else {
                throw new IllegalStateException("unexpected step base from cron-utils: " + base.asString());
            }
        } else if (e instanceof On on) {
            addOn(on, field, acc);
        } else {
            throw new IllegalStateException("unexpected cron-utils expression: " + e.getClass().getName());
        }
    }

    private static void addOn(On on, Field field, Accumulator acc) {
        SpecialChar special = on.getSpecialChar().getValue();
        int time = on.getTime().getValue();
        int nth = on.getNth().getValue();
        int weekday = time == 7 ? 0 : time;
        if (special == SpecialChar.NONE) {
            acc.bits |= 1L << time;
        } else if (special == SpecialChar.L && field == Field.DAY_OF_MONTH) {
            if (nth > 0) {
                acc.lastMinus |= 1L << nth;
            } else {
                acc.last = true;
            }
        } else if (special == SpecialChar.LW && field == Field.DAY_OF_MONTH) {
            acc.lastWeekday = true;
        } else if (special == SpecialChar.W && field == Field.DAY_OF_MONTH) {
            acc.nearestWeekday |= 1 << time;
        } else if (special == SpecialChar.L && field == Field.DAY_OF_WEEK) {
            acc.lastOfWeekday |= 1 << weekday;
        } else if (special == SpecialChar.HASH && field == Field.DAY_OF_WEEK) {
            acc.nthWeekday |= 1L << ((nth - 1) * 7 + weekday);
        } else {
            throw new IllegalStateException("unexpected " + special + " in " + field.label + " from cron-utils");
        }
    }

    private static int value(FieldValue<?> value) {
        if (value instanceof IntegerFieldValue integer) {
            return integer.getValue();
        }
        throw new IllegalStateException("unexpected range bound from cron-utils: " + value);
    }

    private static void addRange(Accumulator acc, int from, int to, int step) {
        for (int v = from; v <= to; v += step) {
            acc.bits |= 1L << v;
        }
    }
}
