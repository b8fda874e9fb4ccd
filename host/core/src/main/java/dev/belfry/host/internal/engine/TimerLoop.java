package dev.belfry.host.internal.engine;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code belfry-timer} thread: sleeps on the engine lock's condition exactly until the earliest timer, then
 * handles everything due ({@link #runDue()} is the same step, for tests that do not start the thread).
 */
final class TimerLoop {
    /** Logged under the engine's name: to an operator (and to the tests) the engine's parts are one component. */
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    private final EngineLock lock;
    private final Clock clock;
    private final TimerHeap timers;
    private final RunDispatcher dispatcher;
    private final PluginJobs plugins;
    private final EngineSettings settings;
    /** Guarded by the engine lock. */
    private Thread thread;

    TimerLoop(EngineLock lock, Clock clock, TimerHeap timers, RunDispatcher dispatcher, PluginJobs plugins,
              EngineSettings settings) {
        this.lock = lock;
        this.clock = clock;
        this.timers = timers;
        this.dispatcher = dispatcher;
        this.plugins = plugins;
        this.settings = settings;
    }

    void start() {
        lock.lock();
        try {
            if (thread != null) {
                return;
            }
            thread = new Thread(this::loop, "belfry-timer");
            thread.setDaemon(true);
            thread.start();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        lock.lock();
        try {
            while (!dispatcher.stopping()) {
                try {
                    step(clock.instant());
                } catch (RuntimeException | LinkageError e) {
                    // The loop must survive any single bad step, or every job stops firing.
                    lock.later(() -> log.error("engine step failed; carrying on", e));
                }
                if (lock.hasDeferredLogs()) {
                    lock.unlock(); // write what this step logged without holding up the workers
                    lock.lock();
                }
                long sleep = settings.maxTimerSleep().toNanos();
                Instant head = timers.headDue();
                if (head != null) {
                    sleep = Saturating.nanosUntil(clock.instant(), head, sleep);
                }
                if (sleep > 0 && !dispatcher.stopping()) {
                    lock.awaitWake(sleep);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** See {@link Engine#runDue()}. */
    int runDue() {
        lock.lock();
        try {
            return step(clock.instant());
        } finally {
            lock.unlock();
        }
    }

    Optional<Instant> nextDue() {
        lock.lock();
        try {
            return timers.nextDue();
        } finally {
            lock.unlock();
        }
    }

    /** @return how many runs were dispatched */
    private int step(Instant now) {
        long before = dispatcher.dispatched();
        for (Timer t = timers.pollDue(now); t != null; t = timers.pollDue(now)) {
            switch (t.kind) {
                case FIRE -> dispatcher.onFireDue(t.slot, t.instant, now);
                case START -> dispatcher.onStartDue(t.run(), now);
                case RETRY -> dispatcher.onRetryDue(t.slot, now);
                case TIMEOUT -> dispatcher.onTimeout(t.run(), now);
                default -> throw new IllegalStateException("unknown timer kind " + t.kind);
            }
        }
        dispatcher.dispatchWaiting(now);
        plugins.pruneIfDue(now);
        return (int) (dispatcher.dispatched() - before);
    }

    /**
     * Wakes the thread to see that the engine stops ({@link RunDispatcher#stopStarting()} comes first) and waits for
     * it to end, at most the timer's longest sleep.
     */
    void stop() {
        Thread t;
        lock.lock();
        try {
            t = thread;
            lock.wakeAll();
        } finally {
            lock.unlock();
        }
        if (t != null) {
            try {
                t.join(Math.max(1, settings.maxTimerSleep().toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
