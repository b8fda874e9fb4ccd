package dev.belfry.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A clock a test sets: it stands still until the test moves it. Thread-safe.
 *
 * <pre>{@code
 * SettableClock clock = SettableClock.at("2026-03-29T00:30:00Z", "Europe/Berlin");
 * clock.advance(Duration.ofHours(1));
 * }</pre>
 */
public final class SettableClock extends Clock {
    private final ZoneId zone;
    private volatile Instant now;

    private SettableClock(Instant now, ZoneId zone) {
        this.now = Objects.requireNonNull(now, "now");
        this.zone = Objects.requireNonNull(zone, "zone");
    }

    /**
     * @param now the instant the clock shows
     * @return a clock in UTC
     */
    public static SettableClock at(Instant now) {
        return new SettableClock(now, ZoneOffset.UTC);
    }

    /**
     * @param instant the instant the clock shows, ISO-8601 ({@code 2026-03-29T00:30:00Z})
     * @param zone    its zone id ({@code Europe/Berlin})
     * @return the clock
     */
    public static SettableClock at(String instant, String zone) {
        return new SettableClock(Instant.parse(instant), ZoneId.of(zone));
    }

    /**
     * @param instant where to set the clock; it may go backwards (a wall clock can)
     */
    public void set(Instant instant) {
        now = Objects.requireNonNull(instant, "instant");
    }

    /**
     * @param d how far to move the clock forwards; not negative
     * @throws IllegalArgumentException naming the duration if it is negative
     */
    public synchronized void advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("a clock advances by a duration that is not negative, not '" + d + "'");
        }
        now = now.plus(d);
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId other) {
        return other.equals(zone) ? this : new ZonedView(this, other);
    }

    /** The same settable time seen in another zone. */
    private static final class ZonedView extends Clock {
        private final SettableClock source;
        private final ZoneId zone;

        ZonedView(SettableClock source, ZoneId zone) {
            this.source = source;
            this.zone = zone;
        }

        @Override
        public Instant instant() {
            return source.instant();
        }

        @Override
        public ZoneId getZone() {
            return zone;
        }

        @Override
        public Clock withZone(ZoneId other) {
            return source.withZone(other);
        }
    }
}
