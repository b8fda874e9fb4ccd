package dev.belfry.host.internal.engine;

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
