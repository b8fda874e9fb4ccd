package dev.belfry.host.internal.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.schedule.InvalidScheduleException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The cron syntax, one feature at a time, in UTC; expected dates checked against a printed 2027 calendar. */
class CronCompilerTest {

    /** The next {@code count} fires in UTC after {@code from}, as ISO strings. */
    static List<String> fires(String expression, ZoneId zone, String from, int count) {
        CompiledCron cron = CronCompiler.compile(expression, zone);
        List<String> out = new ArrayList<>();
        Instant at = Instant.parse(from);
        for (int i = 0; i < count; i++) {
            Optional<Instant> next = cron.nextFire(at);
            if (next.isEmpty()) {
                break;
            }
            at = next.get();
            out.add(at.toString());
        }
        return out;
    }

    private static List<String> utc(String expression, String from, int count) {
        return fires(expression, ZoneOffset.UTC, from, count);
    }

    @Test
    void shouldStepMinutesWhenStarWithStep() {
        assertThat(utc("*/5 * * * *", "2027-01-01T00:00:00Z", 3))
                .containsExactly("2027-01-01T00:05:00Z", "2027-01-01T00:10:00Z", "2027-01-01T00:15:00Z");
    }

    @Test
    void shouldStepWithinRangeWhenRangeWithStep() {
        assertThat(utc("10-50/20 * * * *", "2027-01-01T00:00:00Z", 4)).containsExactly(
                "2027-01-01T00:10:00Z", "2027-01-01T00:30:00Z", "2027-01-01T00:50:00Z", "2027-01-01T01:10:00Z");
    }

    @Test
    void shouldStepToFieldMaximumWhenStartWithStep() {
        assertThat(utc("5/15 * * * *", "2027-01-01T00:00:00Z", 5)).containsExactly("2027-01-01T00:05:00Z",
                "2027-01-01T00:20:00Z", "2027-01-01T00:35:00Z", "2027-01-01T00:50:00Z", "2027-01-01T01:05:00Z");
    }

    @Test
    void shouldMatchEveryListElementWhenList() {
        assertThat(utc("0 1,5-6,22 * * *", "2027-01-01T00:00:00Z", 5)).containsExactly("2027-01-01T01:00:00Z",
                "2027-01-01T05:00:00Z", "2027-01-01T06:00:00Z", "2027-01-01T22:00:00Z", "2027-01-02T01:00:00Z");
    }

    @Test
    void shouldFireStrictlyAfterWhenAfterIsAFireInstant() {
        assertThat(utc("0 3 * * *", "2027-01-01T03:00:00Z", 1)).containsExactly("2027-01-02T03:00:00Z");
    }

    @Test
    void shouldHonourNanosecondsWhenAfterIsBetweenSeconds() {
        CompiledCron cron = CronCompiler.compile("* * * * * *", ZoneOffset.UTC);
        assertThat(cron.nextFire(Instant.parse("2027-01-01T00:00:00.000000001Z")))
                .contains(Instant.parse("2027-01-01T00:00:01Z"));
        assertThat(cron.nextFire(Instant.parse("2026-12-31T23:59:59.999Z")))
                .contains(Instant.parse("2027-01-01T00:00:00Z"));
    }

    @Test
    void shouldFireOnSecondsWhenSixFields() {
        assertThat(utc("*/15 * * * * *", "2027-01-01T00:00:00Z", 3))
                .containsExactly("2027-01-01T00:00:15Z", "2027-01-01T00:00:30Z", "2027-01-01T00:00:45Z");
        assertThat(utc("30 0 9 * * *", "2027-01-01T00:00:00Z", 2))
                .containsExactly("2027-01-01T09:00:30Z", "2027-01-02T09:00:30Z");
    }

    @ParameterizedTest
    @CsvSource({
            "@yearly,   2027-01-01T00:00:00Z, 2028-01-01T00:00:00Z",
            "@annually, 2027-06-01T00:00:00Z, 2028-01-01T00:00:00Z",
            "@monthly,  2027-01-15T00:00:00Z, 2027-02-01T00:00:00Z",
            "@weekly,   2027-01-01T00:00:00Z, 2027-01-03T00:00:00Z",
            "@daily,    2027-01-01T12:00:00Z, 2027-01-02T00:00:00Z",
            "@midnight, 2027-01-01T12:00:00Z, 2027-01-02T00:00:00Z",
            "@hourly,   2027-01-01T12:30:00Z, 2027-01-01T13:00:00Z",
            "@DAILY,    2027-01-01T12:00:00Z, 2027-01-02T00:00:00Z",
    })
    void shouldExpandMacroWhenExpressionIsAMacro(String macro, String from, String expected) {
        assertThat(utc(macro, from, 1)).containsExactly(expected);
    }

    @Test
    void shouldClassifyMacrosWhenCompiled() {
        assertThat(CronCompiler.compile("@daily", ZoneOffset.UTC).fixedTime()).isTrue();
        assertThat(CronCompiler.compile("@hourly", ZoneOffset.UTC).fixedTime()).isFalse();
        assertThat(CronCompiler.compile("@hourly", ZoneOffset.UTC).expression()).isEqualTo("@hourly");
    }

    @Test
    void shouldReadNamesWhenMonthsAndDaysAreNamedInAnyCase() {
        assertThat(utc("0 0 1 jan,Mar *", "2027-01-01T00:00:00Z", 2))
                .containsExactly("2027-03-01T00:00:00Z", "2028-01-01T00:00:00Z");
        // 2027-01-01 is a Friday.
        assertThat(utc("0 12 * * mon-FRI", "2027-01-01T13:00:00Z", 2))
                .containsExactly("2027-01-04T12:00:00Z", "2027-01-05T12:00:00Z");
        assertThat(utc("0 12 * * SAT-SUN", "2027-01-01T13:00:00Z", 3))
                .containsExactly("2027-01-02T12:00:00Z", "2027-01-03T12:00:00Z", "2027-01-09T12:00:00Z");
    }

    @Test
    void shouldTreatZeroAndSevenAsSundayWhenDayOfWeek() {
        List<String> sundays = List.of("2027-01-03T00:00:00Z", "2027-01-10T00:00:00Z");
        assertThat(utc("0 0 * * 0", "2027-01-01T00:00:00Z", 2)).isEqualTo(sundays);
        assertThat(utc("0 0 * * 7", "2027-01-01T00:00:00Z", 2)).isEqualTo(sundays);
        assertThat(utc("0 0 * * SUN", "2027-01-01T00:00:00Z", 2)).isEqualTo(sundays);
        assertThat(utc("0 0 * * 5-7", "2027-01-01T12:00:00Z", 3))
                .containsExactly("2027-01-02T00:00:00Z", "2027-01-03T00:00:00Z", "2027-01-08T00:00:00Z");
    }

    @Test
    void shouldMatchEitherDayFieldWhenBothAreRestricted() {
        // Vixie: 13th OR Friday. Jan 2027: Fridays 1, 8, 15; the 13th is a Wednesday.
        assertThat(utc("0 0 13 * 5", "2027-01-01T00:00:00Z", 4)).containsExactly("2027-01-08T00:00:00Z",
                "2027-01-13T00:00:00Z", "2027-01-15T00:00:00Z", "2027-01-22T00:00:00Z");
    }

    @Test
    void shouldMatchBothDayFieldsWhenOneStartsWithStar() {
        // */2 starts with *, so odd days AND Fridays: Jan 15, 29, Feb 5, 19.
        assertThat(utc("0 0 */2 * 5", "2027-01-01T00:00:00Z", 4)).containsExactly("2027-01-15T00:00:00Z",
                "2027-01-29T00:00:00Z", "2027-02-05T00:00:00Z", "2027-02-19T00:00:00Z");
        assertThat(utc("0 0 * * 1", "2027-01-01T00:00:00Z", 1)).containsExactly("2027-01-04T00:00:00Z");
    }

    @Test
    void shouldIgnoreQuestionMarkWhenInADayField() {
        assertThat(utc("0 0 ? * 1", "2027-01-01T00:00:00Z", 1)).containsExactly("2027-01-04T00:00:00Z");
        assertThat(utc("0 0 1 * ?", "2027-01-01T00:00:00Z", 1)).containsExactly("2027-02-01T00:00:00Z");
        assertThat(utc("0 0 ? * ?", "2027-01-01T00:00:00Z", 1)).containsExactly("2027-01-02T00:00:00Z");
    }

    @Test
    void shouldFireOnLastDayWhenL() {
        assertThat(utc("0 0 L * *", "2027-02-01T00:00:00Z", 2))
                .containsExactly("2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z");
        assertThat(utc("0 0 L 2 *", "2027-03-01T00:00:00Z", 1)).containsExactly("2028-02-29T00:00:00Z");
    }

    @Test
    void shouldCountBackFromLastDayWhenLMinusN() {
        assertThat(utc("0 0 L-3 * *", "2027-02-01T00:00:00Z", 2))
                .containsExactly("2027-02-25T00:00:00Z", "2027-03-28T00:00:00Z");
        // L-30 exists only in 31-day months (the 1st); February and April have none.
        assertThat(utc("0 0 L-30 * *", "2027-02-01T00:00:00Z", 2))
                .containsExactly("2027-03-01T00:00:00Z", "2027-05-01T00:00:00Z");
    }

    @Test
    void shouldFireOnLastWeekdayWhenLW() {
        // Jan 31 2027 is a Sunday: Friday the 29th.
        assertThat(utc("0 0 LW * *", "2027-01-01T00:00:00Z", 2))
                .containsExactly("2027-01-29T00:00:00Z", "2027-02-26T00:00:00Z");
    }

    @Test
    void shouldMoveToNearestWeekdayWhenNW() {
        // 2027-05-15 is a Saturday (Friday 14th); 2027-08-15 a Sunday (Monday 16th); 2027-06-15 a Tuesday.
        assertThat(utc("0 0 15W * *", "2027-05-01T00:00:00Z", 4)).containsExactly("2027-05-14T00:00:00Z",
                "2027-06-15T00:00:00Z", "2027-07-15T00:00:00Z", "2027-08-16T00:00:00Z");
    }

    @Test
    void shouldNotCrossIntoPreviousMonthWhenOneWIsASaturday() {
        // 2027-05-01 is a Saturday: Monday the 3rd, not Friday April 30.
        assertThat(utc("0 0 1W * *", "2027-04-15T00:00:00Z", 1)).containsExactly("2027-05-03T00:00:00Z");
    }

    @Test
    void shouldNotCrossIntoNextMonthWhenThirtyOneWIsASunday() {
        // 2027-01-31 is a Sunday: Friday the 29th. February has no 31st; 2027-03-31 is a Wednesday.
        assertThat(utc("0 0 31W * *", "2027-01-01T00:00:00Z", 2))
                .containsExactly("2027-01-29T00:00:00Z", "2027-03-31T00:00:00Z");
    }

    @Test
    void shouldFireOnLastGivenWeekdayWhenNL() {
        assertThat(utc("0 0 * * 5L", "2027-01-01T00:00:00Z", 2))
                .containsExactly("2027-01-29T00:00:00Z", "2027-02-26T00:00:00Z");
        assertThat(utc("0 0 * * 7L", "2027-01-01T00:00:00Z", 1)).containsExactly("2027-01-31T00:00:00Z");
    }

    @Test
    void shouldFireOnKthWeekdayWhenHash() {
        assertThat(utc("0 0 * * 1#2", "2027-02-01T00:00:00Z", 1)).containsExactly("2027-02-08T00:00:00Z");
        assertThat(utc("0 0 * * MON#2", "2027-02-01T00:00:00Z", 1)).containsExactly("2027-02-08T00:00:00Z");
    }

    @Test
    void shouldSkipMonthsWithoutItWhenFifthWeekdayIsMissing() {
        // 2027 months with five Fridays: January, April, July, October, December.
        assertThat(utc("0 0 * * 5#5", "2027-01-30T00:00:00Z", 2))
                .containsExactly("2027-04-30T00:00:00Z", "2027-07-30T00:00:00Z");
    }

    @Test
    void shouldCombineSpecialsWhenListed() {
        assertThat(utc("0 0 1,L * *", "2027-02-01T00:00:00Z", 2))
                .containsExactly("2027-02-28T00:00:00Z", "2027-03-01T00:00:00Z");
        assertThat(utc("0 0 * * 1L,5#2", "2027-02-01T00:00:00Z", 2))
                .containsExactly("2027-02-12T00:00:00Z", "2027-02-22T00:00:00Z");
    }

    @Test
    void shouldFindRareDateWhenLeapDayOnAWeekday() {
        // A fifth Monday in February needs a leap year whose February 1st is a Monday: 2016, then 2044.
        assertThat(utc("0 0 * 2 1#5", "2027-01-01T00:00:00Z", 1)).containsExactly("2044-02-29T00:00:00Z");
    }

    @Test
    void shouldFindLeapDayWhenFebruaryTwentyNinth() {
        assertThat(utc("0 0 29 2 *", "2027-03-01T00:00:00Z", 2))
                .containsExactly("2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z");
        // Both day fields restricted: the 29th OR a Monday. February 2027 starts on a Monday.
        assertThat(utc("0 0 29 2 1", "2027-01-01T00:00:00Z", 1)).containsExactly("2027-02-01T00:00:00Z");
    }

    @Test
    void shouldRejectOrReturnEmptyWhenExpressionCanNeverFire() {
        // Provable from the calendar alone: rejected at compile time (messages tested above).
        assertThatThrownBy(() -> CronCompiler.compile("0 0 31 2,4 *", ZoneOffset.UTC))
                .isInstanceOf(InvalidScheduleException.class);
        // Not provable from the calendar: 02:xx on Berlin's last Sunday of March is always in the gap now.
        // The bounded search (400 years of local days) gives up and reports no fire.
        CompiledCron gapOnly = CronCompiler.compile("* 2 * 3 0L", ZoneId.of("Europe/Berlin"));
        assertThat(gapOnly.nextFire(Instant.parse("2030-01-01T00:00:00Z"))).isEmpty();
    }

    @Test
    void shouldCacheWhenCompiledTwice() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        assertThat(CronCompiler.compile("0  3 * * *", berlin)).isSameAs(CronCompiler.compile("0 3 * * *", berlin));
        assertThat(CronCompiler.compile("0 3 * * *", berlin)).isNotSameAs(CronCompiler.compile("0 3 * * *",
                ZoneOffset.UTC));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "0 3 * * *              | at 03:00, every day",
            "@hourly                | every hour",
            "@weekly                | at 00:00, on Sunday",
            "* * * * *              | every minute",
            "*/15 * * * *           | every 15 minutes",
            "0,30 * * * *           | every 30 minutes",
            "5/15 * * * *           | every 15 minutes from 00:05 to 23:50",
            "*/15 9-17 * * 1-5      | every 15 minutes from 09:00 to 17:45, Monday to Friday",
            "*/15 9-17 * * MON-FRI  | every 15 minutes from 09:00 to 17:45, Monday to Friday",
            "* 9-11,14 * * *        | every minute from 09:00 to 11:59 and from 14:00 to 14:59, every day",
            "30 * * * *             | every hour at minute 30",
            "0 */2 * * *            | every 2 hours from 00:00 to 22:00, every day",
            "0 9-17 * * *           | every hour from 09:00 to 17:00, every day",
            "0 9,17 * * *           | at 09:00 and 17:00, every day",
            "0,20 9,17 * * *        | at 09:00, 09:20, 17:00 and 17:20, every day",
            "0,20,45 * * * *        | at minutes 0, 20 and 45 of every hour",
            "*/7 * * * *            | every 7 minutes from minute 0 to minute 56 of every hour",
            "10-20 * * * *          | every minute from minute 10 to minute 20 of every hour",
            "0 8-10,14-16,20 * * *  | at minute 0 of hours 8 to 10, 14 to 16 and 20, every day",
            "5/15 */2 * * *         | every 15 minutes during every 2nd hour from hour 0 to hour 22, every day",
            "0,30 8-9,14-15,20 * * * | every 30 minutes from 08:00 to 09:30, from 14:00 to 15:30"
                    + " and from 20:00 to 20:30, every day",
            "0 0 */2 * *            | at 00:00, on every 2nd day from the 1st to the 31st of the month",
            "0 0 */2 * 1            | at 00:00, on every 2nd day from the 1st to the 31st of the month,"
                    + " if it falls on Monday",
            "0 0 1-7 * 1            | at 00:00, on the 1st to the 7th of the month or on Monday",
            "0 9 * * 1#2            | at 09:00, on the second Monday of the month",
            "0 9 * * 5L             | at 09:00, on the last Friday of the month",
            "0 0 L * *              | at 00:00, on the last day of the month",
            "0 0 L-2 * *            | at 00:00, on the 3rd-to-last day of the month",
            "0 0 LW * *             | at 00:00, on the last weekday of the month",
            "0 0 15W * *            | at 00:00, on the weekday nearest the 15th of the month",
            "0 0 15W,LW * *         | at 00:00, on the weekday nearest the 15th and the last weekday of the month",
            "0 12 * * 5L            | at 12:00, on the last Friday of the month",
            "0 0 1,15 * *           | at 00:00, on the 1st and the 15th of the month",
            "0 0 1-7 * *            | at 00:00, on the 1st to the 7th of the month",
            "0 0 1 1,7 *            | at 00:00, on the 1st of January and July",
            "0 0 * 3-5 *            | at 00:00, every day in March to May",
            "0 0 13 * 5             | at 00:00, on the 13th of the month or on Friday",
            "0 0 ? * SAT-SUN        | at 00:00, on Saturday and Sunday",
            "0 0 * * 1,3,5          | at 00:00, on Monday, Wednesday and Friday",
            "0 0 * * 0-7            | at 00:00, every day",
            "0 0 9 * * *            | at 09:00, every day",
            "30 0 9 * * *           | at 09:00:30, every day",
            "*/10 * * * * *         | every 10 seconds",
            "* * * * * *            | every second",
            "*/10 * 9-17 * * *      | every 10 seconds from 09:00 until 18:00, every day",
            "0 0 2 * 3 0L           | at 02:00, on the last Sunday of March",
    })
    void shouldDescribeAsAPersonWouldWhenAsked(String expression, String words) {
        assertThat(CronCompiler.describe(expression)).isEqualTo(words);
    }

    @Test
    void shouldDescribeEveryValidCombinationOfFieldFormsOnOneLine() {
        String[] seconds = {"*", "0", "5", "*/7", "10-20", "10-20/3", "1,2,59", "5/15", "0,30"};
        String[] hours = {"*", "0", "9-17", "*/2", "9,17", "23", "0-23/5", "8-10,14-16,20"};
        String[] days = {"*", "?", "1", "L", "L-3", "LW", "15W", "1-7", "*/2", "1,15", "31", "1W,L"};
        String[] months = {"*", "1", "2", "3-5", "JAN,JUL", "*/3", "12"};
        String[] weekdays = {"*", "?", "1-5", "MON-FRI", "1#2", "5L", "SAT-SUN", "0", "7", "0-7", "2/2", "1,3,5"};
        java.util.Random random = new java.util.Random(20261206L);
        int described = 0;
        for (int i = 0; i < 3_000; i++) {
            String expression = (random.nextBoolean() ? pick(random, seconds) + " " : "") + pick(random, seconds) + " "
                    + pick(random, hours) + " " + pick(random, days) + " " + pick(random, months) + " "
                    + pick(random, weekdays);
            try {
                CronCompiler.compile(expression, ZoneOffset.UTC);
            } catch (InvalidScheduleException e) {
                continue;
            }
            String words = CronCompiler.describe(expression);
            assertThat(words).as(expression).isNotBlank().doesNotContain("\n").doesNotContain("null")
                    .doesNotContain("  ").doesNotEndWith(",");
            described++;
        }
        assertThat(described).isGreaterThan(1_000);
    }

    private static String pick(java.util.Random random, String[] forms) {
        return forms[random.nextInt(forms.length)];
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "0 0 32 * *          | field 3 (day-of-month) \"32\": value out of range 1-31",
            "60 * * * *          | field 1 (minute) \"60\": value out of range 0-59",
            "0 24 * * *          | field 2 (hour) \"24\": value out of range 0-23",
            "0 0 * 13 *          | field 4 (month) \"13\": value out of range 1-12",
            "0 0 * * 8           | field 5 (day-of-week) \"8\": value out of range 0-7",
            "60 * * * * *        | field 1 (second) \"60\": value out of range 0-59",
            "0 0 1,32 * *        | field 3 (day-of-month) \"32\": value out of range 1-31",
            "*/0 * * * *         | field 1 (minute) \"*/0\": step out of range 1-59",
            "*/x * * * *         | field 1 (minute) \"*/x\": step is not a number",
            "0 0 L/2 * *         | field 3 (day-of-month) \"L/2\": a step needs *, a range or a start value before /",
            "5-2 * * * *         | field 1 (minute) \"5-2\": range runs backwards (no wrap-around; split it, e.g. 22-23,0-2)",
            "* * * * * * *       | expected 5 or 6 fields, found 7",
            "hello world         | expected 5 or 6 fields, found 2",
            "xx * * * *          | field 1 (minute) \"xx\": not a number",
            "0 0 * foo *         | field 4 (month) \"foo\": not a number 1-12 or a month name JAN-DEC",
            "0 0 * * funday      | field 5 (day-of-week) \"funday\": not a number 0-7 or a day name SUN-SAT",
            "0 0 1,,2 * *        | field 3 (day-of-month) \"\": empty list element",
            "? * * * *           | field 1 (minute) \"?\": ? is allowed only in day-of-month and day-of-week",
            "0 0 1,? * *         | field 3 (day-of-month) \"?\": ? must stand alone as the whole field",
            "0 L * * *           | field 2 (hour) \"L\": L, W and # are allowed only in day-of-month and day-of-week",
            "0 0 L-31 * *        | field 3 (day-of-month) \"L-31\": days before the last out of range 1-30",
            "0 0 32W * *         | field 3 (day-of-month) \"32W\": value out of range 1-31",
            "0 0 W * *           | field 3 (day-of-month) \"W\": W needs a day before it, e.g. 15W, or LW for the last weekday",
            "0 0 * * L           | field 5 (day-of-week) \"L\": L in day-of-week needs a weekday before it, e.g. 5L for the last Friday",
            "0 0 * * 5#6         | field 5 (day-of-week) \"5#6\": occurrence out of range 1-5",
            "0 0 * * 5#0         | field 5 (day-of-week) \"5#0\": occurrence out of range 1-5",
            "0 0 * * 9#1         | field 5 (day-of-week) \"9#1\": value out of range 0-7",
            "0 0 30 2 *          | never matches (day 30 of February)",
            "0 0 31 4,6,9,11 *   | never matches (day 31 of April, June, September or November)",
            "0 0 31 2,4 *        | never matches (day 31 of February or April)",
            "0 0 L-30 2 *        | never matches (day L-30 of February)",
            "0 0 */30 2 2#2      | never matches (day */30 and day-of-week 2#2 never coincide in February)",
            "@fortnightly        | unknown macro \"@fortnightly\" (known: @yearly @annually @monthly @weekly @daily @midnight @hourly)",
    })
    void shouldRejectWithFieldAndReasonWhenInvalid(String expression, String reason) {
        assertThatThrownBy(() -> CronCompiler.compile(expression, ZoneOffset.UTC))
                .isInstanceOfSatisfying(InvalidScheduleException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.value()).isEqualTo(expression);
                    assertThat(e.getMessage()).isEqualTo("invalid schedule \"" + expression + "\": " + reason)
                            .doesNotContain("\n");
                });
    }

    @Test
    void shouldRejectWhenDescribingInvalidExpression() {
        assertThatThrownBy(() -> CronCompiler.describe("0 0 32 * *"))
                .isInstanceOf(InvalidScheduleException.class)
                .hasMessageContaining("field 3 (day-of-month)");
    }
}
