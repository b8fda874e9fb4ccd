package dev.belfry.sidecar;

import java.time.Duration;

/**
 * The text of {@link Duration#toString()} for a duration that is not negative, written into a buffer instead of a
 * new {@code StringBuilder} and {@code String}: every commit writes each periodic job's period and initial delay,
 * and at 100,000 jobs that was most of the garbage a commit made. Negative durations (a schedule never has one)
 * are left to {@code toString()}, which stays the definition of the text.
 */
final class IsoDurationText {
    /** Longest text written here: {@code PT2562047788015215H30M7.999999999S}. */
    static final int MAX_LENGTH = 35;

    private IsoDurationText() {
    }

    /**
     * @param duration the duration
     * @param buf      at least {@link #MAX_LENGTH} chars
     * @return the number of chars written, or -1 if the duration is negative
     */
    static int write(Duration duration, char[] buf) {
        if (duration.isNegative()) {
            return -1;
        }
        long seconds = duration.getSeconds();
        int nanos = duration.getNano();
        buf[0] = 'P';
        buf[1] = 'T';
        int at = 2;
        long hours = seconds / 3600;
        int minutes = (int) (seconds % 3600 / 60);
        int secs = (int) (seconds % 60);
        if (hours != 0) {
            at = number(buf, at, hours);
            buf[at++] = 'H';
        }
        if (minutes != 0) {
            at = number(buf, at, minutes);
            buf[at++] = 'M';
        }
        if (secs == 0 && nanos == 0 && at > 2) {
            return at; // whole minutes or hours: no seconds part
        }
        at = number(buf, at, secs);
        if (nanos > 0) {
            // The fraction's nine digits without their trailing zeros: 1.5 s is PT1.5S.
            int digits = 9;
            int fraction = nanos;
            while (fraction % 10 == 0) {
                fraction /= 10;
                digits--;
            }
            buf[at++] = '.';
            for (int i = at + digits - 1; i >= at; i--) {
                buf[i] = (char) ('0' + fraction % 10);
                fraction /= 10;
            }
            at += digits;
        }
        buf[at++] = 'S';
        return at;
    }

    // The decimal digits of a value that is not negative.
    private static int number(char[] buf, int at, long value) {
        int length = 1;
        for (long rest = value / 10; rest != 0; rest /= 10) {
            length++;
        }
        for (int i = at + length - 1; i >= at; i--) {
            buf[i] = (char) ('0' + value % 10);
            value /= 10;
        }
        return at + length;
    }
}
