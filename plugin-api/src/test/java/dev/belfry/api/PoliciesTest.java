package dev.belfry.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PoliciesTest {

    @Test
    void shouldUseDocumentedDefaultsWhenOnlyNameAndScheduleAreGiven() {
        JobSpec spec = JobSpec.builder("sync", Schedule.every(Duration.ofMinutes(5))).build();

        assertThat(spec.overlap()).isEqualTo(OverlapPolicy.SKIP);
        assertThat(spec.timeout()).isEmpty();
        assertThat(spec.retry()).isEqualTo(RetryPolicy.none());
        assertThat(spec.misfire()).isEqualTo(MisfirePolicy.fireOnce());
        assertThat(spec.durableStart()).isFalse();
    }

    @Test
    void shouldDefaultToDurableStartForOnceJobsUnlessToldOtherwise() {
        Schedule once = Schedule.once(Instant.parse("2027-01-01T00:00:00Z"));

        assertThat(JobSpec.builder("x", once).build().durableStart()).isTrue();
        assertThat(JobSpec.builder("x", once).durableStart(false).build().durableStart()).isFalse();
        assertThat(JobSpec.builder("x", Schedule.manual()).durableStart(true).build().durableStart()).isTrue();
    }

    @Test
    void shouldKeepEveryPolicyGivenToTheBuilder() {
        JobSpec spec = JobSpec.builder("sync", Schedule.manual())
                .overlap(OverlapPolicy.QUEUE_ONE)
                .timeout(Duration.ofSeconds(30))
                .retry(RetryPolicy.exponential(3, Duration.ofSeconds(1)))
                .misfire(MisfirePolicy.fireAll(5))
                .build();

        assertThat(spec.overlap()).isEqualTo(OverlapPolicy.QUEUE_ONE);
        assertThat(spec.timeout()).isEqualTo(Optional.of(Duration.ofSeconds(30)));
        assertThat(spec.retry().maxAttempts()).isEqualTo(3);
        assertThat(spec.misfire()).isEqualTo(new MisfirePolicy.FireAll(5));
    }

    @Test
    void shouldRejectAnInvalidJobNameOrTimeout() {
        assertThatThrownBy(() -> JobSpec.builder("bad name", Schedule.manual()).build())
                .hasMessageContaining("invalid job name \"bad name\"");
        assertThatThrownBy(() -> JobSpec.builder("x", Schedule.manual()).timeout(Duration.ZERO).build())
                .hasMessage("job x: timeout must be positive: PT0S");
    }

    @Test
    void shouldGrowRetryDelaysExponentiallyUpToTheCap() {
        RetryPolicy retry = new RetryPolicy(10, Duration.ofSeconds(1), 2.0, Duration.ofSeconds(10), 0.0);

        assertThat(retry.delayBeforeRetry(1, 0.5)).isEqualTo(Duration.ofSeconds(1));
        assertThat(retry.delayBeforeRetry(2, 0.5)).isEqualTo(Duration.ofSeconds(2));
        assertThat(retry.delayBeforeRetry(3, 0.5)).isEqualTo(Duration.ofSeconds(4));
        assertThat(retry.delayBeforeRetry(5, 0.5)).isEqualTo(Duration.ofSeconds(10));
        assertThat(retry.delayBeforeRetry(1000, 0.5)).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void shouldSpreadRetryDelaysByTheJitterFraction() {
        RetryPolicy retry = new RetryPolicy(5, Duration.ofSeconds(10), 2.0, Duration.ofMinutes(1), 0.2);

        assertThat(retry.delayBeforeRetry(1, 0.0)).isEqualTo(Duration.ofSeconds(8));
        assertThat(retry.delayBeforeRetry(1, 0.5)).isEqualTo(Duration.ofSeconds(10));
        assertThat(retry.delayBeforeRetry(1, 0.75)).isEqualTo(Duration.ofSeconds(11));
    }

    @Test
    void shouldQuoteTheValueWhenARetryPolicyIsOutOfRange() {
        assertThatThrownBy(() -> RetryPolicy.exponential(0, Duration.ofSeconds(1)))
                .hasMessage("retry maxAttempts must be between 1 and 1000: 0");
        assertThatThrownBy(() -> RetryPolicy.exponential(3, Duration.ofSeconds(1)).withJitter(1.5))
                .hasMessage("retry jitter must be between 0 and 1: 1.5");
        assertThatThrownBy(() -> RetryPolicy.exponential(3, Duration.ofSeconds(1)).withMultiplier(Double.NaN))
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> RetryPolicy.exponential(3, Duration.ofSeconds(1)).withMaxBackoff(Duration.ofDays(400)))
                .hasMessageContaining("at most PT8760H");
    }

    @Test
    void shouldRejectAMisfireCapOutOfRange() {
        assertThatThrownBy(() -> MisfirePolicy.fireAll(0)).hasMessage("misfire fireAll max must be between 1 and 10000: 0");
        assertThat(MisfirePolicy.fireAll(10_000)).isEqualTo(new MisfirePolicy.FireAll(10_000));
    }
}
