package dev.belfry.host.internal.engine;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs job code off the timer thread. The engine itself caps how many runs execute at once, so an executor never
 * queues: a run whose thread is abandoned after a timeout no longer counts against the cap, and a fresh thread
 * takes its place. Tests pass an executor that runs nothing until told to.
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
     * @param threads a pool of interchangeable worker threads
     * @return an executor on {@code threads} whose workers carry on with waiting runs
     */
    static RunExecutor pooled(Executor threads) {
        return new RunExecutor() {
            @Override
            public void execute(Runnable run) {
                threads.execute(run);
            }

            @Override
            public boolean workersCarryOn() {
                return true;
            }
        };
    }

    /**
     * @return threads named {@code belfry-run-N}, created as needed and kept idle for a minute
     */
    static ExecutorService workerThreads() {
        AtomicInteger count = new AtomicInteger();
        return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "belfry-run-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }
}
