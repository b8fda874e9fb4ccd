package dev.belfry.host.reliability.fuzz;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

// Runs a fuzz loop on its own thread and fails the test, naming the input, if any one input takes longer than
// the bound: a hang shows up as "input N took longer than ..." with the input, not as a silent CI timeout.
final class Watchdog {
    private final AtomicReference<String> current = new AtomicReference<>("(none yet)");
    private final AtomicLong startedAt = new AtomicLong(System.nanoTime());

    /** Marks the start of one input; the description is what a failure message shows. */
    void input(String description) {
        current.set(description);
        startedAt.set(System.nanoTime());
    }

    interface Body {
        void run(Watchdog watchdog) throws Exception;
    }

    /**
     * Runs the body, failing if one input exceeds {@code perInput}.
     *
     * @param perInput the bound for one input
     * @param seed     printed with any failure
     * @param body     the fuzz loop; it calls {@link #input(String)} before each input
     */
    static void run(Duration perInput, long seed, Body body) throws Exception {
        Watchdog dog = new Watchdog();
        Throwable[] failure = new Throwable[1];
        Thread worker = new Thread(() -> {
            try {
                body.run(dog);
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "fuzz-worker");
        worker.setDaemon(true);
        worker.start();
        while (worker.isAlive()) {
            worker.join(100);
            long took = System.nanoTime() - dog.startedAt.get();
            if (worker.isAlive() && took > perInput.toNanos()) {
                StackTraceElement[] where = worker.getStackTrace();
                worker.interrupt();
                AssertionError e = new AssertionError("seed " + seed + ": one input took longer than " + perInput
                        + " (a hang): " + dog.current.get());
                Throwable at = new Throwable("the fuzz worker was here");
                at.setStackTrace(where);
                e.addSuppressed(at);
                throw e;
            }
        }
        if (failure[0] instanceof Exception ex) {
            throw ex;
        }
        if (failure[0] instanceof Error err) {
            throw err;
        }
    }
}
