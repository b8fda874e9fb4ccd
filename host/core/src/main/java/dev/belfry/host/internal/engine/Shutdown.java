package dev.belfry.host.internal.engine;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The engine's two-phase shutdown (see {@link Engine#shutdown}). Takes the engine lock only in short steps. */
final class Shutdown {
    /** The end of the shutdown grace that runs still going get to react to their cancellation (at most). */
    private static final Duration CANCEL_WINDOW = Duration.ofSeconds(2);
    // While a run's timeout is pending the clock is read again at least this often (it may jump, or be a test's),
    // and at most this often (a timeout just due is handled on the next read).
    private static final long TIMEOUT_CLOCK_READ_NANOS = Duration.ofMillis(100).toNanos();
    private static final long MIN_TIMEOUT_WAIT_NANOS = Duration.ofMillis(1).toNanos();

    private final EngineLock lock;
    private final Clock clock;
    private final JobTable table;
    private final RunDispatcher dispatcher;
    private final TimerLoop loop;

    Shutdown(EngineLock lock, Clock clock, JobTable table, RunDispatcher dispatcher, TimerLoop loop) {
        this.lock = lock;
        this.clock = clock;
        this.table = table;
        this.dispatcher = dispatcher;
        this.loop = loop;
    }

    void run(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos(); // elapsed time, not clock time: a real wait
        // Cancelled runs get the last part of the grace to react: two seconds, or half of a shorter grace.
        long cancelAt = deadline - Math.min(CANCEL_WINDOW.toNanos(), grace.toNanos() / 2);
        dispatcher.stopStarting();
        loop.stop();
        awaitRunsEnforcingTimeouts(cancelAt);
        List<Run> rest;
        lock.lock();
        try {
            rest = table.runningRuns();
        } finally {
            lock.unlock();
        }
        for (Run run : rest) {
            run.cancel("host shutting down");
        }
        Run.awaitAll(rest, deadline);
        lock.lock();
        try {
            Instant now = clock.instant();
            for (Run run : rest) {
                if (!run.abandoned && run.slot.runs().contains(run)) {
                    dispatcher.giveUp(run, "host shut down during the run", false, now);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until no run is going or {@code deadline} ({@link System#nanoTime()}) has come, timing out runs whose
     * timeout passes meanwhile and starting runs claimed ahead once their instant comes, as the timer thread
     * (stopped by now) would have.
     */
    private void awaitRunsEnforcingTimeouts(long deadline) {
        while (true) {
            Run waitFor = null;
            Instant nextDue = null;
            Instant now;
            lock.lock();
            try {
                now = clock.instant();
                List<Run> overdue = new ArrayList<>();
                List<Run> startsDue = new ArrayList<>();
                for (JobSlot slot : table.all()) {
                    for (Run run : slot.runs()) {
                        Timer timeout = run.timeoutTimer;
                        Timer start = run.startTimer;
                        if (timeout != null && !timeout.due.isAfter(now)) {
                            overdue.add(run);
                            continue;
                        }
                        if (start != null && !start.due.isAfter(now)) {
                            startsDue.add(run);
                        }
                        waitFor = run;
                        for (Timer t : new Timer[] {timeout, start}) {
                            if (t != null && t.due.isAfter(now)
                                    && (nextDue == null || t.due.isBefore(nextDue))) {
                                nextDue = t.due;
                            }
                        }
                    }
                }
                overdue.forEach(run -> dispatcher.onTimeout(run, now));
                startsDue.forEach(run -> dispatcher.onStartDue(run, now));
            } finally {
                lock.unlock();
            }
            long left = deadline - System.nanoTime();
            if (waitFor == null || left <= 0) {
                return;
            }
            long wait = nextDue == null ? left : Math.min(left, Math.max(MIN_TIMEOUT_WAIT_NANOS,
                    Saturating.nanosUntil(now, nextDue, TIMEOUT_CLOCK_READ_NANOS)));
            try {
                waitFor.awaitDone(Duration.ofNanos(wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
