package dev.belfry.host.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class SaturatingTest {
    private static final Instant NOW = Instant.parse("2026-12-06T10:15:30.900000000Z");
    private static final long CAP = 60_000_000_000L;

    @Test
    void shouldWaitNoTimeForAnInstantThatHasCome() {
        assertThat(Saturating.nanosUntil(NOW, NOW, CAP)).isZero();
        assertThat(Saturating.nanosUntil(NOW, NOW.minusNanos(1), CAP)).isZero();
    }

    @Test
    void shouldCountNanosecondsAcrossASecondBoundary() {
        assertThat(Saturating.nanosUntil(NOW, NOW.plusMillis(1_500), CAP)).isEqualTo(1_500_000_000L);
        assertThat(Saturating.nanosUntil(NOW, NOW.plusNanos(1), CAP)).isEqualTo(1);
    }

    @Test
    void shouldStopAtTheCapForADueInstantFarAway() {
        assertThat(Saturating.nanosUntil(NOW, NOW.plusSeconds(61), CAP)).isEqualTo(CAP);
        assertThat(Saturating.nanosUntil(Instant.MIN, Instant.MAX, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(Saturating.nanosUntil(NOW, NOW.plusSeconds(9_223_372_035L), Long.MAX_VALUE))
                .isEqualTo(9_223_372_035_000_000_000L);
    }
}
