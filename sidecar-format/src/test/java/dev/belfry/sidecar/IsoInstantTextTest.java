package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IsoInstantTextTest {
    private static final long MIN_SECOND = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    private static final long MAX_SECOND = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();

    @Test
    void shouldWriteExactlyWhatToStringWritesForEveryKindOfFraction() {
        List<Instant> instants = new ArrayList<>(List.of(
                Instant.EPOCH,
                Instant.parse("0000-01-01T00:00:00Z"),
                Instant.parse("9999-12-31T23:59:59.999999999Z"),
                Instant.parse("1969-12-31T23:59:59.999Z"),
                Instant.parse("2000-02-29T12:00:00.000001Z"),
                Instant.parse("2100-03-01T00:00:00.100Z"),
                Instant.parse("2027-01-04T12:00:00.123456789Z"),
                Instant.parse("1600-02-29T23:59:59.120Z")));
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            long second = random.nextLong(MIN_SECOND, MAX_SECOND + 1);
            int nano = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1_000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            instants.add(Instant.ofEpochSecond(second, nano));
        }
        char[] buf = new char[IsoInstantText.MAX_LENGTH];
        for (Instant instant : instants) {
            int length = IsoInstantText.write(instant, buf);
            assertThat(new String(buf, 0, length)).as("epoch second %d", instant.getEpochSecond())
                    .isEqualTo(instant.toString());
        }
    }

    @Test
    void shouldReadBackWhatItWritesAndAgreeWithInstantParseOnEveryOtherText() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 200_000; i++) {
            Instant instant = Instant.ofEpochSecond(random.nextLong(MIN_SECOND, MAX_SECOND + 1),
                    i % 2 == 0 ? 0 : random.nextInt(1_000_000_000));
            assertThat(IsoInstantText.parse(instant.toString())).isEqualTo(instant);
        }
        List<String> texts = new ArrayList<>(List.of(
                "2026-11-23T04:05:06Z", "2026-11-23T04:05:06.1Z", "2026-11-23T04:05:06.12Z",
                "2026-11-23T04:05:06.1234Z", "2026-11-23T04:05:06.123456789Z", "2026-11-23T04:05:06.Z",
                "2026-11-23T04:05:06.1234567890Z", "2026-02-29T00:00:00Z", "2024-02-29T00:00:00Z",
                "2026-04-31T00:00:00Z", "2026-04-30T24:00:00Z", "2026-04-30T23:60:00Z", "2026-12-31T23:59:60Z",
                "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z", "2026-11-23t04:05:06Z",
                "2026-11-23T04:05:06z", "2026-11-23T04:05:06+01:00", "2026-11-23T04:05:06", "+2026-11-23T04:05:06Z",
                "2026-11-23 04:05:06Z", "20261123T040506Z", "2026-1-23T04:05:06Z", "0000-01-01T00:00:00Z",
                "2026-11-23T04:05:0６Z", "2026-11-23T04:05:06.-1Z", "-001-11-23T04:05:06Z", ""));
        String digits = "0123456789:-.TZ+x";
        for (int i = 0; i < 50_000; i++) {
            char[] text = "2026-11-23T04:05:06.123456Z".toCharArray();
            text[random.nextInt(text.length)] = digits.charAt(random.nextInt(digits.length()));
            texts.add(new String(text, 0, random.nextInt(18, text.length + 1)));
        }
        for (String text : texts) {
            Instant expected;
            try {
                expected = Instant.parse(text);
            } catch (DateTimeParseException e) {
                expected = null;
            }
            Instant fast = IsoInstantText.parse(text);
            if (fast != null) {
                assertThat(fast).as(text).isEqualTo(expected);
            }
        }
        assertThat(IsoInstantText.parse("2026-11-23T04:05:06.1Z")).isNotNull(); // the short forms take the fast way
        assertThat(IsoInstantText.parse("2026-02-29T00:00:00Z")).isNull();
    }

    @Test
    void shouldLeaveInstantsOutsideFourDigitYearsToToString() {
        char[] buf = new char[IsoInstantText.MAX_LENGTH];
        assertThat(IsoInstantText.write(Instant.parse("+10000-01-01T00:00:00Z"), buf)).isEqualTo(-1);
        assertThat(IsoInstantText.write(Instant.ofEpochSecond(MIN_SECOND - 1), buf)).isEqualTo(-1);
        assertThat(IsoInstantText.write(Instant.MAX, buf)).isEqualTo(-1);
        assertThat(IsoInstantText.write(Instant.MIN, buf)).isEqualTo(-1);
    }
}
