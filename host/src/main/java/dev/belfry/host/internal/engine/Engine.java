package dev.belfry.host.internal.engine;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobSpec;
import dev.belfry.api.OverlapPolicy;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.Printable;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.plugins.ScheduleValidator;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.RunOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
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
 * <p>All job state is guarded by one lock. The timer thread, worker threads (when a run ends) and operators take
 * it briefly; nothing slow (I/O, plugin code, waiting for a commit) ever happens while holding it.
 */
public final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    private static final CompletableFuture<Void> NO_WAIT = CompletableFuture.completedFuture(null);
    /** The end of the shutdown grace that runs still going get to react to their cancellation (at most). */
    private static final Duration SHUTDOWN_CANCEL_WINDOW = Duration.ofSeconds(2);
    // While a run's timeout is pending during shutdown the clock is read again at least this often (it may jump, or
    // be a test's), and at most this often (a timeout just due is handled on the next read).
    private static final long TIMEOUT_CLOCK_READ_NANOS = Duration.ofMillis(100).toNanos();
    private static final long MIN_TIMEOUT_WAIT_NANOS = Duration.ofMillis(1).toNanos();

    private final Clock clock;
    private final StateSink sink;
    private final FireClaim claim;
    private final RunExecutor executor;
    private final EngineSettings settings;
    private final DoubleSupplier random;
    private final ScheduleValidator validator;
    private final EngineListener listener;

    private final EngineLock lock = new EngineLock();
    private final TimerHeap timers = new TimerHeap(lock);
    private final Map<QName, JobSlot> jobs = new HashMap<>();
    private final ArrayDeque<WaitingFire> waitingForWorker = new ArrayDeque<>();
    private final Map<String, NamespacedScheduler> schedulers = new ConcurrentHashMap<>();
    private long runSeq;
    private int executing;
    private int abandonedStillRunning;
    private long dispatched;
    private long skipped;
    private long misfired;
    private long timedOut;
    private Instant nextOrphanPrune = Instant.MIN;
    // Between restore() and orphanJobsOfMissingPlugins() the host's first plugin scan is deciding which restored
    // jobs are back: none is pruned meanwhile, however long ago it was orphaned, or a plugin returning after the
    // retention would lose its jobs' history to a timer that runs during the scan.
    private boolean awaitingFirstScan;
    private Thread timerThread;
    private volatile boolean stopping;
    /** True while a worker that carries on is ending its run under the lock: the next dispatch goes to it. */
    private boolean finishingWorkerFree;
    /** The run {@link #dispatch} handed to that worker. */
    private Run handedBack;

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
        this.clock = Objects.requireNonNull(clock, "clock");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.claim = Objects.requireNonNull(claim, "claim");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.random = Objects.requireNonNull(random, "random");
        this.validator = Objects.requireNonNull(validator, "validator");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    // ---------------------------------------------------------------- the loop

    /** Starts the timer thread. Without it nothing fires by itself (tests call {@link #runDue()} instead). */
    public void start() {
        lock.lock();
        try {
            if (timerThread != null) {
                return;
            }
            timerThread = new Thread(this::timerLoop, "belfry-timer");
            timerThread.setDaemon(true);
            timerThread.start();
        } finally {
            lock.unlock();
        }
    }

    private void timerLoop() {
        lock.lock();
        try {
            while (!stopping) {
                try {
                    runDueLocked(clock.instant());
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
                if (sleep > 0 && !stopping) {
                    lock.awaitWake(sleep);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
            return runDueLocked(clock.instant());
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

    private int runDueLocked(Instant now) {
        long before = dispatched;
        for (Timer t = timers.pollDue(now); t != null; t = timers.pollDue(now)) {
            switch (t.kind) {
                case FIRE -> onFireDue(t.slot, t.due, now);
                case RETRY -> onRetryDue(t.slot, now);
                case TIMEOUT -> onTimeout(t.run(), now);
                default -> throw new IllegalStateException("unknown timer kind " + t.kind);
            }
        }
        dispatchWaiting(now);
        if (!awaitingFirstScan && !now.isBefore(nextOrphanPrune)) {
            pruneOrphans(now);
            nextOrphanPrune = now.plus(Duration.ofHours(1));
        }
        return (int) (dispatched - before);
    }

    // ---------------------------------------------------------------- fires

    private void onFireDue(JobSlot slot, Instant due, Instant now) {
        slot.fireTimer = null;
        if (!armable(slot)) {
            return;
        }
        if (misfired(due, now)) {
            applyMisfirePolicy(slot, due, now);
        } else {
            setNextFire(slot, fixedDelay(slot) ? Optional.empty() : NextFire.nextFire(slot.spec.schedule(), due));
            dropRetry(slot); // a newer fire supersedes a retry of an older one
            fire(slot, due, 1, now);
        }
        commit(slot, slot.record);
    }

    private void applyMisfirePolicy(JobSlot slot, Instant firstMissed, Instant now) {
        Misfires.Plan plan = Misfires.plan(slot.spec.schedule(), slot.spec.misfire(), firstMissed, now);
        misfired = Saturating.add(misfired, plan.missed());
        String policy = Schedules.describe(slot.spec.misfire());
        lock.later(() -> log.info("job {} missed {} fire(s) since {}; misfire policy {} runs {} of them", slot.qname,
                plan.missed(), firstMissed, policy, plan.toRun().size()));
        setNextFire(slot, plan.nextRegular());
        dropRetry(slot);
        slot.addToBacklog(plan.toRun());
        pumpBacklog(slot, now);
    }

    private void onRetryDue(JobSlot slot, Instant now) {
        slot.retryTimer = null;
        if (armable(slot)) {
            fire(slot, slot.retryFor, slot.retryAttempt, now);
        }
        commit(slot, slot.record);
    }

    /** The overlap gate and the claim, then a worker (or the queue for one). */
    private void fire(JobSlot slot, Instant scheduledFor, int attempt, Instant now) {
        if (stopping) {
            return; // shutting down: the runs in progress end, nothing new starts
        }
        if (slot.busy()) {
            OverlapPolicy overlap = slot.spec.overlap();
            if (overlap == OverlapPolicy.QUEUE_ONE && slot.queuedFor == null) {
                slot.queuedFor = scheduledFor;
                return;
            }
            if (overlap != OverlapPolicy.ALLOW) {
                skipped++;
                if (log.isDebugEnabled()) {
                    lock.later(() -> log.debug("job {} is still running: fire for {} skipped", slot.qname, scheduledFor));
                }
                return;
            }
        }
        if (!claimed(slot, scheduledFor)) {
            return;
        }
        if (executing >= settings.maxConcurrentRuns()) {
            slot.waitingForWorker++;
            waitingForWorker.add(new WaitingFire(slot, scheduledFor, attempt));
            return;
        }
        dispatch(slot, scheduledFor, attempt, now);
    }

    private boolean claimed(JobSlot slot, Instant scheduledFor) {
        try {
            return claim.claim(slot.qname, scheduledFor);
        } catch (RuntimeException e) {
            lock.later(() -> log.error("claim for job {} at {} failed; not running it here", slot.qname, scheduledFor, e));
            return false;
        }
    }

    private void dispatch(JobSlot slot, Instant scheduledFor, int attempt, Instant now) {
        Run run = new Run(this, ++runSeq, slot, slot.code, scheduledFor, now, attempt);
        slot.addRun(run);
        executing++;
        dispatched++;
        long ticket = commit(slot, slot.record.withRunStarted(now, Saturating.increment(slot.record.runCount())));
        // A timeout that ends beyond the last instant there is never comes: no timer.
        slot.spec.timeout().flatMap(limit -> NextFire.plus(now, limit))
                .ifPresent(due -> run.timeoutTimer = timers.push(Timer.Kind.TIMEOUT, due, slot, run));
        run.startCommitted = slot.spec.durableStart() ? sink.durable(ticket) : NO_WAIT;
        if (finishingWorkerFree && handedBack == null) {
            handedBack = run; // the worker that just ended a run takes this one: no thread hand-off
            return;
        }
        try {
            executor.execute(run::execute);
        } catch (RejectedExecutionException e) {
            run.abandoned = true; // never started, so nothing will report back: not counted as still running
            end(run, "no worker thread could be started: " + e.getMessage(), true, now);
        }
    }

    private void dispatchWaiting(Instant now) {
        while (!stopping && executing < settings.maxConcurrentRuns() && !waitingForWorker.isEmpty()) {
            WaitingFire w = waitingForWorker.poll();
            w.slot.waitingForWorker--;
            if (runnable(w.slot) && jobs.get(w.slot.qname) == w.slot) {
                dispatch(w.slot, w.scheduledFor, w.attempt, now);
                commit(w.slot, w.slot.record);
            }
        }
    }

    private void pumpBacklog(JobSlot slot, Instant now) {
        if (!slot.busy() && slot.hasBacklog() && runnable(slot)) {
            fire(slot, slot.pollBacklog(), 1, now);
        }
    }

    // ---------------------------------------------------------------- run endings

    /**
     * Called by a run's thread when its code returned or threw.
     *
     * @return a run that was waiting for a worker and that this thread should now execute, or null
     */
    Run runFinished(Run run, Throwable failure) {
        lock.lock();
        try {
            if (run.abandoned) {
                abandonedReturned(run);
                return null;
            }
            Instant now = clock.instant();
            // Cancelled because its plugin stops: what the code throws on the way out (an InterruptedException, say)
            // is the cancellation's doing, not the job's failure.
            String error = failure != null && !run.cancelledByPluginStop ? RunOutcomes.describe(failure)
                    : run.cancelReason().map(reason -> RunOutcomes.CANCELLED + reason).orElse(null);
            boolean mayRetry = run.cancelReason().isEmpty();
            finishingWorkerFree = executor.workersCarryOn();
            try {
                end(run, error, mayRetry, now);
            } catch (RuntimeException | LinkageError e) {
                endFailed(run, e, now);
            }
            return handedBack;
        } finally {
            finishingWorkerFree = false;
            handedBack = null;
            lock.unlock();
        }
    }

    /**
     * Ending a run threw (a bug, or a value no step was ready for): the run must still end, or its job would show
     * {@code running} for good, even on disk, and be taken for a crashed run at the next start.
     */
    private void endFailed(Run run, Throwable e, Instant now) {
        JobSlot slot = run.slot;
        lock.later(() -> log.error("ending run {} of job {} failed; the run is taken off the job all the same", run.id,
                slot.qname, e));
        if (slot.removeRun(run)) {
            executing--;
        }
        if (jobs.get(slot.qname) == slot) {
            try {
                commit(slot, slot.record);
            } catch (RuntimeException | LinkageError again) {
                lock.later(() -> log.error("job {}: its status could not be set after the run", slot.qname, again));
            }
        }
    }

    /** The code of a run given up on returned after all: its job may fire again under a SKIP or QUEUE_ONE policy. */
    private void abandonedReturned(Run run) {
        abandonedStillRunning--;
        JobSlot slot = run.slot;
        slot.abandonedStillRunning--;
        lock.later(() -> log.info("abandoned run {} of job {} returned after all", run.id, slot.qname));
        if (jobs.get(slot.qname) == slot) {
            startNextIfIdle(slot, clock.instant());
            commit(slot, slot.record);
        }
    }

    /** A fire that waited for the job's previous run (QUEUE_ONE), else a missed fire still to run (FIRE_ALL). */
    private void startNextIfIdle(JobSlot slot, Instant now) {
        if (slot.queuedFor != null && !slot.busy() && runnable(slot)) {
            Instant queued = slot.queuedFor;
            slot.queuedFor = null;
            fire(slot, queued, 1, now);
        } else {
            pumpBacklog(slot, now);
        }
    }

    private void onTimeout(Run run, Instant now) {
        run.timeoutTimer = null;
        if (run.abandoned || !run.slot.runs().contains(run)) {
            return;
        }
        Duration limit = run.slot.spec == null ? Duration.between(run.firedAt, now) : run.slot.spec.timeout().get();
        timedOut++;
        run.cancel("timed out after " + limit);
        // The run is recorded as timed out now, whether or not its code heeds the cancellation; if it does not,
        // its thread is left behind: it no longer counts against the worker cap, but its job's overlap policy
        // still sees it until the code returns.
        giveUp(run, "timed out after " + limit, true, now);
    }

    private void giveUp(Run run, String error, boolean mayRetry, Instant now) {
        run.abandoned = true;
        abandonedStillRunning++;
        run.slot.abandonedStillRunning++;
        end(run, error, mayRetry, now);
    }

    private void end(Run run, String error, boolean mayRetry, Instant now) {
        JobSlot slot = run.slot;
        slot.removeRun(run);
        executing--;
        if (run.timeoutTimer != null) {
            run.timeoutTimer.cancelAndForgetRun();
            run.timeoutTimer = null;
        }
        try {
            listener.runFinished(new RunResult(slot.qname, run.id, run.scheduledFor, run.firedAt, now, run.attempt,
                    Optional.ofNullable(error)));
        } catch (RuntimeException | LinkageError e) {
            // The run history and the mirror are views: their failure must not keep the run from being recorded.
            lock.later(() -> log.error("recording run {} of job {} in the run history or the graph failed", run.id,
                    slot.qname, e));
        }
        if (jobs.get(slot.qname) != slot) {
            return; // the job was removed while this run was going
        }
        recordOutcome(slot, run, error, mayRetry, now);
        startNextIfIdle(slot, now);
        commit(slot, slot.record);
        dispatchWaiting(now);
    }

    private void recordOutcome(JobSlot slot, Run run, String error, boolean mayRetry, Instant now) {
        Schedule schedule = slot.record.schedule();
        RunOutcome outcome = new RunOutcome(error == null, error == null ? "" : error, RunOutcomes.runDuration(run.firedAt, now));
        JobRecord r;
        if (error == null) {
            r = slot.record.withRunEnded(now, outcome, 0, slot.record.failureCount());
            slot.failed = false;
            if (schedule instanceof Schedule.Once && run.scheduledFor.equals(((Schedule.Once) schedule).at())) {
                slot.completed = true;
            }
        } else if (run.cancelledByPluginStop) {
            // Not the job's failure: its failure counts and status stay as they were and nothing is retried. A once
            // job's fire is armed again when the plugin is back (see attachOne).
            r = slot.record.withRunEnded(now, outcome, slot.record.consecutiveFailures(), slot.record.failureCount());
            long runId = run.id;
            int attempt = run.attempt;
            lock.later(() -> log.info("run {} of job {} (attempt {}) {}", runId, slot.qname, attempt,
                    Printable.escape(error)));
        } else {
            r = slot.record.withRunEnded(now, outcome, Saturating.increment(slot.record.consecutiveFailures()),
                    Saturating.increment(slot.record.failureCount()));
            long runId = run.id;
            int attempt = run.attempt;
            // The message is the job's own text: escaped here, stored as it was.
            lock.later(() -> log.warn("run {} of job {} (attempt {}) failed: {}", runId, slot.qname, attempt,
                    Printable.escape(error)));
            if (mayRetry && slot.spec != null && run.attempt < slot.spec.retry().maxAttempts() && armable(slot)) {
                Duration delay = slot.spec.retry().delayBeforeRetry(run.attempt, random.getAsDouble());
                scheduleRetry(slot, run.scheduledFor, run.attempt + 1, now.plus(delay));
            } else if (schedule instanceof Schedule.Once || schedule instanceof Schedule.Manual) {
                // A once job given a new instant while this run went on (replace from the run itself) has a fire
                // still ahead: this failure is not its last word.
                slot.failed = !slot.completed && slot.nextFire == null;
            }
        }
        slot.record = r; // committed by the caller together with the status it leads to
        if (fixedDelay(slot) && slot.nextFire == null && !slot.cancelled && !slot.orphaned) {
            setNextFire(slot, NextFire.plus(now, ((Schedule.Periodic) schedule).every()));
        }
    }

    // ---------------------------------------------------------------- timers and state

    private void setNextFire(JobSlot slot, Optional<Instant> next) {
        TimerHeap.cancel(slot.fireTimer);
        slot.fireTimer = null;
        slot.nextFire = next.orElse(null);
        if (slot.nextFire != null && armable(slot)) {
            slot.fireTimer = timers.push(Timer.Kind.FIRE, slot.nextFire, slot, null);
        }
    }

    private void scheduleRetry(JobSlot slot, Instant retryFor, int attempt, Instant at) {
        dropRetry(slot);
        slot.retryFor = retryFor;
        slot.retryAttempt = attempt;
        slot.retryTimer = timers.push(Timer.Kind.RETRY, at, slot, null);
    }

    private void dropRetry(JobSlot slot) {
        TimerHeap.cancel(slot.retryTimer);
        slot.retryTimer = null;
        slot.retryFor = null;
    }

    /**
     * Derives the job's status from its facts, checks the step, and hands the record to the sink if it changed.
     *
     * @return the ticket of the change (or of the last one, if nothing changed)
     */
    private long commit(JobSlot slot, JobRecord base) {
        JobStatus status = slot.derivedStatus();
        JobRecord current = slot.record;
        // One copy per commit (this runs several times per fire), and the current Optionals where they still hold.
        JobRecord next = base.withEngineState(status, optional(current.nextFireAt(), slot.nextFire), slot.paused,
                optional(current.orphanedAt(), slot.orphanedAt), slot.dynamic, current.version() + 1);
        if (slot.lastTicket != 0 && next.equalsIgnoringVersion(current)) {
            return slot.lastTicket;
        }
        StatusRules.check(slot.qname, current.status(), status);
        slot.record = next;
        slot.lastTicket = sink.put(next);
        return slot.lastTicket;
    }

    private static Optional<Instant> optional(Optional<Instant> current, Instant value) {
        return current.orElse(null) == value ? current : Optional.ofNullable(value);
    }

    private static boolean runnable(JobSlot slot) {
        return slot.code != null && !slot.orphaned && !slot.cancelled;
    }

    /** Whether a fire due at {@code due} is later than the misfire threshold at {@code now}. */
    private boolean misfired(Instant due, Instant now) {
        // Not Duration.between: it is slower, and this runs for every job a plugin attaches (docs/benchmarks.md).
        return now.minus(settings.misfireThreshold()).isAfter(due);
    }

    private static boolean armable(JobSlot slot) {
        return runnable(slot) && !slot.paused && !slot.completed;
    }

    private static boolean fixedDelay(JobSlot slot) {
        return slot.record.schedule() instanceof Schedule.Periodic p && p.mode() == PeriodicMode.FIXED_DELAY;
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
        lock.lock();
        try {
            awaitingFirstScan = true;
            Instant now = clock.instant();
            for (JobRecord record : records) {
                JobSlot slot = new JobSlot(record);
                jobs.put(record.qname(), slot);
                if (slot.orphaned && slot.orphanedAt == null) {
                    slot.orphanedAt = now; // written before orphaned_at existed: the retention counts from now
                }
                if (record.status() == JobStatus.RUNNING) {
                    Instant started = record.lastStartedAt().orElse(now);
                    slot.record = record.withLastFinishedAt(Optional.of(now))
                            .withLastOutcome(Optional.of(new RunOutcome(false, "host stopped during run",
                                    RunOutcomes.runDuration(started, now))))
                            .withConsecutiveFailures(Saturating.increment(record.consecutiveFailures()))
                            .withFailureCount(Saturating.increment(record.failureCount()));
                    slot.crashedFire = started;
                    lock.later(() -> log.warn("job {} was running when the host stopped; recorded as a failed run",
                            record.qname()));
                    commit(slot, slot.record);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A plugin started: registers its jobs, or reattaches them (with history, counters and checkpoint) if they are
     * known. Known jobs of the plugin that it no longer provides become orphaned.
     *
     * @param pluginId the plugin
     * @param provided its valid jobs
     */
    public void attach(String pluginId, List<PluginJob> provided) {
        lock.lock();
        try {
            Instant now = clock.instant();
            int[] byHow = new int[Attached.values().length];
            for (PluginJob job : provided) {
                Attached how = attachOne(pluginId, job.qname(), job.spec(), job.job(), false, now);
                byHow[how.ordinal()]++;
                if (log.isDebugEnabled()) {
                    lock.later(() -> log.debug("job {} {} ({})", job.qname(), how.word,
                            Schedules.describe(job.spec().schedule())));
                }
            }
            // One line per plugin: a plugin may bring thousands of jobs (each one's own line is at DEBUG).
            int registered = byHow[Attached.REGISTERED.ordinal()];
            int known = byHow[Attached.ATTACHED.ordinal()];
            int restarted = byHow[Attached.RESTARTED.ordinal()];
            int back = byHow[Attached.REATTACHED.ordinal()];
            lock.later(() -> log.info("plugin {}: {} job(s) attached ({} new, {} known from the sidecar, {} kept from before"
                    + " its restart, {} back from orphaned)", pluginId, provided.size(), registered, known, restarted,
                    back));
            // Every job attached above has its code now (a PluginJob always has one), so a job of this plugin
            // still without code is one the plugin no longer provides: no set of the provided names is needed.
            for (JobSlot slot : jobs.values()) {
                if (slot.code == null && !slot.orphaned && slot.pluginId.equals(pluginId)) {
                    orphan(slot, now);
                    commit(slot, slot.record);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** How a job came to be attached, for the log. */
    private enum Attached {
        REGISTERED("registered"), ATTACHED("attached"), RESTARTED("reattached"), REATTACHED("reattached");

        final String word;

        Attached(String word) {
            this.word = word;
        }
    }

    private Attached attachOne(String pluginId, QName qname, JobSpec spec, BackgroundJob code, boolean dynamic,
                               Instant now) {
        JobSlot slot = jobs.get(qname);
        boolean known = slot != null;
        if (!known) {
            slot = new JobSlot(JobRecord.pending(qname, pluginId, spec.schedule()));
            jobs.put(qname, slot);
        }
        JobRecord base = slot.record;
        Schedule schedule = spec.schedule();
        boolean newSchedule = !base.schedule().equals(schedule);
        // A once job's runs count only for the instant they were for: replace() with a new one arms it again. Not a
        // declared job's new instant: a spec such as Schedule.once(Instant.now()) gives one at every load, and such a
        // job must still run once ever.
        boolean replacedWithNewSchedule = newSchedule && dynamic;
        if (newSchedule) {
            base = base.withSchedule(schedule);
            slot.completed = false;
            slot.failed = false;
            slot.nextFire = null;
        }
        slot.spec = spec;
        slot.code = code;
        slot.dynamic = dynamic;
        boolean wasOrphaned = slot.orphaned;
        boolean pluginRestarted = slot.orphanedByStop;
        slot.orphaned = false;
        slot.orphanedByStop = false;
        slot.orphanedAt = null;
        slot.record = base;

        // A fire whose last run failed and was not retried yet: a run cut off by a crash (known from this
        // restart), or a once job whose failed fire is on disk (its run ended in failure and it never completed;
        // deciding from persisted facts holds however many restarts come before the plugin is back). The fire is
        // retried if the policy allows, else a one-shot job has failed.
        // A once job with a fire still ahead (a new instant given by replace, kept on disk) has not failed it.
        // A once job whose run was cancelled because its plugin stopped has not had its fire: it is armed again
        // (known from disk, so also after a restart), and a fire now past goes through the misfire policy.
        boolean cutByPluginStop = schedule instanceof Schedule.Once && !slot.completed && !replacedWithNewSchedule
                && slot.nextFire == null && base.lastOutcome().map(RunOutcomes::cancelledByPluginStop).orElse(false);
        Instant failedFire = slot.crashedFire;
        if (schedule instanceof Schedule.Once once && !slot.completed && !replacedWithNewSchedule && !cutByPluginStop
                && slot.nextFire == null && base.runCount() > 0 && base.lastOutcome().map(o -> !o.success()).orElse(false)) {
            failedFire = once.at();
        }
        boolean retryFailedFire = false;
        if (failedFire != null) {
            retryFailedFire = Saturating.increment(base.consecutiveFailures()) <= spec.retry().maxAttempts();
            if (!retryFailedFire && (schedule instanceof Schedule.Once || schedule instanceof Schedule.Manual)) {
                slot.failed = !slot.completed;
            }
        }
        // A once job that has run is done with its fire (completed, failed, or retrying it): never re-arm it.
        boolean onceAlreadyFired = schedule instanceof Schedule.Once && base.runCount() > 0 && !replacedWithNewSchedule
                && !cutByPluginStop;
        if (slot.nextFire == null && !slot.completed && !slot.cancelled && !slot.failed && !onceAlreadyFired) {
            slot.nextFire = NextFire.firstFire(schedule, now).orElse(null);
        }
        Instant due = slot.nextFire;
        setNextFire(slot, Optional.ofNullable(due));
        if (retryFailedFire && armable(slot)) {
            Duration delay = spec.retry().delayBeforeRetry(base.consecutiveFailures(), random.getAsDouble());
            scheduleRetry(slot, failedFire, Saturating.increment(base.consecutiveFailures()), now.plus(delay));
        }
        slot.crashedFire = null;
        commit(slot, slot.record);
        if (due != null && armable(slot) && misfired(due, now)) {
            applyMisfirePolicy(slot, due, now);
            commit(slot, slot.record);
        }
        if (!known) {
            return Attached.REGISTERED;
        }
        if (!wasOrphaned) {
            return Attached.ATTACHED;
        }
        // A plugin stopped and started again by this host (a reload, a new version) is not a plugin coming back.
        return pluginRestarted ? Attached.RESTARTED : Attached.REATTACHED;
    }

    /**
     * A plugin is stopping: its runs are cancelled and given {@code grace} to end, runs still going after that are
     * abandoned (recorded as failed), and its jobs become orphaned, keeping their state.
     *
     * @param pluginId the plugin
     * @param grace    how long its runs may take to end after cancellation
     */
    public void detach(String pluginId, Duration grace) {
        List<Run> cancelled = new ArrayList<>();
        lock.lock();
        try {
            for (JobSlot slot : jobs.values()) {
                if (slot.pluginId.equals(pluginId)) {
                    slot.code = null; // nothing new starts from here on
                    TimerHeap.cancel(slot.fireTimer);
                    slot.fireTimer = null;
                    dropRetry(slot);
                    slot.queuedFor = null;
                    slot.clearBacklog();
                    for (Run run : slot.runs()) {
                        run.cancelledByPluginStop = true;
                        run.cancel(RunOutcomes.pluginStopping(pluginId));
                        cancelled.add(run);
                    }
                }
            }
            schedulers.remove(pluginId);
        } finally {
            lock.unlock();
        }
        Run.awaitAll(cancelled, System.nanoTime() + grace.toNanos());
        lock.lock();
        try {
            Instant now = clock.instant();
            for (Run run : cancelled) {
                if (!run.abandoned && run.slot.runs().contains(run)) {
                    giveUp(run, RunOutcomes.CANCELLED + RunOutcomes.pluginStopping(pluginId)
                            + "; the run did not end within the grace of " + grace + " and was abandoned", false, now);
                }
            }
            for (JobSlot slot : jobs.values()) {
                if (slot.pluginId.equals(pluginId) && !slot.orphaned) {
                    orphan(slot, now);
                    slot.orphanedByStop = true;
                    slot.spec = null;
                    commit(slot, slot.record);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * After the first plugin scan: jobs whose plugin did not load are orphaned, and orphans may be pruned again.
     *
     * @param startedPlugins ids of the plugins that are running
     */
    public void orphanJobsOfMissingPlugins(Set<String> startedPlugins) {
        lock.lock();
        try {
            awaitingFirstScan = false;
            Instant now = clock.instant();
            for (JobSlot slot : jobs.values()) {
                if (slot.code == null && !slot.orphaned && !startedPlugins.contains(slot.pluginId)) {
                    orphan(slot, now);
                    commit(slot, slot.record);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private static void orphan(JobSlot slot, Instant now) {
        slot.orphaned = true;
        slot.orphanedAt = now;
        slot.code = null;
    }

    private void pruneOrphans(Instant now) {
        Instant cutoff = now.minus(settings.orphanRetention());
        for (JobSlot slot : List.copyOf(jobs.values())) {
            if (slot.orphaned && slot.runs().isEmpty() && slot.orphanedAt != null
                    && slot.orphanedAt.isBefore(cutoff)) {
                jobs.remove(slot.qname);
                sink.remove(slot.qname);
                lock.later(() -> log.info("orphaned job {} pruned after {} without its plugin", slot.qname,
                        settings.orphanRetention()));
            }
        }
    }

    // ---------------------------------------------------------------- dynamic jobs

    QName addDynamic(String namespace, BackgroundJob job, boolean replace) {
        Objects.requireNonNull(job, "job");
        JobSpec spec = job.spec();
        if (spec == null) {
            throw new IllegalArgumentException("spec() of " + job.getClass().getName() + " returned null");
        }
        try {
            validator.validate(spec.schedule());
        } catch (InvalidScheduleException e) {
            throw e.forJob(namespace, spec.name());
        }
        QName qname = new QName(namespace, spec.name());
        lock.lock();
        try {
            JobSlot slot = jobs.get(qname);
            if (slot != null && slot.code != null && !slot.dynamic) {
                throw new IllegalStateException("job " + qname + " is declared by plugin " + namespace
                        + "; a dynamic job cannot take its name");
            }
            if (slot != null && slot.code != null && !replace) {
                throw new IllegalStateException("job " + qname + " already exists; use replace to change it");
            }
            Attached how = attachOne(namespace, qname, spec, job, true, clock.instant());
            if (log.isInfoEnabled()) {
                lock.later(() -> log.info("job {} {} ({})", qname, how.word, Schedules.describe(spec.schedule())));
            }
            return qname;
        } finally {
            lock.unlock();
        }
    }

    boolean cancelInNamespace(QName qname) {
        lock.lock();
        try {
            if (!jobs.containsKey(qname)) {
                return false;
            }
            cancel(qname);
            return true;
        } finally {
            lock.unlock();
        }
    }

    Set<QName> jobsOf(String namespace) {
        lock.lock();
        try {
            Set<QName> out = new TreeSet<>();
            for (JobSlot slot : jobs.values()) {
                if (slot.pluginId.equals(namespace) && !slot.orphaned) {
                    out.add(slot.qname);
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    NamespacedScheduler schedulerFor(String pluginId) {
        return schedulers.computeIfAbsent(pluginId, id -> new NamespacedScheduler(this, id));
    }

    void saveCheckpoint(JobSlot slot, String text) {
        lock.lock();
        try {
            if (jobs.get(slot.qname) == slot) {
                commit(slot, slot.record.withCheckpoint(Optional.of(text)));
            }
        } finally {
            lock.unlock();
        }
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
        lock.lock();
        try {
            JobSlot slot = require(qname);
            if (!runnable(slot)) {
                throw new JobOperationException(JobOperationException.Reason.CONFLICT, "job " + qname
                        + " cannot run: it is " + slot.derivedStatus().name().toLowerCase()
                        + (slot.code == null ? " (plugin " + slot.pluginId + " provides no code for it)" : ""));
            }
            Instant now = clock.instant();
            long before = dispatched;
            int queuedBefore = slot.waitingForWorker + (slot.queuedFor == null ? 0 : 1);
            fire(slot, now, 1, now);
            commit(slot, slot.record);
            if (dispatched > before) {
                return TriggerOutcome.STARTED;
            }
            int queuedAfter = slot.waitingForWorker + (slot.queuedFor == null ? 0 : 1);
            return queuedAfter > queuedBefore ? TriggerOutcome.QUEUED : TriggerOutcome.SKIPPED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops a job firing until resumed; a run in progress goes on. Its missed fires are handled by its misfire
     * policy on resume.
     *
     * @param qname the job
     * @throws JobOperationException if there is no such job, or it is cancelled (its status would not change)
     */
    public void pause(QName qname) {
        lock.lock();
        try {
            JobSlot slot = require(qname);
            if (slot.cancelled) {
                throw new JobOperationException(JobOperationException.Reason.CONFLICT, "job " + qname
                        + " cannot be paused: it is cancelled (resume enables it again)");
            }
            slot.paused = true;
            TimerHeap.cancel(slot.fireTimer);
            slot.fireTimer = null;
            dropRetry(slot);
            slot.queuedFor = null;
            slot.clearBacklog();
            commit(slot, slot.record);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lets a paused job fire again (and re-enables a cancelled declared job). Fires missed meanwhile go through the
     * job's misfire policy.
     *
     * @param qname the job
     * @throws JobOperationException if there is no such job
     */
    public void resume(QName qname) {
        lock.lock();
        try {
            JobSlot slot = require(qname);
            Instant now = clock.instant();
            slot.paused = false;
            if (slot.cancelled) {
                slot.cancelled = false;
                slot.nextFire = slot.spec == null ? null : NextFire.firstFire(slot.spec.schedule(), now).orElse(null);
            } else if (slot.nextFire == null && slot.spec != null && !slot.completed) {
                slot.nextFire = NextFire.firstFire(slot.spec.schedule(), now).orElse(null);
            }
            Instant due = slot.nextFire;
            if (due != null && armable(slot) && misfired(due, now)) {
                applyMisfirePolicy(slot, due, now);
            } else {
                setNextFire(slot, Optional.ofNullable(due));
            }
            commit(slot, slot.record);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Cancels a job: its runs in progress are cancelled; a dynamic job is removed, a declared job is disabled
     * (state kept; {@link #resume} enables it again).
     *
     * @param qname the job
     * @throws JobOperationException if there is no such job
     */
    public void cancel(QName qname) {
        lock.lock();
        try {
            JobSlot slot = require(qname);
            for (Run run : slot.runs()) {
                run.cancel("job cancelled by an operator");
            }
            TimerHeap.cancel(slot.fireTimer);
            slot.fireTimer = null;
            dropRetry(slot);
            slot.queuedFor = null;
            slot.clearBacklog();
            slot.nextFire = null;
            if (slot.dynamic || slot.orphaned) {
                jobs.remove(qname);
                sink.remove(qname);
                lock.later(() -> log.info("job {} removed", qname));
            } else {
                slot.cancelled = true;
                commit(slot, slot.record);
                lock.later(() -> log.info("job {} cancelled (disabled until resumed)", qname));
            }
        } finally {
            lock.unlock();
        }
    }

    /** @return every job, by name */
    public List<JobSnapshot> jobs() {
        List<JobSnapshot> views;
        lock.lock();
        try {
            // Only the copy happens under the lock; sorting thousands of jobs would hold up every fire meanwhile.
            views = new ArrayList<>(jobs.size());
            for (JobSlot slot : jobs.values()) {
                views.add(view(slot));
            }
        } finally {
            lock.unlock();
        }
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
            return Optional.ofNullable(jobs.get(qname)).map(Engine::view);
        } finally {
            lock.unlock();
        }
    }

    /** @return counters since start: runs dispatched, fires skipped by overlap, fires missed, runs timed out */
    public EngineStats stats() {
        lock.lock();
        try {
            return new EngineStats(jobs.size(), dispatched, skipped, misfired, timedOut, executing,
                    abandonedStillRunning, waitingForWorker.size());
        } finally {
            lock.unlock();
        }
    }

    private static JobSnapshot view(JobSlot slot) {
        List<JobSnapshot.Running> runs = slot.runs().stream().map(r -> new JobSnapshot.Running(r.id, r.scheduledFor,
                r.firedAt, r.attempt, r.progressFraction(), r.progressMessage())).toList();
        return new JobSnapshot(slot.record, runs);
    }

    private JobSlot require(QName qname) {
        JobSlot slot = jobs.get(qname);
        if (slot == null) {
            throw new JobOperationException(JobOperationException.Reason.NOT_FOUND, "no job named " + qname);
        }
        return slot;
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
        long cancelAt = deadline - Math.min(SHUTDOWN_CANCEL_WINDOW.toNanos(), grace.toNanos() / 2);
        stopping = true;
        Thread t;
        lock.lock();
        try {
            t = timerThread;
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
        awaitRunsEnforcingTimeouts(cancelAt);
        List<Run> rest = runningRuns();
        for (Run run : rest) {
            run.cancel("host shutting down");
        }
        Run.awaitAll(rest, deadline);
        lock.lock();
        try {
            Instant now = clock.instant();
            for (Run run : rest) {
                if (!run.abandoned && run.slot.runs().contains(run)) {
                    giveUp(run, "host shut down during the run", false, now);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** @return whether {@link #shutdown(Duration)} has been called */
    boolean isStopping() {
        return stopping;
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    private List<Run> runningRuns() {
        lock.lock();
        try {
            List<Run> out = new ArrayList<>();
            jobs.values().forEach(s -> out.addAll(s.runs()));
            return out;
        } finally {
            lock.unlock();
        }
    }

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
                for (JobSlot slot : jobs.values()) {
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
                overdue.forEach(run -> onTimeout(run, now));
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

    // ---------------------------------------------------------------- helpers

    /**
     * @param error a run's error as reported in a {@link RunResult}
     * @return true if it says the run was cancelled because its plugin stopped
     */
    public static boolean isPluginStopCancellation(String error) {
        return RunOutcomes.isPluginStopCancellation(error);
    }

    private record WaitingFire(JobSlot slot, Instant scheduledFor, int attempt) {
    }
}
