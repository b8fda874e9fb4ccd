package dev.belfry.host.internal.graph;

import java.time.Duration;

/** Bounded polling for the mirror thread: retries an assertion until it passes or the time is up. */
final class Poll {
    static final Duration DEFAULT = Duration.ofSeconds(30);

    private Poll() {
    }

    /** An assertion that may throw anything. */
    @FunctionalInterface
    interface Check {
        void run() throws Exception;
    }

    /** Runs {@code check} until it passes; after {@link #DEFAULT}, throws its last failure. */
    static void until(Check check) {
        until(DEFAULT, check);
    }

    /** Runs {@code check} until it passes; after {@code timeout}, throws its last failure. */
    static void until(Duration timeout, Check check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                check.run();
                return;
            } catch (Exception | AssertionError e) {
                if (System.nanoTime() - deadline > 0) {
                    AssertionError failure = new AssertionError("still failing after " + timeout + ": " + e.getMessage());
                    failure.initCause(e);
                    throw failure;
                }
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while polling", e);
            }
        }
    }
}
