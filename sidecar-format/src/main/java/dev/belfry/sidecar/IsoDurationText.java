package dev.belfry.sidecar;

import java.time.Duration;

/**
 * The text of {@link Duration#toString()} for a duration that is not negative, written into a buffer instead of a
 * new {@code StringBuilder} and {@code String}: every commit writes each periodic job's period and initial delay,
 * and at 100,000 jobs that was most of the garbage a commit made. Negative durations (a schedule never has one)
 * are left to {@code toString()}, which stays the definition of the text. Reading it back is done here too, for
 * the same reason: {@code Duration.parse} is a regular expression, and a sidecar holds two durations a job.
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

    /**
     * Reads {@code PT[nH][nM][n[.f{1,9}]S]} with at least one part, the form {@link #write} produces.
     *
     * @param text the text
     * @return the duration, or null if the text is not in that form or its hours or minutes have more digits than
     *         this reads; the caller then asks {@code Duration.parse}, which accepts more forms and words the errors
     */
    static Duration parse(String text) {
        int length = text.length();
        if (length < 4 || length > MAX_LENGTH || text.charAt(0) != 'P' || text.charAt(1) != 'T') {
            return null;
        }
        long seconds = 0;
        int nanos = 0;
        int at = 2;
        // One pass over the parts in their only order; a unit's rank must grow, so "PT1M1H" is left to the JDK.
        int rank = 0;
        while (at < length) {
            int start = at;
            long value = 0;
            while (at < length && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
                value = value * 10 + (text.charAt(at++) - '0');
            }
            int digits = at - start;
            // 12 digits of hours, 14 of minutes and 18 of seconds add up to less than Long.MAX_VALUE seconds.
            if (digits == 0 || at == length || digits > 18) {
                return null;
            }
            char unit = text.charAt(at++);
            if (unit == 'H' && rank < 1 && digits <= 12) {
                seconds += value * 3600;
                rank = 1;
            } else if (unit == 'M' && rank < 2 && digits <= 14) {
                seconds += value * 60;
                rank = 2;
            } else if (unit == 'S' && at == length) {
                seconds += value;
                rank = 3;
            } else if (unit == '.' && rank < 3) {
                seconds += value;
                int fractionStart = at;
                int fraction = 0;
                while (at < length && text.charAt(at) >= '0' && text.charAt(at) <= '9' && at - fractionStart < 9) {
                    fraction = fraction * 10 + (text.charAt(at++) - '0');
                }
                int fractionDigits = at - fractionStart;
                if (fractionDigits == 0 || at != length - 1 || text.charAt(at) != 'S') {
                    return null;
                }
                for (int i = fractionDigits; i < 9; i++) {
                    fraction *= 10;
                }
                nanos = fraction;
                at = length;
                rank = 3;
            } else {
                return null;
            }
        }
        return Duration.ofSeconds(seconds, nanos);
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
