package dev.belfry.host.internal.engine;

import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The host's worker pool: an idle thread takes a run if there is one, else a new thread is started, up to a fixed
 * number; an idle thread ends after a minute. At the limit a run waits in the pool's queue for the next thread to
 * come free. The engine keeps its runs within the limit ({@link RunExecutor#threadLimit()}), so that queue only
 * bridges the moment between the engine recording a run's end and the run's thread going back to the pool.
 *
 * <p>A {@code ThreadPoolExecutor} on its own either reuses idle threads (a {@code SynchronousQueue}, which refuses a
 * run at the limit in that moment) or queues (a core pool, which starts a thread for every run until the limit is
 * reached even while others sit idle); this queue gives both.
 */
final class WorkerThreads {
    private static final long IDLE_SECONDS = 60;

    private WorkerThreads() {
    }

    static ThreadPoolExecutor create(int threads, ThreadFactory factory) {
        if (threads < 1) {
            throw new IllegalArgumentException("worker threads must be at least 1: " + threads);
        }
        HandOff queue = new HandOff();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, threads, IDLE_SECONDS, TimeUnit.SECONDS, queue, factory,
                (run, p) -> {
                    // Refused by offer() because a thread could be started, then the limit was reached after all.
                    if (p.isShutdown() || !queue.enqueue(run)) {
                        throw new RejectedExecutionException("the worker pool is shut down");
                    }
                });
        queue.pool = pool;
        return pool;
    }

    /** Hands a run to an idle thread; failing that, asks for a new thread below the limit, and queues it at it. */
    private static final class HandOff extends LinkedTransferQueue<Runnable> {
        private static final long serialVersionUID = 1L;
        private transient volatile ThreadPoolExecutor pool;

        @Override
        public boolean offer(Runnable run) {
            // false makes the pool start a thread for it
            return tryTransfer(run) || (pool.getPoolSize() >= pool.getMaximumPoolSize() && super.offer(run));
        }

        boolean enqueue(Runnable run) {
            return super.offer(run);
        }
    }
}
