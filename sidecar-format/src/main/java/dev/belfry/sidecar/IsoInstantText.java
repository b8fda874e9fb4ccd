package dev.belfry.sidecar;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;

/**
 * The text of {@link Instant#toString()}, written and read without the JDK formatter: a sidecar of 100,000 jobs
 * holds about 400,000 instants, and the formatter was a large share of the time to write and to load one
 * ({@code Instant.parse} builds a new formatter for every call). Only the canonical form with a four-digit year
 * is handled here; everything else is left to {@code toString()} and {@code Instant.parse}, which stay the
 * definition of what is accepted.
 */
final class IsoInstantText {
    /** Longest text written here: {@code 9999-12-31T23:59:59.999999999Z}. */
    static final int MAX_LENGTH = 30;

    private static final long MIN_SECOND = -62_167_219_200L; // 0000-01-01T00:00:00Z
    private static final long MAX_SECOND = 253_402_300_799L; // 9999-12-31T23:59:59Z
    private static final long SECONDS_PER_DAY = 86_400L;

    private IsoInstantText() {
    }

    /**
     * @param instant the instant
     * @param buf     at least {@link #MAX_LENGTH} chars
     * @return the number of chars written, or -1 if the instant is outside the years 0000-9999
     */
    static int write(Instant instant, char[] buf) {
        long seconds = instant.getEpochSecond();
        if (seconds < MIN_SECOND || seconds > MAX_SECOND) {
            return -1;
        }
        LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, SECONDS_PER_DAY));
        int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
        int year = date.getYear();
        int month = date.getMonthValue();
        int day = date.getDayOfMonth();

        digits(buf, 0, year, 4);
        buf[4] = '-';
        digits(buf, 5, month, 2);
        buf[7] = '-';
        digits(buf, 8, day, 2);
        buf[10] = 'T';
        digits(buf, 11, secondOfDay / 3600, 2);
        buf[13] = ':';
        digits(buf, 14, secondOfDay / 60 % 60, 2);
        buf[16] = ':';
        digits(buf, 17, secondOfDay % 60, 2);
        int at = 19;
        int nano = instant.getNano();
        if (nano != 0) {
            // Like ISO_INSTANT: the fraction in groups of three digits, as many groups as it needs.
            buf[at++] = '.';
            if (nano % 1_000_000 == 0) {
                digits(buf, at, nano / 1_000_000, 3);
                at += 3;
            } else if (nano % 1_000 == 0) {
                digits(buf, at, nano / 1_000, 6);
                at += 6;
            } else {
                digits(buf, at, nano, 9);
                at += 9;
            }
        }
        buf[at++] = 'Z';
        return at;
    }

    /**
     * Reads {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}, the form {@link #write} produces (with any number of fraction
     * digits).
     *
     * @param text the text
     * @return the instant, or null if the text is not in that form or not a valid date and time; the caller then
     *         asks {@code Instant.parse}, which accepts more forms and words the errors
     */
    static Instant parse(CharSequence text) {
        int length = text.length();
        if (length < 20 || length > MAX_LENGTH || text.charAt(4) != '-' || text.charAt(7) != '-'
                || text.charAt(10) != 'T' || text.charAt(13) != ':' || text.charAt(16) != ':'
                || text.charAt(length - 1) != 'Z') {
            return null;
        }
        int year = number(text, 0, 4);
        int month = number(text, 5, 2);
        int day = number(text, 8, 2);
        int hour = number(text, 11, 2);
        int minute = number(text, 14, 2);
        int second = number(text, 17, 2);
        int nano = 0;
        if (length > 20) {
            int digits = length - 21;
            if (text.charAt(19) != '.' || digits < 1 || digits > 9) {
                return null;
            }
            nano = number(text, 20, digits);
            for (int i = digits; i < 9 && nano >= 0; i++) {
                nano *= 10;
            }
        }
        if ((year | month | day | hour | minute | second | nano) < 0 || month < 1 || month > 12 || day < 1
                || day > 31 || hour > 23 || minute > 59 || second > 59) {
            return null;
        }
        if (day > 28 && day > YearMonth.of(year, month).lengthOfMonth()) {
            return null;
        }
        long days = LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(days * SECONDS_PER_DAY + hour * 3600L + minute * 60L + second, nano);
    }

    /** @return the decimal number of {@code width} digits at {@code from}, or -1 if one is not a digit */
    private static int number(CharSequence text, int from, int width) {
        int value = 0;
        for (int i = from; i < from + width; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static void digits(char[] buf, int from, int value, int width) {
        for (int i = from + width - 1; i >= from; i--) {
            buf[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }
}
