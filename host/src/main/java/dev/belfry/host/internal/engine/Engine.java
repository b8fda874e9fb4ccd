package dev.belfry.host.internal.engine;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.QName;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.plugins.ScheduleValidator;
import dev.belfry.sidecar.JobRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduling engine: one timer thread that sleeps exactly until the earliest due fire, drains everything due
 * on each wake, applies each job's policies (overlap, claim, timeout, retry, misfire) and hands runs to workers.
 *
 * <p>Time comes only from the injected {@link Clock}. Tests do not start the timer thread: they move a fake clock
 * and call {@link #runDue()}, so every policy can be checked step by step without sleeping.
 *
 * <p>All job state is guarded by one lock, the {@link EngineLock}. The parts split out of this class so far own
 * their state: the {@link JobTable}, {@link Arming}, {@link RunDispatcher}, {@link PluginJobs} and {@link Operations}.
 */
public final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    /** The end of the shutdown grace that runs still going get to react to their cancellation (at most). */
    private static final Duration CANCEL_WINDOW = Duration.ofSeconds(2);
    // While a run's timeout is pending the clock is read again at least this often (it may jump, or be a test's),
    // and at most this often (a timeout just due is handled on the next read).
    private static final long TIMEOUT_CLOCK_READ_NANOS = Duration.ofMillis(100).toNanos();
    private static final long MIN_TIMEOUT_WAIT_NANOS = Duration.ofMillis(1).toNanos();

    private final EngineLock lock = new EngineLock();
    private final JobTable table;
    private final RunDispatcher dispatcher;
    private final PluginJobs plugins;
    private final Operations operations;
    private final Map<String, NamespacedScheduler> schedulers = new ConcurrentHashMap<>();
    private final Clock clock;
    private final EngineSettings settings;
    private final TimerHeap timers;

    /** Guarded by the engine lock. */
    private Thread thread;

    /**
     * @param clock     the only source of time
     * @param sink      where state changes go
     * @param claim     decides whether a due fire runs here
     * @param executor  runs job code; must not run it on the calling thread
     * @param settings  tunables
     * @param random    uniform numbers in [0, 1) for retry jitter
     * @param validator checks schedules of dynamic jobs
     * @param listener  told of finished runs
     */
    public Engine(Clock clock, StateSink sink, FireClaim claim, RunExecutor executor, EngineSettings settings,
                  DoubleSupplier random, ScheduleValidator validator, EngineListener listener) {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(claim, "claim");
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(validator, "validator");
        Objects.requireNonNull(listener, "listener");
        this.clock = clock;
        this.settings = settings;
        this.timers = new TimerHeap(lock);
        Arming arming = new Arming(timers, settings);
        this.table = new JobTable(lock, sink);
        this.dispatcher = new RunDispatcher(this, lock, clock, table, timers, arming, claim, executor, settings,
                random, listener);
        this.plugins = new PluginJobs(lock, clock, table, arming, dispatcher, settings, random, validator);
        this.operations = new Operations(lock, clock, table, arming, dispatcher);
    }

    // ---------------------------------------------------------------- the loop

    /** Starts the timer thread. Without it nothing fires by itself (tests call {@link #runDue()} instead). */
    public void start() {
        lock.lock();
        try {
            if (thread != null) {
                return;
            }
            thread = new Thread(this::loop, "belfry-timer");
            thread.setDaemon(true);
            thread.start();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Handles everything due at the clock's current instant: fires, retries, timeouts.
     *
     * @return how many runs were dispatched to workers by this step
     */
    public int runDue() {
        lock.lock();
        try {
            return step(clock.instant());
        } finally {
            lock.unlock();
        }
    }

    /** @return when the next timer falls due, if any */
    public Optional<Instant> nextDue() {
        lock.lock();
        try {
            return timers.nextDue();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- plugins come and go

    /**
     * Restores jobs from the sidecar at start-up, before any plugin is loaded. A job found RUNNING was cut off by
     * a crash: that run is recorded as failed ("host stopped during run"), and once the job's plugin is back its
     * retry policy decides whether the fire is tried again.
     *
     * @param records the persisted jobs
     */
    public void restore(Collection<JobRecord> records) {
        plugins.restore(records);
    }

    /**
     * A plugin started: registers its jobs, or reattaches them (with history, counters and checkpoint) if they are
     * known. Known jobs of the plugin that it no longer provides become orphaned.
     *
     * @param pluginId the plugin
     * @param provided its valid jobs
     */
    public void attach(String pluginId, List<PluginJob> provided) {
        plugins.attach(pluginId, provided);
    }

    /**
     * A plugin is stopping: its runs are cancelled and given {@code grace} to end, runs still going after that are
     * abandoned (recorded as failed), and its jobs become orphaned, keeping their state.
     *
     * @param pluginId the plugin
     * @param grace    how long its runs may take to end after cancellation
     */
    public void detach(String pluginId, Duration grace) {
        schedulers.remove(pluginId);
        plugins.detach(pluginId, grace);
    }

    /**
     * After the first plugin scan: jobs whose plugin did not load are orphaned, and orphans may be pruned again.
     *
     * @param startedPlugins ids of the plugins that are running
     */
    public void orphanJobsOfMissingPlugins(Set<String> startedPlugins) {
        plugins.orphanJobsOfMissingPlugins(startedPlugins);
    }

    // ---------------------------------------------------------------- what a run reaches

    NamespacedScheduler schedulerFor(String pluginId) {
        return schedulers.computeIfAbsent(pluginId, id -> new NamespacedScheduler(this, id));
    }

    QName addDynamic(String namespace, BackgroundJob job, boolean replace) {
        return plugins.addDynamic(namespace, job, replace);
    }

    boolean cancelInNamespace(QName qname) {
        return operations.cancelIfExists(qname);
    }

    Set<QName> jobsOf(String namespace) {
        lock.lock();
        try {
            return table.namesIn(namespace);
        } finally {
            lock.unlock();
        }
    }

    void saveCheckpoint(JobSlot slot, String text) {
        lock.lock();
        try {
            if (table.holds(slot)) {
                table.commit(slot, slot.record().withCheckpoint(Optional.of(text)));
            }
        } finally {
            lock.unlock();
        }
    }

    /** See {@link RunDispatcher#runFinished}. */
    Run runFinished(Run run, Throwable failure) {
        return dispatcher.runFinished(run, failure);
    }

    // ---------------------------------------------------------------- operations

    /**
     * Fires a job now, whatever its schedule (Manual jobs included), through its overlap policy.
     *
     * @param qname the job
     * @return what happened
     * @throws JobOperationException if there is no such job or it has no code to run
     */
    public TriggerOutcome trigger(QName qname) {
        return operations.trigger(qname);
    }

    /**
     * Stops a job firing until resumed; a run in progress goes on. Its missed fires are handled by its misfire
     * policy on resume.
     *
     * @param qname the job
     * @throws JobOperationException if there is no such job, or it is cancelled (its status would not change)
     */
    public void pause(QName qname) {
        operations.pause(qname);
    }

    /**
     * Lets a paused job fire again (and re-enables a cancelled declared job). Fires missed meanwhile go through the
     * job's misfire policy.
     *
     * @param qname the job
     * @throws JobOperationException if there is no such job
     */
    public void resume(QName qname) {
        operations.resume(qname);
    }

    /**
     * Cancels a job: its runs in progress are cancelled; a dynamic job is removed, a declared job is disabled
     * (state kept; {@link #resume} enables it again).
     *
     * @param qname the job
     * @throws JobOperationException if there is no such job
     */
    public void cancel(QName qname) {
        operations.cancel(qname);
    }

    // ---------------------------------------------------------------- views

    /** @return every job, by name */
    public List<JobSnapshot> jobs() {
        List<JobSnapshot> views;
        lock.lock();
        try {
            views = table.snapshots();
        } finally {
            lock.unlock();
        }
        // Sorted once the lock is released: sorting thousands of jobs would hold up every fire meanwhile.
        views.sort((a, b) -> a.record().qname().compareTo(b.record().qname()));
        return Collections.unmodifiableList(views);
    }

    /**
     * @param qname a job's name
     * @return the job, if it exists
     */
    public Optional<JobSnapshot> job(QName qname) {
        lock.lock();
        try {
            return table.snapshot(qname);
        } finally {
            lock.unlock();
        }
    }

    /** @return counters since start: runs dispatched, fires skipped by overlap, fires missed, runs timed out */
    public EngineStats stats() {
        lock.lock();
        try {
            return dispatcher.stats(table.size());
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- shutdown

    /**
     * Stops firing, lets runs in progress finish, cancels those still going near the end of {@code grace} and gives
     * them the rest of it to stop, then records any still going as failed; returns within {@code grace} (plus the
     * moment the timer thread takes to stop). Run timeouts still apply during the grace. Nothing new starts once
     * this is called: not a due fire, a retry, a queued fire of a busy job nor a fire waiting for a worker. The
     * caller flushes the state afterwards.
     *
     * @param grace how long the runs in progress may still take, all told
     */
    public void shutdown(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos(); // elapsed time, not clock time: a real wait
        // Cancelled runs get the last part of the grace to react: two seconds, or half of a shorter grace.
        long cancelAt = deadline - Math.min(CANCEL_WINDOW.toNanos(), grace.toNanos() / 2);
        dispatcher.stopStarting();
        stopTimer();
        awaitRunsEnforcingTimeouts(cancelAt);
        List<Run> rest;
        lock.lock();
        try {
            rest = table.runningRuns();
        } finally {
            lock.unlock();
        }
        for (Run run : rest) {
            run.cancel("host shutting down");
        }
        Run.awaitAll(rest, deadline);
        lock.lock();
        try {
            Instant now = clock.instant();
            for (Run run : rest) {
                if (!run.abandoned && run.slot.runs().contains(run)) {
                    dispatcher.giveUp(run, "host shut down during the run", false, now);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** @return whether {@link #shutdown(Duration)} has been called */
    boolean isStopping() {
        return dispatcher.stopping();
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    /**
     * @param error a run's error as reported in a {@link RunResult}
     * @return true if it says the run was cancelled because its plugin stopped
     */
    public static boolean isPluginStopCancellation(String error) {
        return RunOutcomes.isPluginStopCancellation(error);
    }

    // ---------------------------------------------------------------- the timer loop

    private void loop() {
        lock.lock();
        try {
            while (!dispatcher.stopping()) {
                try {
                    step(clock.instant());
                } catch (RuntimeException | LinkageError e) {
                    // The loop must survive any single bad step, or every job stops firing.
                    lock.later(() -> log.error("engine step failed; carrying on", e));
                }
                if (lock.hasDeferredLogs()) {
                    lock.unlock(); // write what this step logged without holding up the workers
                    lock.lock();
                }
                long sleep = settings.maxTimerSleep().toNanos();
                Instant head = timers.headDue();
                if (head != null) {
                    sleep = Saturating.nanosUntil(clock.instant(), head, sleep);
                }
                if (sleep > 0 && !dispatcher.stopping()) {
                    lock.awaitWake(sleep);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** @return how many runs were dispatched */
    private int step(Instant now) {
        long before = dispatcher.dispatched();
        for (Timer t = timers.pollDue(now); t != null; t = timers.pollDue(now)) {
            switch (t.kind) {
                case FIRE -> dispatcher.onFireDue(t.slot, t.due, now);
                case RETRY -> dispatcher.onRetryDue(t.slot, now);
                case TIMEOUT -> dispatcher.onTimeout(t.run(), now);
                default -> throw new IllegalStateException("unknown timer kind " + t.kind);
            }
        }
        dispatcher.dispatchWaiting(now);
        plugins.pruneIfDue(now);
        return (int) (dispatcher.dispatched() - before);
    }

    /**
     * Wakes the thread to see that the engine stops ({@link RunDispatcher#stopStarting()} comes first) and waits for
     * it to end, at most the timer's longest sleep.
     */
    private void stopTimer() {
        Thread t;
        lock.lock();
        try {
            t = thread;
            lock.wakeAll();
        } finally {
            lock.unlock();
        }
        if (t != null) {
            try {
                t.join(Math.max(1, settings.maxTimerSleep().toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- shutdown

    /**
     * Waits until no run is going or {@code deadline} ({@link System#nanoTime()}) has come, timing out runs whose
     * timeout passes meanwhile, as the timer thread (stopped by now) would have.
     */
    private void awaitRunsEnforcingTimeouts(long deadline) {
        while (true) {
            Run waitFor = null;
            Instant nextTimeout = null;
            Instant now;
            lock.lock();
            try {
                now = clock.instant();
                List<Run> overdue = new ArrayList<>();
                for (JobSlot slot : table.all()) {
                    for (Run run : slot.runs()) {
                        Timer timeout = run.timeoutTimer;
                        if (timeout != null && !timeout.due.isAfter(now)) {
                            overdue.add(run);
                        } else {
                            waitFor = run;
                            if (timeout != null && (nextTimeout == null || timeout.due.isBefore(nextTimeout))) {
                                nextTimeout = timeout.due;
                            }
                        }
                    }
                }
                overdue.forEach(run -> dispatcher.onTimeout(run, now));
            } finally {
                lock.unlock();
            }
            long left = deadline - System.nanoTime();
            if (waitFor == null || left <= 0) {
                return;
            }
            long wait = nextTimeout == null ? left : Math.min(left, Math.max(MIN_TIMEOUT_WAIT_NANOS,
                    Saturating.nanosUntil(now, nextTimeout, TIMEOUT_CLOCK_READ_NANOS)));
            try {
                waitFor.awaitDone(Duration.ofNanos(wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
