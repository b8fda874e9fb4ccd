package dev.belfry.api.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScheduleTest {

    @Test
    void shouldBuildEveryKindFromItsFactory() {
        Instant at = Instant.parse("2027-01-01T00:00:00Z");

        assertThat(Schedule.manual()).isEqualTo(new Schedule.Manual());
        assertThat(Schedule.once(at).at()).isEqualTo(at);
        assertThat(Schedule.every(Duration.ofSeconds(10)))
                .isEqualTo(new Schedule.Periodic(Duration.ofSeconds(10), PeriodicMode.FIXED_RATE, Duration.ZERO));
        assertThat(Schedule.cron("0 3 * * *").zone()).isEqualTo(ZoneOffset.UTC);
        assertThat(Schedule.cron("0 3 * * *", ZoneId.of("Europe/Berlin")).zone()).isEqualTo(ZoneId.of("Europe/Berlin"));
    }

    @Test
    void shouldHaveAFactoryTestedForEveryPermittedKind() {
        // A new Schedule kind must be added here (and to the host's next-fire function) on purpose.
        List<String> kinds = Arrays.stream(Schedule.class.getPermittedSubclasses()).map(Class::getSimpleName).toList();

        assertThat(kinds).containsExactlyInAnyOrder("Manual", "Once", "Periodic", "Cron");
    }

    @Test
    void shouldFoldWhiteSpaceInCronExpressions() {
        assertThat(Schedule.cron("  0   3 *\t* *  ").expression()).isEqualTo("0 3 * * *");
    }

    @ParameterizedTest
    @ValueSource(strings = {"@daily", "0 0 3 * * *", "*/5 * * * *"})
    void shouldAcceptMacrosAndFiveOrSixFields(String expression) {
        assertThat(Schedule.cron(expression).expression()).isEqualTo(expression);
    }

    @Test
    void shouldQuoteTheExpressionWhenTheFieldCountIsWrong() {
        assertThatThrownBy(() -> Schedule.cron("0 0 3 * * * 2027"))
                .isInstanceOf(InvalidScheduleException.class)
                .hasMessage("invalid schedule \"0 0 3 * * * 2027\": expected 5 fields (minute hour day-of-month month"
                        + " day-of-week) or 6 with leading seconds, found 7");
    }

    @Test
    void shouldRejectABlankCronExpression() {
        assertThatThrownBy(() -> Schedule.cron("   ")).hasMessageContaining("cron expression is empty");
    }

    @Test
    void shouldRejectAnOverlongCronExpression() {
        assertThatThrownBy(() -> Schedule.cron("1,".repeat(300) + "1 * * * *"))
                .hasMessageContaining("longer than 512 characters");
    }

    @Test
    void shouldQuoteThePeriodWhenItIsTooShort() {
        assertThatThrownBy(() -> Schedule.every(Duration.ZERO))
                .isInstanceOf(InvalidScheduleException.class)
                .hasMessage("invalid schedule \"PT0S\": period must be at least 1 ms");
        assertThatThrownBy(() -> Schedule.every(Duration.ofSeconds(-5))).hasMessageContaining("\"PT-5S\"");
    }

    @Test
    void shouldRejectANegativeInitialDelay() {
        assertThatThrownBy(() -> Schedule.every(Duration.ofSeconds(1), PeriodicMode.FIXED_DELAY, Duration.ofMillis(-1)))
                .hasMessageContaining("initial delay must not be negative");
    }

    @Test
    void shouldCopyPeriodicWithAnotherModeOrDelay() {
        Schedule.Periodic p = Schedule.every(Duration.ofMinutes(1))
                .withMode(PeriodicMode.FIXED_DELAY)
                .withInitialDelay(Duration.ofSeconds(30));

        assertThat(p.mode()).isEqualTo(PeriodicMode.FIXED_DELAY);
        assertThat(p.initialDelay()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.every()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void shouldNamePluginAndJobWhenGivenContext() {
        InvalidScheduleException e = new InvalidScheduleException("0 0 30 2 *", "never matches")
                .forJob("reports", "monthly");

        assertThat(e).hasMessage("job reports.monthly: invalid schedule \"0 0 30 2 *\": never matches");
        assertThat(e.value()).isEqualTo("0 0 30 2 *");
        assertThat(e.reason()).isEqualTo("never matches");
    }
}
