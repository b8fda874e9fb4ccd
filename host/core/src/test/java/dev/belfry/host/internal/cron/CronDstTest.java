package dev.belfry.host.internal.cron;

import static dev.belfry.host.internal.cron.CronCompilerTest.fires;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Belfry's daylight-saving rule: fixed-time expressions fire once at a spring-forward jump and only on the first
 * pass of a fall-back overlap; wildcard expressions follow the wall clock. Transition dates are the real ones.
 */
class CronDstTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    /** Every row of the worked examples in docs/cron.md, fires separated by spaces. */
    @ParameterizedTest(name = "{0} in {1} after {2}")
    @CsvSource(delimiter = '|', value = {
            "30 2 * * *   | Europe/Berlin       | 2027-03-27T12:00:00Z | 2027-03-28T01:00:00Z 2027-03-29T00:30:00Z 2027-03-30T00:30:00Z",
            "30 2 * * *   | Europe/Berlin       | 2027-10-30T12:00:00Z | 2027-10-31T00:30:00Z 2027-11-01T01:30:00Z 2027-11-02T01:30:00Z",
            "*/20 * * * * | Europe/Berlin       | 2027-03-28T00:30:00Z | 2027-03-28T00:40:00Z 2027-03-28T01:00:00Z 2027-03-28T01:20:00Z 2027-03-28T01:40:00Z 2027-03-28T02:00:00Z 2027-03-28T02:20:00Z",
            "*/20 * * * * | Europe/Berlin       | 2027-10-30T23:50:00Z | 2027-10-31T00:00:00Z 2027-10-31T00:20:00Z 2027-10-31T00:40:00Z 2027-10-31T01:00:00Z 2027-10-31T01:20:00Z 2027-10-31T01:40:00Z",
            "0 2 * * *    | America/New_York    | 2027-03-13T12:00:00Z | 2027-03-14T07:00:00Z 2027-03-15T06:00:00Z 2027-03-16T06:00:00Z",
            "0 1 * * *    | America/New_York    | 2027-11-06T12:00:00Z | 2027-11-07T05:00:00Z 2027-11-08T06:00:00Z 2027-11-09T06:00:00Z",
            "15 2 * * *   | Australia/Lord_Howe | 2027-10-02T12:00:00Z | 2027-10-02T15:30:00Z 2027-10-03T15:15:00Z 2027-10-04T15:15:00Z",
            "0 0 * * *    | America/Santiago    | 2027-09-04T12:00:00Z | 2027-09-05T04:00:00Z 2027-09-06T03:00:00Z 2027-09-07T03:00:00Z",
    })
    void shouldMatchWorkedExampleWhenAcrossTransition(String expression, String zone, String from, String expected) {
        List<String> want = Arrays.asList(expected.split(" "));
        assertThat(fires(expression, ZoneId.of(zone), from, want.size())).isEqualTo(want);
    }

    /** Derived from the rule; each row also checked against the brute-force reference below. */
    @ParameterizedTest(name = "{0} in {1} after {2}")
    @CsvSource(delimiter = '|', value = {
            // Wildcard hour: 02:00 does not occur on the gap day, 02:00 occurs twice on the overlap day.
            "0 * * * *         | Europe/Berlin       | 2027-03-27T23:30:00Z | 2027-03-28T00:00:00Z 2027-03-28T01:00:00Z 2027-03-28T02:00:00Z",
            "0 * * * *         | Europe/Berlin       | 2027-10-30T23:30:00Z | 2027-10-31T00:00:00Z 2027-10-31T01:00:00Z 2027-10-31T02:00:00Z",
            "0 2 * * *         | Europe/Berlin       | 2027-10-30T23:30:00Z | 2027-10-31T00:00:00Z 2027-11-01T01:00:00Z",
            // Lord Howe moves by 30 minutes: 02:00-02:30 is skipped in October, 01:30-02:00 repeats in April.
            "30 * * * *        | Australia/Lord_Howe | 2027-10-02T14:00:00Z | 2027-10-02T15:00:00Z 2027-10-02T15:30:00Z 2027-10-02T16:30:00Z",
            "45 * * * *        | Australia/Lord_Howe | 2027-04-03T14:00:00Z | 2027-04-03T14:45:00Z 2027-04-03T15:15:00Z 2027-04-03T16:15:00Z",
            "45 1 * * *        | Australia/Lord_Howe | 2027-04-03T12:00:00Z | 2027-04-03T14:45:00Z 2027-04-04T15:15:00Z",
            "0,30 2 * * *      | Australia/Lord_Howe | 2027-10-02T12:00:00Z | 2027-10-02T15:30:00Z 2027-10-03T15:00:00Z 2027-10-03T15:30:00Z",
            // Six fields: seconds do not make an expression wildcard; the whole gap collapses to one fire.
            "*/20 30 2 * * *   | Europe/Berlin       | 2027-03-27T12:00:00Z | 2027-03-28T01:00:00Z 2027-03-29T00:30:00Z 2027-03-29T00:30:20Z",
            "0 */30 * * * *    | Europe/Berlin       | 2027-03-28T00:45:00Z | 2027-03-28T01:00:00Z 2027-03-28T01:30:00Z",
            // Santiago falls back at midnight: 23:00-24:00 on Saturday 2027-04-03 happens twice.
            "30 23 * * *       | America/Santiago    | 2027-04-03T12:00:00Z | 2027-04-04T02:30:00Z 2027-04-05T03:30:00Z",
            "30 * * * *        | America/Santiago    | 2027-04-04T01:00:00Z | 2027-04-04T01:30:00Z 2027-04-04T02:30:00Z 2027-04-04T03:30:00Z",
            // Fixed offsets never shift.
            "30 2 * * *        | Asia/Kolkata        | 2027-03-27T12:00:00Z | 2027-03-27T21:00:00Z 2027-03-28T21:00:00Z",
            "30 2 * * *        | UTC                 | 2027-03-27T12:00:00Z | 2027-03-28T02:30:00Z 2027-03-29T02:30:00Z",
            "0 2 * 3 0L        | Europe/Berlin       | 2027-01-01T00:00:00Z | 2027-03-28T01:00:00Z 2028-03-26T01:00:00Z",
    })
    void shouldApplyRuleWhenDerivedCase(String expression, String zone, String from, String expected) {
        List<String> want = Arrays.asList(expected.split(" "));
        ZoneId id = ZoneId.of(zone);
        assertThat(fires(expression, id, from, want.size())).isEqualTo(want);

        ReferenceCron reference = new ReferenceCron(expression);
        Instant at = Instant.parse(from);
        for (String fire : want) {
            Optional<Instant> next = reference.next(id, at, Instant.parse(fire).plusSeconds(1));
            assertThat(next).as("reference after %s", at).contains(Instant.parse(fire));
            at = next.orElseThrow();
        }
    }

    @Test
    void shouldClassifyFixedTimeWhenMinuteAndHourAreNotStars() {
        assertThat(CronCompiler.compile("30 2 * * *", BERLIN).fixedTime()).isTrue();
        assertThat(CronCompiler.compile("0-59 2 * * *", BERLIN).fixedTime()).isTrue();
        assertThat(CronCompiler.compile("*/5 30 2 * * *", BERLIN).fixedTime()).isTrue();
        assertThat(CronCompiler.compile("*/20 * * * *", BERLIN).fixedTime()).isFalse();
        assertThat(CronCompiler.compile("0 */2 * * *", BERLIN).fixedTime()).isFalse();
        assertThat(CronCompiler.compile("0 * * * * *", BERLIN).fixedTime()).isFalse();
    }

    @Test
    void shouldFireEveryRealHourWhenHourlyAcrossAWholeYear() {
        // 8760 hours in 2027 (local), each fires once; the skipped 02:00 in March and the repeated 02:00 in October cancel out.
        CompiledCron hourly = CronCompiler.compile("0 * * * *", BERLIN);
        Instant at = Instant.parse("2026-12-31T23:00:00Z");
        int count = 0;
        while (true) {
            Instant next = hourly.nextFire(at).orElseThrow();
            if (next.isAfter(Instant.parse("2027-12-31T23:00:00Z"))) {
                break;
            }
            assertThat(next).isEqualTo(at.plusSeconds(3600));
            at = next;
            count++;
        }
        assertThat(count).isEqualTo(8760);
    }

    @Test
    void shouldReturnEmptyWhenWallTimeOnlyEverFallsInAGap() {
        // Berlin's last Sunday of March has had no 02:xx since 1981, and its rules continue for ever.
        CompiledCron cron = CronCompiler.compile("* 2 * 3 0L", BERLIN);
        assertThat(cron.nextFire(Instant.parse("2027-01-01T00:00:00Z"))).isEmpty();
        // Before EU summer time, the wall clock did read 02:00 on 1979-03-25.
        assertThat(cron.nextFire(Instant.parse("1979-01-01T00:00:00Z")))
                .contains(Instant.parse("1979-03-25T01:00:00Z"));
    }

    @Test
    void shouldUseZoneRulesWhenOutsideThePrecomputedWindow() {
        CompiledCron cron = CronCompiler.compile("30 2 * * *", BERLIN);
        // 2427-03-28 is the last Sunday of March: 02:30 is in the gap.
        assertThat(cron.nextFire(Instant.parse("2427-03-27T12:00:00Z")))
                .contains(Instant.parse("2427-03-28T01:00:00Z"));
        assertThat(cron.nextFire(Instant.parse("1850-06-01T00:00:00Z")))
                .contains(Instant.parse("1850-06-01T01:36:32Z"));
    }

    @Test
    void shouldReturnEmptyWhenBeyondInstantRange() {
        CompiledCron cron = CronCompiler.compile("0 0 1 1 *", ZoneOffset.UTC);
        assertThat(cron.nextFire(Instant.MAX)).isEmpty();
        assertThat(cron.nextFire(Instant.MIN)).isPresent();
    }
}
