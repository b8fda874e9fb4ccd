package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Periods and initial delays are written without Duration.toString(), and must read exactly as it writes them. */
class IsoDurationTextTest {

    @Test
    void shouldWriteExactlyWhatToStringWritesForEveryShapeOfDuration() {
        List<Duration> durations = new ArrayList<>(List.of(Duration.ZERO, Duration.ofNanos(1), Duration.ofMillis(1),
                Duration.ofMillis(1500), Duration.ofSeconds(59), Duration.ofMinutes(1), Duration.ofSeconds(61),
                Duration.ofHours(1), Duration.ofSeconds(3601, 1), Duration.ofSeconds(3660), Duration.ofDays(400),
                Duration.ofSeconds(0, 999_999_999), Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)));
        SplittableRandom random = new SplittableRandom(20261123);
        for (int i = 0; i < 20_000; i++) {
            long seconds = random.nextInt(4) == 0 ? random.nextLong(0, Long.MAX_VALUE) : random.nextLong(0, 200_000);
            int nanos = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> random.nextInt(1_000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            durations.add(Duration.ofSeconds(seconds, nanos));
        }
        char[] buf = new char[IsoDurationText.MAX_LENGTH];
        for (Duration d : durations) {
            int length = IsoDurationText.write(d, buf);
            assertThat(new String(buf, 0, length)).as("%s", d).isEqualTo(d.toString());
        }
    }

    @Test
    void shouldLeaveNegativeDurationsToToString() {
        char[] buf = new char[IsoDurationText.MAX_LENGTH];
        assertThat(IsoDurationText.write(Duration.ofNanos(-1), buf)).isEqualTo(-1);
        assertThat(IsoDurationText.write(Duration.ofHours(-2), buf)).isEqualTo(-1);
    }
}
