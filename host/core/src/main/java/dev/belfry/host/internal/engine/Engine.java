package dev.belfry.host.internal.engine;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.QName;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.plugins.ScheduleValidator;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;
import org.slf4j.LoggerFactory;
import java.util.function.Predicate;

/**
 * The scheduling engine: one timer thread that sleeps exactly until the earliest due fire, drains everything due
 * on each wake, applies each job's policies (overlap, claim, timeout, retry, misfire) and hands runs to workers.
 *
 * <p>Time comes only from the injected {@link Clock}. Tests do not start the timer thread: they move a fake clock
 * and call {@link #runDue()}, so every policy can be checked step by step without sleeping.
 *
 * <p>This class only wires the engine's parts together and hands each call to the part that owns it: the
 * {@link JobTable}, the {@link RunDispatcher}, {@link PluginJobs}, {@link Operations}, the {@link TimerLoop} and
 * {@link Shutdown}. All job state is guarded by one lock, the {@link EngineLock} (docs/architecture.md).
 */
public final class Engine implements AutoCloseable {
    /** Jobs snapshotted per hold of the lock when every job is listed. */
    static final int SNAPSHOT_PART = 256;

    private final EngineLock lock = new EngineLock();
    private final JobTable table;
    private final TimerHeap timers;
    private final RunDispatcher dispatcher;
    private final PluginJobs plugins;
    private final Operations operations;
    private final TimerLoop loop;
    private final Shutdown shutdown;
    private final Map<String, NamespacedScheduler> schedulers = new ConcurrentHashMap<>();
    private final RunAround around;
    private final EngineListener listener;
    /** The namespaces whose code is attached: started plugins and application registrations. */
    private final Set<String> withCode = ConcurrentHashMap.newKeySet();
    private volatile ElsewhereOperations forwarder;
    /** The last list of names in order; guarded by the lock. */
    private NamesInOrder names;

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
        this(clock, sink, claim, executor, settings, random, validator, listener, RunAround.NONE);
    }

    /**
     * As {@link #Engine(Clock, StateSink, FireClaim, RunExecutor, EngineSettings, DoubleSupplier,
     * ScheduleValidator, EngineListener)}, with what wraps each run's code on its thread.
     *
     * @param around entered before each run's code, exited after it (a module's trace span)
     */
    public Engine(Clock clock, StateSink sink, FireClaim claim, RunExecutor executor, EngineSettings settings,
                  DoubleSupplier random, ScheduleValidator validator, EngineListener listener, RunAround around) {
        Objects.requireNonNull(around, "around");
        this.around = around;
        this.listener = listener;
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(claim, "claim");
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(validator, "validator");
        Objects.requireNonNull(listener, "listener");
        this.timers = new TimerHeap(lock);
        Arming arming = new Arming(timers, settings, claim.claimAhead());
        this.table = new JobTable(lock, sink);
        this.dispatcher = new RunDispatcher(this, lock, clock, table, timers, arming, claim, executor, settings,
                random, listener);
        this.plugins = new PluginJobs(lock, clock, table, arming, dispatcher, settings, random, validator, claim);
        this.operations = new Operations(lock, clock, table, arming, dispatcher);
        this.loop = new TimerLoop(lock, clock, timers, dispatcher, plugins, settings);
        this.shutdown = new Shutdown(lock, clock, table, dispatcher, loop);
    }

    // ---------------------------------------------------------------- the loop

    /** Starts the timer thread. Without it nothing fires by itself (tests call {@link #runDue()} instead). */
    public void start() {
        loop.start();
    }

    /**
     * Handles everything due at the clock's current instant: fires, retries, timeouts.
     *
     * @return how many runs were dispatched to workers by this step
     */
    public int runDue() {
        return loop.runDue();
    }

    /** @return when the next timer falls due, if any */
    public Optional<Instant> nextDue() {
        return loop.nextDue();
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
        plugins.restore(records, false);
    }

    // ---------------------------------------------------------------- cluster mode: jobs move between hosts

    /**
     * Cluster mode: restores every job of the cluster as another host's. They take code as plugins attach, but none
     * fires here until {@link #adopt} brings its shard to this host; a job found running is not taken for cut off
     * (another host may be running it).
     *
     * @param records the cluster's jobs
     */
    public void restoreAsElsewhere(Collection<JobRecord> records) {
        plugins.restore(records, true);
    }

    /**
     * Cluster mode: this host takes over some jobs, with their state as the shared store has it. A job the store
     * shows running was cut off (its host stopped or lost it): recorded as a failed run, retried by its policy;
     * fires missed meanwhile go through the job's misfire policy. Jobs selected but no longer in the store are
     * forgotten here.
     *
     * @param records the jobs taken over, as stored
     * @param which   selects the jobs being taken over (a shard's)
     * @return how many jobs this host took over
     */
    public int adopt(Collection<JobRecord> records, Predicate<QName> which) {
        return plugins.adopt(records, which);
    }

    /**
     * Cluster mode: these jobs are no longer this host's to fire; nothing new of them starts here. Their runs in
     * progress go on to their end.
     *
     * @param which selects the jobs let go (a shard's)
     * @return how many runs of them are still in progress here
     */
    public int release(Predicate<QName> which) {
        return plugins.release(which);
    }

    /**
     * @param qname a job
     * @return whether the job exists and another host fires it (cluster mode)
     */
    public boolean isElsewhere(QName qname) {
        lock.lock();
        try {
            JobSlot slot = table.get(qname);
            return slot != null && slot.elsewhere();
        } finally {
            lock.unlock();
        }
    }

    /** @return whether an operation on the job goes to another host: it is another's, or unknown here */
    private boolean forwards(QName qname) {
        if (forwarder == null) {
            return false;
        }
        lock.lock();
        try {
            JobSlot slot = table.get(qname);
            return slot == null || slot.elsewhere();
        } finally {
            lock.unlock();
        }
    }

    /** @param forwarder where operations on another host's job go (cluster mode); without one they act here */
    public void forwardElsewhere(ElsewhereOperations forwarder) {
        this.forwarder = Objects.requireNonNull(forwarder, "forwarder");
    }

    /**
     * A plugin started: registers its jobs, or reattaches them (with history, counters and checkpoint) if they are
     * known. Known jobs of the plugin that it no longer provides become orphaned.
     *
     * @param pluginId the plugin
     * @param provided its valid jobs
     */
    public void attach(String pluginId, List<PluginJob> provided) {
        plugins.attach(pluginId, provided, "plugin");
        withCode.add(pluginId);
    }

    /**
     * Attaches the jobs an application registers itself, as {@link #attach} does a plugin's; its log line names
     * them as the application's.
     *
     * @param namespace the application's namespace
     * @param provided  its jobs
     */
    public void attachApplication(String namespace, List<PluginJob> provided) {
        plugins.attach(namespace, provided, "application");
        withCode.add(namespace);
    }

    /**
     * Takes the code from some of a namespace's jobs, as {@link #detach} does from all of them: their runs are
     * cancelled and they become orphans; the namespace's other jobs go on.
     *
     * @param namespace the namespace
     * @param grace     how long cancelled runs may take to end
     * @param which     the jobs to detach
     */
    public void detachJobs(String namespace, Duration grace, java.util.function.Predicate<QName> which) {
        plugins.detach(namespace, grace, which);
    }

    /**
     * A plugin is stopping: its runs are cancelled and given {@code grace} to end, runs still going after that are
     * abandoned (recorded as failed), and its jobs become orphaned, keeping their state.
     *
     * @param pluginId the plugin
     * @param grace    how long its runs may take to end after cancellation
     */
    public void detach(String pluginId, Duration grace) {
        withCode.remove(pluginId);
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

    /**
     * Cluster mode: what this host can run, so that a namespace's jobs go to hosts that have its code.
     *
     * @return the namespaces whose code is attached now: started plugins' ids and namespaces the application
     *         registered (a copy)
     */
    public Set<String> attachedNamespaces() {
        return Set.copyOf(withCode);
    }

    // ---------------------------------------------------------------- what a run reaches

    NamespacedScheduler schedulerFor(String pluginId) {
        return schedulers.computeIfAbsent(pluginId, id -> new NamespacedScheduler(this, id));
    }

    QName addDynamic(String namespace, BackgroundJob job, boolean replace) {
        return plugins.addDynamic(namespace, job, replace);
    }

    boolean cancelInNamespace(QName qname) {
        if (forwards(qname)) {
            try {
                forwarder.forward(ElsewhereOperations.Op.CANCEL, qname);
                return true;
            } catch (JobOperationException e) {
                if (e.reason() == JobOperationException.Reason.NOT_FOUND) {
                    return false;
                }
                throw e;
            }
        }
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

    /** @return the job whose run the calling thread is executing, if it is executing one */
    public static Optional<QName> runningJob() {
        return Optional.ofNullable(Run.runningJob());
    }

    /** @return whether the calling thread is executing a run of this engine */
    public boolean isRunThread() {
        return Run.runningFor() == this;
    }

    /**
     * @param action done once the engine lock is released, on this thread; at once if it does not hold the lock
     */
    /** Called on a run's thread just before its code runs; a failing wrapper leaves the run unwrapped. */
    RunAround.Scope enterRun(Run run) {
        try {
            return around.enter(new RunAround.RunInfo(run.slot.qname, run.slot.pluginId, run.id, run.scheduledFor,
                    run.attempt));
        } catch (RuntimeException | LinkageError e) {
            LoggerFactory.getLogger(Engine.class).error("entering run {} of job {} failed in a module; the run goes"
                    + " on", run.id, run.slot.qname, e);
            return RunAround.Scope.NONE;
        }
    }

    /** Called on a run's thread as soon as its code returned or threw. */
    void exitRun(RunAround.Scope scope, Run run, Throwable failure, String cancelReason) {
        try {
            scope.exit(failure, cancelReason);
        } catch (RuntimeException | LinkageError e) {
            LoggerFactory.getLogger(Engine.class).error("leaving run {} of job {} failed in a module", run.id,
                    run.slot.qname, e);
        }
    }

    void afterUnlock(Runnable action) {
        if (lock.isHeld()) {
            lock.later(action);
        } else {
            action.run();
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

    /** See {@link RunDispatcher#startIsDurable}. */
    void startIsDurable(Run run) {
        dispatcher.startIsDurable(run);
    }

    /** See {@link RunDispatcher#startNotDurable}. */
    Run startNotDurable(Run run, Throwable cause) {
        return dispatcher.startNotDurable(run, cause);
    }

    /** Tells the listener of a run's progress report, on the run's thread (no lock: nothing in the engine changes). */
    void progressed(Run run) {
        listener.runProgressed(run.slot.qname, run.id, run.progressFraction(), run.progressMessage());
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
        if (forwards(qname)) {
            return forwarder.forward(ElsewhereOperations.Op.TRIGGER, qname);
        }
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
        if (forwards(qname)) {
            forwarder.forward(ElsewhereOperations.Op.PAUSE, qname);
            return;
        }
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
        if (forwards(qname)) {
            forwarder.forward(ElsewhereOperations.Op.RESUME, qname);
            return;
        }
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
        if (forwards(qname)) {
            forwarder.forward(ElsewhereOperations.Op.CANCEL, qname);
            return;
        }
        operations.cancel(qname);
    }

    // ---------------------------------------------------------------- views

    /** @return every job, by name */
    public List<JobSnapshot> jobs() {
        List<JobSlot> slots;
        lock.lock();
        try {
            slots = table.slots();
        } finally {
            lock.unlock();
        }
        // Taken a part at a time, each job as it is then: with 100,000 jobs one hold would keep every fire waiting
        // for milliseconds, longer if a low-priority caller (the dashboard) loses its core while holding the lock.
        List<JobSnapshot> views = new ArrayList<>(slots.size());
        for (int from = 0; from < slots.size(); from += SNAPSHOT_PART) {
            lock.lock();
            try {
                for (JobSlot slot : slots.subList(from, Math.min(slots.size(), from + SNAPSHOT_PART))) {
                    table.snapshotIfHeld(slot, views);
                }
            } finally {
                lock.unlock();
            }
        }
        // Sorted once the lock is released: sorting thousands of jobs would hold up every fire meanwhile.
        views.sort((a, b) -> a.record().qname().compareTo(b.record().qname()));
        return Collections.unmodifiableList(views);
    }

    /**
     * @return every job's name in order; the same list until a job is added or removed, so that a page of a long list
     *         costs what it shows
     */
    public List<QName> names() {
        long membership;
        List<JobSlot> slots;
        lock.lock();
        try {
            NamesInOrder cached = names;
            if (cached != null && cached.membership == table.membership()) {
                return cached.names;
            }
            membership = table.membership();
            slots = table.slots();
        } finally {
            lock.unlock();
        }
        // Sorted once the lock is released, as in jobs().
        List<QName> sorted = new ArrayList<>(slots.size());
        slots.forEach(s -> sorted.add(s.qname));
        Collections.sort(sorted);
        NamesInOrder fresh = new NamesInOrder(membership, Collections.unmodifiableList(sorted));
        lock.lock();
        try {
            if (table.membership() == membership) {
                names = fresh;
            }
        } finally {
            lock.unlock();
        }
        return fresh.names;
    }

    /** The names in order as of a membership count of the table. */
    private record NamesInOrder(long membership, List<QName> names) {
    }

    /**
     * @param qnames jobs' names, a page's worth (taken in one hold of the lock)
     * @return those of the jobs that exist, in the order asked
     */
    public List<JobSnapshot> jobs(List<QName> qnames) {
        List<JobSnapshot> out = new ArrayList<>(qnames.size());
        lock.lock();
        try {
            qnames.forEach(q -> table.snapshot(q).ifPresent(out::add));
        } finally {
            lock.unlock();
        }
        return out;
    }

    /**
     * @param horizon only fires before this
     * @param max     how many at most
     * @return the first fires before the horizon, in order, read off the top of the engine's timers (not from every
     *         job): a job that fires often is listed as often
     */
    public List<UpcomingFires.Fire> upcomingFires(Instant horizon, int max) {
        List<UpcomingFires.Next> next = new ArrayList<>(max);
        lock.lock();
        try {
            for (Timer t : timers.earliestFires(max, horizon)) {
                next.add(new UpcomingFires.Next(t.instant, t.slot.qname, t.slot.record().schedule()));
            }
        } finally {
            lock.unlock();
        }
        return UpcomingFires.merge(next, horizon, max);
    }

    /** @return how many jobs have each status */
    public Map<JobStatus, Integer> jobsByStatus() {
        int[] counts;
        lock.lock();
        try {
            counts = table.countsByStatus();
        } finally {
            lock.unlock();
        }
        Map<JobStatus, Integer> out = new EnumMap<>(JobStatus.class);
        for (JobStatus status : JobStatus.values()) {
            out.put(status, counts[status.ordinal()]);
        }
        return out;
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
        shutdown.run(grace);
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
     * @return true if it says the run was cancelled by a decision that is not the job's failure (its plugin
     *         stopped, or an operator cancelled it)
     */
    public static boolean isCancelledNotFailed(String error) {
        return RunOutcomes.isCancelledNotFailed(error);
    }
}
