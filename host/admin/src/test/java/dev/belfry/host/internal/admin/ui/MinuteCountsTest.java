package dev.belfry.host.internal.admin.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The overview's per-minute counts: what a chart shows for the last hour and day. */
class MinuteCountsTest {
    private final MinuteCounts counts = new MinuteCounts();
    private final Instant now = Instant.parse("2027-03-27T12:00:30Z");

    @Test
    void shouldCountRunsAndFailuresPerMinuteWithTheLagP99() {
        for (int i = 0; i < 99; i++) {
            counts.record(now, false, Duration.ofMillis(3));
        }
        counts.record(now, true, Duration.ofSeconds(2));
        counts.record(now.minusSeconds(60), false, Duration.ZERO);

        List<MinuteCounts.Minute> last = counts.last(now, 3);

        assertThat(last).extracting(MinuteCounts.Minute::runs).containsExactly(0L, 1L, 100L);
        assertThat(last.get(2).failures()).isEqualTo(1);
        assertThat(last.get(2).lagP99()).hasValue(Duration.ofMillis(5));
        assertThat(last.get(0).lagP99()).isEmpty();
        assertThat(last.get(2).start()).isEqualTo(Instant.parse("2027-03-27T12:00:00Z"));
    }

    @Test
    void shouldForgetAMinuteOnceTheRingComesRoundToIt() {
        counts.record(now, true, Duration.ZERO);
        Instant dayLater = now.plus(Duration.ofMinutes(MinuteCounts.MINUTES));
        counts.record(dayLater, false, Duration.ZERO);

        assertThat(counts.last(dayLater, 1).get(0).runs()).isEqualTo(1);
        assertThat(counts.last(dayLater, 1).get(0).failures()).isZero();
        assertThat(counts.last(dayLater, MinuteCounts.MINUTES).stream().mapToLong(MinuteCounts.Minute::runs).sum())
                .isEqualTo(1);
        assertThat(counts.last(dayLater, 2).get(0).lagP99()).isEqualTo(Optional.empty());
    }
}
