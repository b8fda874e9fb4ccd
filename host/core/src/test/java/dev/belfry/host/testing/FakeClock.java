package dev.belfry.host.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock that stands still until a test moves it, and only ever forward. Thread-safe. */
public final class FakeClock extends Clock {
    private volatile Instant now;

    public FakeClock(Instant start) {
        this.now = start;
    }

    public static FakeClock at(String isoInstant) {
        return new FakeClock(Instant.parse(isoInstant));
    }

    public synchronized FakeClock advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a fake clock only moves forward: " + by);
        }
        now = now.plus(by);
        return this;
    }

    public synchronized FakeClock set(Instant to) {
        if (to.isBefore(now)) {
            throw new IllegalArgumentException("a fake clock only moves forward: " + to + " is before " + now);
        }
        now = to;
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a fake clock is UTC only");
    }
}
