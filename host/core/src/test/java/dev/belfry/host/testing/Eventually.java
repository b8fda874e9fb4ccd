package dev.belfry.host.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Bounded polling for true multi-threaded integration tests (a real host with its own threads). Never used to wait
 * for a schedule: the jobs these tests wait for fire at once or are triggered.
 */
public final class Eventually {
    private Eventually() {
    }

    public static void await(Duration limit, BooleanSupplier condition, Supplier<String> whatWasExpected) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + limit + ": " + whatWasExpected.get());
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + whatWasExpected.get(), e);
            }
        }
    }
}
