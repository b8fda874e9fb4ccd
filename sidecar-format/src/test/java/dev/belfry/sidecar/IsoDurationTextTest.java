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
        int readBack = 0;
        for (Duration d : durations) {
            int length = IsoDurationText.write(d, buf);
            String text = new String(buf, 0, length);
            assertThat(text).as("%s", d).isEqualTo(d.toString());
            Duration parsed = IsoDurationText.parse(text);
            if (d.getSeconds() < 3600L * 1_000_000_000_000L) {
                assertThat(parsed).as("read back %s", text).isEqualTo(d);
                readBack++;
            } else {
                assertThat(parsed).as("more hours than are read here: %s", text).isIn(null, d);
            }
        }
        assertThat(readBack).as("most of them have fewer than 13 digits of hours").isGreaterThan(15_000);
    }

    @Test
    void shouldReadEitherWhatDurationParseReadsOrNothing() {
        for (String text : List.of("PT0S", "PT1M", "PT1H", "PT1H2M3S", "PT1.5S", "PT0.000000001S", "PT90M",
                "PT999999999999H59M59.999999999S", "PT1H1H", "PT1M1H", "PT1S1M", "PT-1S", "PT+1S", "P1D", "P1DT1H",
                "pt1s", "PT1s", "PT1.S", "PT.5S", "PT1.1234567891S", "PT10S5", "PTS", "PT", "PT1", "PT1,5S",
                "PT1.5", "PT1.5M", " PT1S", "PT1S ", "PT9223372036854775807S", "PT9999999999999H")) {
            Duration fast = IsoDurationText.parse(text);
            Duration jdk;
            try {
                jdk = Duration.parse(text);
            } catch (java.time.format.DateTimeParseException e) {
                jdk = null;
            }
            if (fast != null) {
                assertThat(fast).as("%s", text).isEqualTo(jdk);
            }
        }
        assertThat(IsoDurationText.parse("PT1H2M3.5S")).isEqualTo(Duration.ofSeconds(3723, 500_000_000));
        assertThat(IsoDurationText.parse("PT1M1H")).as("parts out of order are left to the JDK").isNull();
    }

    @Test
    void shouldLeaveNegativeDurationsToToString() {
        char[] buf = new char[IsoDurationText.MAX_LENGTH];
        assertThat(IsoDurationText.write(Duration.ofNanos(-1), buf)).isEqualTo(-1);
        assertThat(IsoDurationText.write(Duration.ofHours(-2), buf)).isEqualTo(-1);
    }
}
