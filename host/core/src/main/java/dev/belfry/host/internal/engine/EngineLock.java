package dev.belfry.host.internal.engine;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The engine's one lock: it guards every job's state in every part of the engine (the job table, the timer heap,
 * the dispatcher's counts and queue). Whoever holds it holds it briefly: nothing slow (plugin code, I/O, waiting
 * for a commit, writing a log line) happens under it.
 */
final class EngineLock {
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when the earliest timer changes, or the engine stops: the timer thread may be sleeping too long. */
    private final Condition wake = lock.newCondition();
    /**
     * Log lines made while holding the lock, written once it is released: the log's output can be slow (a
     * terminal, a full pipe, a plugin flooding stderr), and no fire should wait for it. A cancelled run's
     * {@code onCancel} callbacks (plugin code) wait here too.
     */
    private final ConcurrentLinkedQueue<Runnable> deferredLogs = new ConcurrentLinkedQueue<>();

    void lock() {
        lock.lock();
    }

    /** Releases the lock, then (once this thread no longer holds it at all) does what waited for that. */
    void unlock() {
        lock.unlock();
        if (lock.isHeldByCurrentThread()) {
            return; // a nested hold: the outermost unlock drains
        }
        for (Runnable line = deferredLogs.poll(); line != null; line = deferredLogs.poll()) {
            line.run();
        }
    }

    /** Queues a log line to be written once the lock is released. */
    void later(Runnable line) {
        deferredLogs.add(line);
    }

    boolean hasDeferredLogs() {
        return !deferredLogs.isEmpty();
    }

    /** Wakes the timer thread (the caller holds the lock). */
    void wakeTimer() {
        wake.signal();
    }

    /** Wakes every thread waiting on the timer condition (the caller holds the lock). */
    void wakeAll() {
        wake.signalAll();
    }

    /** Waits on the timer condition, releasing the lock meanwhile (the caller holds it). */
    void awaitWake(long nanos) throws InterruptedException {
        wake.awaitNanos(nanos);
    }

    /** @return whether the calling thread holds the lock: asserted by the parts' methods that change state */
    boolean isHeld() {
        return lock.isHeldByCurrentThread();
    }
}
