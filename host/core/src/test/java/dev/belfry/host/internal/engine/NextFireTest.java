package dev.belfry.host.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class NextFireTest {
    private static final Instant ARMED = Instant.parse("2027-03-01T10:15:30Z");

    @Test
    void shouldNeverFireWhenManual() {
        assertThat(NextFire.firstFire(Schedule.manual(), ARMED)).isEmpty();
        assertThat(NextFire.nextFire(Schedule.manual(), ARMED)).isEmpty();
    }

    @Test
    void shouldFireAtItsInstantWhenOnce() {
        Instant at = Instant.parse("2027-03-02T00:00:00Z");
        assertThat(NextFire.firstFire(Schedule.once(at), ARMED)).contains(at);
    }

    @Test
    void shouldStillReportTheInstantWhenOnceIsOverdue() {
        // Overdue fires are the misfire policy's business, not the next-fire function's.
        Instant past = Instant.parse("2020-01-01T00:00:00Z");
        assertThat(NextFire.firstFire(Schedule.once(past), ARMED)).contains(past);
    }

    @Test
    void shouldNotFireAgainWhenOnceHasFired() {
        Instant at = Instant.parse("2027-03-02T00:00:00Z");
        assertThat(NextFire.nextFire(Schedule.once(at), at)).isEmpty();
    }

    @Test
    void shouldWaitInitialDelayWhenPeriodicIsArmed() {
        Schedule.Periodic periodic =
                Schedule.every(Duration.ofMinutes(5), PeriodicMode.FIXED_RATE, Duration.ofSeconds(30));
        assertThat(NextFire.firstFire(periodic, ARMED)).contains(ARMED.plusSeconds(30));
        assertThat(NextFire.firstFire(Schedule.every(Duration.ofMinutes(5)), ARMED)).contains(ARMED);
    }

    @Test
    void shouldKeepTheGridWhenFixedRate() {
        Schedule.Periodic periodic = Schedule.every(Duration.ofMinutes(5));
        Instant first = NextFire.firstFire(periodic, ARMED).orElseThrow();
        Instant second = NextFire.nextFire(periodic, first).orElseThrow();
        Instant third = NextFire.nextFire(periodic, second).orElseThrow();
        assertThat(third).isEqualTo(ARMED.plus(Duration.ofMinutes(10)));
    }

    @Test
    void shouldCountFromCompletionWhenFixedDelay() {
        Schedule.Periodic periodic =
                Schedule.every(Duration.ofMinutes(5), PeriodicMode.FIXED_DELAY, Duration.ZERO);
        Instant finished = ARMED.plusSeconds(47);
        assertThat(NextFire.nextFire(periodic, finished)).contains(finished.plus(Duration.ofMinutes(5)));
    }

    @Test
    void shouldReportNoFireWhenPeriodicWouldPassInstantMax() {
        Schedule.Periodic periodic = Schedule.every(Duration.ofDays(1));
        assertThat(NextFire.nextFire(periodic, Instant.MAX.minusSeconds(10))).isEmpty();
    }

    @Test
    void shouldFireStrictlyAfterArmingWhenCron() {
        Schedule.Cron cron = Schedule.cron("30 2 * * *", ZoneId.of("Europe/Berlin"));
        assertThat(NextFire.firstFire(cron, Instant.parse("2027-03-27T12:00:00Z")))
                .contains(Instant.parse("2027-03-28T01:00:00Z"));
        assertThat(NextFire.nextFire(cron, Instant.parse("2027-03-28T01:00:00Z")))
                .contains(Instant.parse("2027-03-29T00:30:00Z"));
        Schedule.Cron daily = Schedule.cron("0 0 * * *");
        assertThat(NextFire.firstFire(daily, Instant.parse("2027-03-01T00:00:00Z")))
                .contains(Instant.parse("2027-03-02T00:00:00Z"));
    }

    @Test
    void shouldRejectWhenCronIsInvalid() {
        assertThatThrownBy(() -> NextFire.firstFire(Schedule.cron("0 0 30 2 *"), ARMED))
                .isInstanceOf(InvalidScheduleException.class)
                .hasMessage("invalid schedule \"0 0 30 2 *\": never matches (day 30 of February)");
    }

    /** One example of each kind; a new permitted subclass without an entry here fails the test below. */
    private static final Map<Class<?>, Schedule> EXAMPLES = List.of(
            Schedule.manual(),
            Schedule.once(ARMED.plusSeconds(60)),
            Schedule.every(Duration.ofMinutes(1)),
            Schedule.cron("*/5 * * * *"))
            .stream().collect(Collectors.toMap(Object::getClass, Function.identity()));

    @Test
    void shouldHandleEveryKindWhenScheduleGainsAPermittedSubclass() {
        Class<?>[] kinds = Schedule.class.getPermittedSubclasses();
        assertThat(EXAMPLES.keySet()).containsExactlyInAnyOrderElementsOf(Arrays.asList(kinds));
        for (Class<?> kind : kinds) {
            Schedule example = EXAMPLES.get(kind);
            // Neither function may fall through to its IllegalStateException for a known kind.
            NextFire.firstFire(example, ARMED);
            NextFire.nextFire(example, ARMED);
        }
    }
}
