package dev.belfry.host.internal.engine;

import java.time.Instant;
import java.util.Optional;
import java.util.PriorityQueue;

/** Every fire, retry, run timeout and run start the engine is waiting for, earliest first. Guarded by the engine lock. */
final class TimerHeap {
    private final EngineLock lock;
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private long seq;

    TimerHeap(EngineLock lock) {
        this.lock = lock;
    }

    Timer push(Timer.Kind kind, Instant due, JobSlot slot, Run run) {
        return push(kind, due, due, slot, run);
    }

    /** Pushes a timer that comes up at {@code due} for a fire at {@code instant}. */
    Timer push(Timer.Kind kind, Instant due, Instant instant, JobSlot slot, Run run) {
        assert lock.isHeld();
        Timer t = new Timer(due, instant, ++seq, kind, slot, run);
        timers.add(t);
        if (timers.peek() == t) {
            lock.wakeTimer(); // the timer thread may be sleeping towards a later instant
        }
        return t;
    }

    static void cancel(Timer t) {
        if (t != null) {
            t.cancel();
        }
    }

    /** @return the earliest timer due at or before {@code now} that is not cancelled, taken off the heap; or null */
    Timer pollDue(Instant now) {
        for (Timer t = timers.peek(); t != null && !t.due.isAfter(now); t = timers.peek()) {
            timers.poll();
            if (!t.isCancelled()) {
                return t;
            }
        }
        return null;
    }

    /** @return when the earliest live timer falls due, if any; cancelled timers ahead of it are dropped */
    Optional<Instant> nextDue() {
        while (!timers.isEmpty() && timers.peek().isCancelled()) {
            timers.poll();
        }
        return timers.isEmpty() ? Optional.empty() : Optional.of(timers.peek().due);
    }

    /** @return the due instant of the heap's head, cancelled or not (the timer loop's sleep bound), or null */
    Instant headDue() {
        Timer head = timers.peek();
        return head == null ? null : head.due;
    }
}
