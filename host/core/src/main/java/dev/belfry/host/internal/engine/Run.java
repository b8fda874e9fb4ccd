package dev.belfry.host.internal.engine;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobScheduler;
import dev.belfry.api.QName;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One run of one job: the {@link JobContext} its code sees, its cancellation, and the thread it runs on. Fields
 * that the engine changes are guarded by the engine's lock; what the run's own thread reads is volatile.
 */
final class Run implements JobContext {
    private static final Logger log = LoggerFactory.getLogger(Run.class);

    final long id;
    final JobSlot slot;
    final BackgroundJob code;
    final Instant scheduledFor;
    final Instant firedAt;
    final int attempt;
    private final Engine engine;
    private final CountDownLatch done = new CountDownLatch(1);
    private final List<Runnable> cancelCallbacks = new ArrayList<>();

    private volatile String cancelReason;
    private volatile Thread thread;
    private volatile double progress;
    private volatile String progressMessage = "";
    /** Set by the RunDispatcher when it stops waiting for this run (timeout, plugin stop); guarded by the lock. */
    boolean abandoned;
    /**
     * Set when the run is cancelled because its plugin stops: the run then ends as cancelled, not as the job's
     * failure, whatever its code throws on the way out; guarded by the engine lock.
     */
    /** MDC keys set while a run's code runs (docs/operations.md, "Logs"): its job, its plugin, its run. */
    /** The longest progress message kept (see {@link JobContext#progress}). */
    static final int MAX_PROGRESS_CHARS = 500;
    static final String MDC_JOB = "belfry.job";
    static final String MDC_PLUGIN = "belfry.plugin";
    static final String MDC_RUN = "belfry.run";
    static final String MDC_ATTEMPT = "belfry.attempt";

    /** The engine whose run a thread is executing: a run must not wait for its own host's shutdown. */
    private static final ThreadLocal<Run> RUNNING = new ThreadLocal<>();
    private boolean cancelledByPluginStop;
    private boolean cancelledByOperator;
    /** The reason an operator's cancel gives. */
    static final String BY_OPERATOR = "job cancelled by an operator";
    /** The RunDispatcher's timeout timer for this run, if the job has a timeout; guarded by the engine lock. */
    Timer timeoutTimer;
    /** Completes when the run's start is on disk (at once unless the job asks for a durable start). */
    CompletableFuture<Void> startCommitted;
    /**
     * Dispatched, but not yet handed to a worker: its claim is being committed (cluster mode), or it was claimed
     * ahead and its instant has not come ({@link #startTimer}). It counts against
     * neither the cap on runs nor the threads; guarded by the lock.
     */
    boolean awaitingClaim;
    /** Set while a run claimed ahead of its instant waits for it; guarded by the lock. */
    Timer startTimer;

    /** The claim's fencing token; set before the run is handed on. */
    long fencingToken;
    /** Whether the job asked for a durable start when this run was dispatched; set before the run is handed on. */
    boolean durableStart;
    /** The job's last start before this run's, restored if this start never reaches disk; guarded by the lock. */
    Optional<Instant> startedBefore = Optional.empty();

    Run(Engine engine, long id, JobSlot slot, BackgroundJob code, Instant scheduledFor, Instant firedAt,
        int attempt) {
        this.engine = engine;
        this.id = id;
        this.slot = slot;
        this.code = code;
        this.scheduledFor = scheduledFor;
        this.firedAt = firedAt;
        this.attempt = attempt;
    }

    /**
     * The body handed to the executor: runs this run, then any run the engine hands back to this thread when it
     * ends (see {@link RunExecutor#workersCarryOn()}). Never throws.
     */
    void execute() {
        try {
            for (Run next = this; next != null; ) {
                RUNNING.set(next);
                next = next.executeOne();
            }
        } finally {
            // Cleared, not removed: a pooled worker keeps its entry, so a run makes none.
            RUNNING.set(null);
        }
    }

    /** @return the engine whose run the calling thread is executing, or null */
    static Engine runningFor() {
        Run run = RUNNING.get();
        return run == null ? null : run.engine;
    }

    /** @return the job whose run the calling thread is executing, or null */
    static QName runningJob() {
        Run run = RUNNING.get();
        return run == null ? null : run.slot.qname;
    }

    /**
     * Waits for a durable start if asked, runs the job's code with the plugin's class loader as context loader,
     * and reports the outcome. A start that could not be made durable is reported as such: the code did not run.
     *
     * @return the next run this thread should go on with, or null
     */
    private Run executeOne() {
        thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        Throwable failure = null;
        Throwable notDurable = null;
        RunAround.Scope scope = null;
        try {
            notDurable = startNotDurable(startCommitted);
            if (notDurable == null && durableStart) {
                engine.startIsDurable(this);
            }
            if (notDurable == null && cancelReason == null) {
                thread.setContextClassLoader(code.getClass().getClassLoader());
                putMdc();
                scope = engine.enterRun(this);
                code.run(this);
            }
        } catch (Throwable t) {
            // Anything a plugin throws, Errors included, is the run's failure and never the host's.
            failure = t;
        } finally {
            if (scope != null) {
                engine.exitRun(scope, this, failure, cancelReason);
            }
            removeMdc();
            thread.setContextClassLoader(previous);
            Thread.interrupted(); // the worker thread is reused: leave no interrupt behind
            thread = null;
        }
        try {
            return notDurable != null ? engine.startNotDurable(this, notDurable) : engine.runFinished(this, failure);
        } finally {
            done.countDown();
        }
    }

    /** A run ended before any worker took it (given up while its claim was committed): nothing will execute it. */
    void endedUnexecuted() {
        done.countDown();
    }

    /** @return why the run's start could not be made durable, or null once it is on disk */
    private static Throwable startNotDurable(CompletableFuture<Void> startCommitted) throws InterruptedException {
        try {
            startCommitted.get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /**
     * Cancels the run: sets the flag, then, once the engine lock is released, runs its {@code onCancel} callbacks and
     * interrupts its thread (they are plugin code: one that waits for something the run's own thread holds while that
     * thread waits for the lock, to save a checkpoint say, would otherwise deadlock the engine). Idempotent.
     */
    void cancel(String reason) {
        List<Runnable> callbacks;
        synchronized (cancelCallbacks) {
            if (cancelReason != null) {
                return;
            }
            cancelReason = reason;
            callbacks = List.copyOf(cancelCallbacks);
            cancelCallbacks.clear();
        }
        // The callbacks first, then the interrupt: a cooperative job learns of the cancel from its callback and ends
        // its own way before its waits are cut short.
        engine.afterUnlock(() -> {
            callbacks.forEach(this::runCallback);
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        });
    }

    /** Cancels the run because its plugin stops (the caller holds the engine lock). */
    void cancelBecausePluginStops(String reason) {
        cancelledByPluginStop = true;
        cancel(reason);
    }

    /** @return whether the run was cancelled because its plugin stops (the caller holds the engine lock) */
    boolean cancelledByPluginStop() {
        return cancelledByPluginStop;
    }

    /** Cancels the run because an operator cancelled its job (the caller holds the engine lock). */
    void cancelByOperator() {
        cancelledByOperator = true;
        cancel(BY_OPERATOR);
    }

    /**
     * @return whether the run ended by a decision that is not the job's failure: its plugin stopped, or an
     *         operator cancelled it (a timeout, or a shutdown cutting it off, is)
     */
    boolean cancelledNotFailed() {
        return cancelledByPluginStop || cancelledByOperator;
    }

    Optional<String> cancelReason() {
        return Optional.ofNullable(cancelReason);
    }

    boolean awaitDone(Duration timeout) throws InterruptedException {
        return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Waits for each run to end, until {@code deadline} ({@link System#nanoTime()}); returns early if interrupted
     * (the interrupt is kept).
     */
    static void awaitAll(List<Run> runs, long deadline) {
        for (Run run : runs) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !run.awaitDone(Duration.ofNanos(left))) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    double progressFraction() {
        return progress;
    }

    String progressMessage() {
        return progressMessage;
    }

    private void runCallback(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException | LinkageError e) {
            log.warn("cancel callback of job {} failed: {}", slot.qname,
                    dev.belfry.host.internal.Printable.escape(e.toString()));
        }
    }

    @Override
    public QName qname() {
        return slot.qname;
    }

    @Override
    public Instant scheduledFor() {
        return scheduledFor;
    }

    @Override
    public Instant firedAt() {
        return firedAt;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public long fencingToken() {
        return fencingToken;
    }

    @Override
    public boolean isCancelled() {
        return cancelReason != null;
    }

    @Override
    public void onCancel(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        synchronized (cancelCallbacks) {
            if (cancelReason == null) {
                cancelCallbacks.add(callback);
                return;
            }
        }
        runCallback(callback);
    }

    @Override
    public void progress(double fraction, String message) {
        if (!Double.isNaN(fraction)) {
            progress = Math.max(0.0, Math.min(1.0, fraction));
        }
        // Bounded: every open dashboard gets each report, and a page must not grow with what a plugin writes.
        progressMessage = message == null ? "" : message.length() > MAX_PROGRESS_CHARS
                ? message.substring(0, MAX_PROGRESS_CHARS - 1) + "…" : message;
        engine.progressed(this);
    }

    @Override
    public Optional<String> checkpoint() {
        return slot.record().checkpoint();
    }

    @Override
    public void saveCheckpoint(String text) {
        Objects.requireNonNull(text, "checkpoint");
        if (text.length() > MAX_CHECKPOINT_CHARS) {
            throw new IllegalArgumentException("job " + slot.qname + ": checkpoint is " + text.length()
                    + " characters long, more than the " + MAX_CHECKPOINT_CHARS + " allowed");
        }
        engine.saveCheckpoint(slot, text);
    }

    @Override
    public JobScheduler scheduler() {
        return engine.schedulerFor(slot.pluginId);
    }

    /**
     * Puts the run's ids in the MDC, for the log lines of the job's code (SLF4J is shared with plugins). The worker
     * is the engine's own thread: the keys are removed after the run, whatever else the code left there.
     */
    private void putMdc() {
        MDC.put(MDC_JOB, slot.qname.toString());
        MDC.put(MDC_PLUGIN, slot.pluginId);
        MDC.put(MDC_RUN, Long.toString(id));
        MDC.put(MDC_ATTEMPT, Integer.toString(attempt));
    }

    private static void removeMdc() {
        MDC.remove(MDC_JOB);
        MDC.remove(MDC_PLUGIN);
        MDC.remove(MDC_RUN);
        MDC.remove(MDC_ATTEMPT);
    }

}
