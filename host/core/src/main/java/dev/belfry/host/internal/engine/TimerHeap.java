package dev.belfry.host.internal.engine;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;

/**
 * Every fire, retry, run timeout and run start the engine is waiting for, earliest first: a binary heap in an array,
 * written out (not {@link PriorityQueue}) so that the next few fires can be read off its top without taking them.
 * Guarded by the engine lock.
 */
final class TimerHeap {
    private final EngineLock lock;
    private Timer[] heap = new Timer[64];
    private int size;
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
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        siftUp(size++, t);
        if (heap[0] == t) {
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
        for (Timer t = peek(); t != null && !t.due.isAfter(now); t = peek()) {
            poll();
            if (!t.isCancelled()) {
                return t;
            }
        }
        return null;
    }

    /** @return when the earliest live timer falls due, if any; cancelled timers ahead of it are dropped */
    Optional<Instant> nextDue() {
        while (size > 0 && heap[0].isCancelled()) {
            poll();
        }
        return size == 0 ? Optional.empty() : Optional.of(heap[0].due);
    }

    /** @return the due instant of the heap's head, cancelled or not (the timer loop's sleep bound), or null */
    Instant headDue() {
        Timer head = peek();
        return head == null ? null : head.due;
    }

    /**
     * The earliest live fire timers, read off the top of the heap without taking them: in a heap each entry comes
     * before its two children, so the next earliest is always a child of one already read, and this reads about
     * {@code max} entries (and the cancelled ones among them), not the whole heap. Timers due at the same instant as
     * the last one read all come too: which of them is listed first is for the caller's order to say.
     *
     * @param max    how many, and those due at the same instant as the last
     * @param before only fires for instants before this
     * @return the fire timers, by their due instant
     */
    List<Timer> earliestFires(int max, Instant before) {
        assert lock.isHeld();
        List<Timer> out = new ArrayList<>(max);
        PriorityQueue<Integer> frontier = new PriorityQueue<>((a, b) -> heap[a].compareTo(heap[b]));
        if (size > 0) {
            frontier.add(0);
        }
        while (!frontier.isEmpty()) {
            int i = frontier.poll();
            Timer t = heap[i];
            if (!t.due.isBefore(before)) {
                break; // every timer still to read comes up later
            }
            if (out.size() >= max && !t.due.equals(out.get(out.size() - 1).due)) {
                break;
            }
            if (t.kind == Timer.Kind.FIRE && !t.isCancelled() && t.instant.isBefore(before)) {
                out.add(t);
            }
            for (int child = 2 * i + 1; child <= 2 * i + 2 && child < size; child++) {
                frontier.add(child);
            }
        }
        return out;
    }

    private Timer peek() {
        return size == 0 ? null : heap[0];
    }

    private void poll() {
        Timer last = heap[--size];
        heap[size] = null;
        if (size > 0) {
            siftDown(0, last);
        }
    }

    private void siftUp(int at, Timer t) {
        while (at > 0) {
            int parent = (at - 1) >>> 1;
            if (t.compareTo(heap[parent]) >= 0) {
                break;
            }
            heap[at] = heap[parent];
            at = parent;
        }
        heap[at] = t;
    }

    private void siftDown(int at, Timer t) {
        int half = size >>> 1;
        while (at < half) {
            int child = 2 * at + 1;
            int right = child + 1;
            if (right < size && heap[right].compareTo(heap[child]) < 0) {
                child = right;
            }
            if (t.compareTo(heap[child]) <= 0) {
                break;
            }
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = t;
    }
}
