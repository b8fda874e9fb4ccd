package dev.belfry.host.reliability.hostile;

import dev.belfry.host.testing.Eventually;
import java.io.PrintStream;
import java.time.Duration;

/** Set-up and clean-up around each hostile test, and where the tests print their figures. */
final class HostileRuns {
    /** The real standard error, taken before any test swaps it for a sink. */
    private static final PrintStream REAL_ERR = System.err;

    private HostileRuns() {
    }

    /** Before each test: the probe forgets the previous one. */
    static void reset() {
        Probe.reset();
    }

    /**
     * How long close() may take with abandoned threads still running: the shutdown grace (runs still going are
     * cancelled before its end), then up to 1 s waiting for worker threads, plus a second of slack for a loaded
     * machine.
     */
    static Duration closeBound(Duration grace) {
        return grace.plus(Duration.ofSeconds(2));
    }

    /** After each test: lets the loops that ignored interrupts end, so no test leaves a spinning thread behind. */
    static void releaseAbandoned() {
        Probe.release();
        Eventually.await(Duration.ofSeconds(10), () -> Probe.counted("deaf.ended") == Probe.counted("deaf.started")
                        && Probe.counted("spinner.ended") == Probe.counted("spinner.started"),
                () -> "abandoned loops ended");
    }

    /** Prints a figure for docs/reliability.md on the real standard error. */
    static void report(String line) {
        REAL_ERR.println("[hostile] " + line);
    }
}
