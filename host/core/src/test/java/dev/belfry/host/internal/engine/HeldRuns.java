package dev.belfry.host.internal.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

/**
 * A {@link RunExecutor} that holds every run until the test releases it, then runs it on the test's own thread:
 * runs start and end exactly when the test says, with no thread scheduling in between.
 */
final class HeldRuns implements RunExecutor {
    private final Queue<Runnable> held = new ArrayDeque<>();
    private final boolean carryOn;
    private final int threadLimit;

    /** Runs are handed over one by one: a finished run's thread never goes on with another. */
    HeldRuns() {
        this(false);
    }

    /** @param carryOn whether a finished run's thread goes on with a run that waited for a worker */
    HeldRuns(boolean carryOn) {
        this(carryOn, Integer.MAX_VALUE);
    }

    /**
     * @param carryOn     whether a finished run's thread goes on with a run that waited for a worker
     * @param threadLimit how many runs the engine may hand over at once, abandoned ones included
     */
    HeldRuns(boolean carryOn, int threadLimit) {
        this.carryOn = carryOn;
        this.threadLimit = threadLimit;
    }

    @Override
    public boolean workersCarryOn() {
        return carryOn;
    }

    @Override
    public int threadLimit() {
        return threadLimit;
    }

    @Override
    public synchronized void execute(Runnable run) {
        held.add(run);
    }

    synchronized int size() {
        return held.size();
    }

    /** Runs the oldest held run to completion. */
    void runOne() {
        Runnable r;
        synchronized (this) {
            r = held.poll();
        }
        if (r == null) {
            throw new IllegalStateException("no run is held");
        }
        r.run();
    }

    /** Runs every held run, including runs that those runs cause, until none is left. */
    int runAll() {
        int count = 0;
        while (true) {
            List<Runnable> batch;
            synchronized (this) {
                if (held.isEmpty()) {
                    return count;
                }
                batch = new ArrayList<>(held);
                held.clear();
            }
            for (Runnable r : batch) {
                r.run();
                count++;
            }
        }
    }
}
