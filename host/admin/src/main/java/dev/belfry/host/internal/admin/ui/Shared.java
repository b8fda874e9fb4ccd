package dev.belfry.host.internal.admin.ui;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A value every open dashboard shares (the snapshot of every job a filtered list is drawn from, the overview), taken
 * again once it is older than {@link #FRESH} ({@link #FRESH_WHEN_BUSY} on a busy host) or after an operator's action:
 * twenty open dashboards reloading on the same events must not each make the host take it.
 *
 * @param <T> the value
 */
final class Shared<T> {
    /** How old a shared value may be. */
    static final Duration FRESH = Duration.ofSeconds(1);
    /**
     * How old it may be on a busy host: its pages reload every 15 s or more then, and each new value takes the cores
     * the host fires on.
     */
    static final Duration FRESH_WHEN_BUSY = Duration.ofSeconds(5);

    private final Supplier<T> take;
    private final LongSupplier nanoTime;
    private final BooleanSupplier busy;
    private T value;
    private long takenAt;

    /**
     * @param take     takes the value
     * @param nanoTime a monotonic clock in nanoseconds
     * @param busy     whether the host is busy (see {@link EventHub#busy()})
     */
    Shared(Supplier<T> take, LongSupplier nanoTime, BooleanSupplier busy) {
        this.take = take;
        this.nanoTime = nanoTime;
        this.busy = busy;
    }

    /** @return the value, as of at most {@link #FRESH} ago ({@link #FRESH_WHEN_BUSY} on a busy host) */
    synchronized T get() {
        long now = nanoTime.getAsLong();
        Duration fresh = busy.getAsBoolean() ? FRESH_WHEN_BUSY : FRESH;
        if (value == null || now - takenAt >= fresh.toNanos()) {
            value = take.get();
            takenAt = now;
        }
        return value;
    }

    /** Drops the value: after an operator's action the next page shows its effect. */
    synchronized void changed() {
        value = null;
    }
}
