package dev.belfry.host.internal.engine;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs job code off the timer thread. The engine itself caps how many runs execute at once, so an executor never
 * queues: a run whose thread is abandoned after a timeout no longer counts against the cap, and another thread takes
 * its place, up to the executor's {@link #threadLimit()}. Tests pass an executor that runs nothing until told to.
 */
@FunctionalInterface
public interface RunExecutor {

    /**
     * Starts a run; must not block.
     *
     * @param run the run's body
     */
    void execute(Runnable run);

    /**
     * Whether the thread of a run that has just ended may go straight on with a run that was waiting for a worker,
     * instead of that run being handed to {@link #execute}. When every worker is busy and fires queue up, this
     * saves a thread hand-off (a wake-up of a parked thread) per run, which is most of the cost of a short run.
     *
     * @return false unless the executor is a pool of interchangeable threads
     */
    default boolean workersCarryOn() {
        return false;
    }

    /**
     * The most runs that may hold a thread of this executor at once, counting runs given up after their timeout
     * whose code has not returned. The engine hands over no run beyond it: the fire waits for a worker instead.
     *
     * @return the number of threads the executor has at most; {@link Integer#MAX_VALUE} when it has no limit
     */
    default int threadLimit() {
        return Integer.MAX_VALUE;
    }

    /**
     * @param threads a pool of interchangeable worker threads that starts a thread for every run it is given
     * @return an executor on {@code threads} whose workers carry on with waiting runs, with no thread limit
     */
    static RunExecutor pooled(Executor threads) {
        return pooled(threads, Integer.MAX_VALUE);
    }

    /**
     * @param threads     a pool of interchangeable worker threads, such as {@link #workerThreads}
     * @param threadLimit how many threads the pool has at most
     * @return an executor on {@code threads} whose workers carry on with waiting runs and that the engine gives at
     *         most {@code threadLimit} runs at once
     */
    static RunExecutor pooled(Executor threads, int threadLimit) {
        if (threadLimit < 1) {
            throw new IllegalArgumentException("threadLimit must be at least 1: " + threadLimit);
        }
        return new RunExecutor() {
            @Override
            public void execute(Runnable run) {
                threads.execute(run);
            }

            @Override
            public boolean workersCarryOn() {
                return true;
            }

            @Override
            public int threadLimit() {
                return threadLimit;
            }
        };
    }

    /**
     * The worker threads a host needs for a cap on concurrent runs: the cap, and as many again for runs given up
     * after their timeout whose code ignores the cancellation and goes on. While abandoned runs hold more threads
     * than that headroom, they hold threads of the cap, and due fires wait for a worker until one returns.
     *
     * @param maxConcurrentRuns the engine's cap on runs executing at once
     * @return twice the cap (at most {@link Integer#MAX_VALUE})
     */
    static int threadLimitFor(int maxConcurrentRuns) {
        if (maxConcurrentRuns < 1) {
            throw new IllegalArgumentException("maxConcurrentRuns must be at least 1: " + maxConcurrentRuns);
        }
        return (int) Math.min(Integer.MAX_VALUE, 2L * maxConcurrentRuns);
    }

    /**
     * A pool of at most {@code threads} threads: an idle one takes the next run, else a new one is started; idle
     * threads end after a minute. Pass it to {@link #pooled(Executor, int)} with the same limit.
     *
     * @param threads the most threads the pool ever has (see {@link #threadLimitFor})
     * @param factory makes the threads
     * @return the pool; shut it down when the engine has stopped
     */
    static ExecutorService workerThreads(int threads, ThreadFactory factory) {
        return WorkerThreads.create(threads, Objects.requireNonNull(factory, "factory"));
    }

    /** @return a factory of daemon threads named {@code belfry-run-1}, {@code belfry-run-2}, ... */
    static ThreadFactory namedThreads() {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "belfry-run-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
