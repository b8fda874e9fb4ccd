package dev.belfry.host.internal.engine;

import dev.belfry.api.OverlapPolicy;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.Printable;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.RunOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * From a due fire to a recorded outcome: the misfire policy, the overlap gate, the claim, the worker cap, handing
 * runs to workers, and each run's end (timeout, outcome, retry, the job's next fire). Owns the worker accounting
 * and the counters, and each job's runs, waiting fires and backlog. Every method but those a run's thread calls
 * ({@link #runFinished}, {@link #startIsDurable}, {@link #startNotDurable}) expects the engine lock to be held.
 */
final class RunDispatcher {
    /** Logged under the engine's name: to an operator (and to the tests) the engine's parts are one component. */
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    private static final CompletableFuture<Void> NO_WAIT = CompletableFuture.completedFuture(null);
    /**
     * How long a fire whose start could not be made durable waits before it is tried again. The store retries a
     * failed write once a second, or at once for a durable waiter, so one try a second per stalled job is what it
     * would take anyway; the engine needs no health signal from a store it does not know.
     */
    static final Duration START_AGAIN_AFTER = Duration.ofSeconds(1);

    private final Engine engine;
    private final EngineLock lock;
    private final Clock clock;
    private final JobTable table;
    private final TimerHeap timers;
    private final Arming arming;
    private final FireClaim claim;
    private final RunExecutor executor;
    private final EngineSettings settings;
    private final DoubleSupplier random;
    private final EngineListener listener;

    private final ArrayDeque<WaitingFire> waitingForWorker = new ArrayDeque<>();
    /** Runs whose claim was committed while no worker was free: they go before fires not yet dispatched. */
    private final ArrayDeque<Run> claimedWaitingForWorker = new ArrayDeque<>();
    private int awaitingClaim;
    private long runSeq;
    private int executing;
    private int abandonedStillRunning;
    /**
     * Set while fires wait for a worker because abandoned runs hold the executor's every thread, not because of the
     * cap on runs; it makes the warning come once per such spell, not once per fire.
     */
    private boolean threadsHeldByAbandoned;
    private long dispatched;
    private long skipped;
    private long misfired;
    private long timedOut;
    /** Once set, nothing new starts: shutting down, the runs in progress end. */
    private volatile boolean stopping;
    /** True while a worker that carries on is ending its run under the lock: the next dispatch goes to it. */
    private boolean finishingWorkerFree;
    /** The run {@link #dispatch} handed to that worker. */
    private Run handedBack;

    RunDispatcher(Engine engine, EngineLock lock, Clock clock, JobTable table, TimerHeap timers, Arming arming,
                  FireClaim claim, RunExecutor executor, EngineSettings settings, DoubleSupplier random,
                  EngineListener listener) {
        this.engine = engine;
        this.lock = lock;
        this.clock = clock;
        this.table = table;
        this.timers = timers;
        this.arming = arming;
        this.claim = claim;
        this.executor = executor;
        this.settings = settings;
        this.random = random;
        this.listener = listener;
    }

    // ---------------------------------------------------------------- fires

    void onFireDue(JobSlot slot, Instant due, Instant now) {
        arming.fireDue(slot);
        if (!slot.armable()) {
            return;
        }
        if (now.isBefore(due) && slot.busy()) {
            // Up ahead of the instant (FireClaim.claimAhead) while a run of the job is still going: the overlap
            // policy is applied at the instant, as without claiming ahead, since the run may well end by then.
            arming.decideAtInstant(slot, due);
            return;
        }
        if (!claim.firesHere(slot.qname)) {
            // Another host's now (its lease lapsed here, or is being handed over): the fire is left to whoever
            // holds the job, not consumed. Its next fire stays at this one, so the host that adopts the job applies
            // its misfire policy to it instead of skipping it.
            slot.setElsewhere(true);
            arming.suspend(slot);
            dropWaitingFires(slot);
            return;
        }
        if (arming.misfired(due, now)) {
            applyMisfirePolicy(slot, due, now);
        } else {
            arming.setNextFire(slot, Arming.fixedDelay(slot) ? Optional.empty()
                    : NextFire.nextFire(slot.spec().schedule(), due));
            arming.dropRetry(slot); // a newer fire supersedes a retry of an older one
            fire(slot, due, 1, now);
        }
        table.commit(slot);
    }

    void applyMisfirePolicy(JobSlot slot, Instant firstMissed, Instant now) {
        Misfires.Plan plan = Misfires.plan(slot.spec().schedule(), slot.spec().misfire(), firstMissed, now);
        misfired = Saturating.add(misfired, plan.missed());
        String policy = Schedules.describe(slot.spec().misfire());
        lock.later(() -> log.info("job {} missed {} fire(s) since {}; misfire policy {} runs {} of them", slot.qname,
                plan.missed(), firstMissed, policy, plan.toRun().size()));
        try {
            listener.misfired(slot.qname, firstMissed, plan.missed(), plan.toRun().size());
        } catch (RuntimeException | LinkageError e) {
            lock.later(() -> log.error("telling of job {}'s missed fires failed", slot.qname, e));
        }
        arming.setNextFire(slot, plan.nextRegular());
        arming.dropRetry(slot);
        slot.addToBacklog(plan.toRun());
        pumpBacklog(slot, now);
    }

    void onRetryDue(JobSlot slot, Instant now) {
        arming.retryDue(slot);
        if (slot.armable()) {
            fire(slot, slot.retryFor(), slot.retryAttempt(), now);
        }
        table.commit(slot);
    }

    /** The overlap gate and the claim, then a worker (or the queue for one). */
    void fire(JobSlot slot, Instant scheduledFor, int attempt, Instant now) {
        if (stopping) {
            return;
        }
        if (slot.busy()) {
            OverlapPolicy overlap = slot.spec().overlap();
            if (overlap == OverlapPolicy.QUEUE_ONE && slot.queuedFor() == null) {
                slot.queue(scheduledFor);
                return;
            }
            if (overlap != OverlapPolicy.ALLOW) {
                skipped++;
                if (log.isDebugEnabled()) {
                    lock.later(() -> log.debug("job {} is still running: fire for {} skipped", slot.qname,
                            scheduledFor));
                }
                return;
            }
        }
        if (!claimed(slot, scheduledFor)) {
            return;
        }
        if (!workerFree()) {
            if (executing < settings.maxConcurrentRuns()) {
                noThreadLeft();
            }
            slot.waitForWorker();
            waitingForWorker.add(new WaitingFire(slot, scheduledFor, attempt));
            return;
        }
        dispatch(slot, scheduledFor, attempt, now);
    }

    /**
     * Whether a run may start now: the cap on runs allows it, and the executor has a thread for it. Abandoned runs
     * do not count against the cap, but their code still holds a thread each.
     */
    private boolean workerFree() {
        return executing < settings.maxConcurrentRuns()
                && (long) executing + abandonedStillRunning < executor.threadLimit();
    }

    private void noThreadLeft() {
        if (threadsHeldByAbandoned) {
            return;
        }
        threadsHeldByAbandoned = true;
        int limit = executor.threadLimit();
        int held = abandonedStillRunning;
        lock.later(() -> log.warn("all {} worker threads are taken, {} of them by runs given up after their timeout"
                + " whose code has not returned; due fires wait for a worker until such a run returns", limit, held));
    }

    /** @return whether this host fires the job now (in cluster mode: holds a current lease on it) */
    boolean firesHere(JobSlot slot) {
        return claim.firesHere(slot.qname);
    }

    private boolean claimed(JobSlot slot, Instant scheduledFor) {
        try {
            return claim.claim(slot.qname, scheduledFor);
        } catch (RuntimeException e) {
            lock.later(() -> log.error("claim for job {} at {} failed; not running it here", slot.qname, scheduledFor,
                    e));
            return false;
        }
    }

    private void dispatch(JobSlot slot, Instant scheduledFor, int attempt, Instant now) {
        // A fire claimed ahead of its instant starts at the instant: that is its start, on record and for its timeout.
        Instant start = now.isBefore(scheduledFor) ? scheduledFor : now;
        Run run = new Run(engine, ++runSeq, slot, slot.code(), scheduledFor, start, attempt);
        slot.addRun(run);
        dispatched++;
        run.startedBefore = slot.record().lastStartedAt();
        JobRecord started = slot.record().withRunStarted(start, Saturating.increment(slot.record().runCount()));
        long ticket = table.commitStart(slot, started, scheduledFor, attempt);
        // A timeout that ends beyond the last instant there is never comes: no timer.
        slot.spec().timeout().flatMap(limit -> NextFire.plus(start, limit))
                .ifPresent(due -> run.timeoutTimer = timers.push(Timer.Kind.TIMEOUT, due, slot, run));
        run.durableStart = slot.spec().durableStart() || claim.commitBeforeRun();
        run.fencingToken = claim.fencingToken(slot.qname);
        run.startCommitted = run.durableStart ? table.durable(ticket) : NO_WAIT;
        if (!run.durableStart) {
            tellStarted(slot);
        }
        if (claim.commitBeforeRun()) {
            // A worker (and a place under the cap) only once the claim is committed: waiting for the database is
            // not running, and a host whose commits take milliseconds would otherwise fill its cap with waiting.
            run.awaitingClaim = true;
            awaitingClaim++;
            run.startCommitted.whenComplete((ok, failed) -> claimSettled(run));
            return;
        }
        handOver(run, now);
    }

    /** Gives a run a worker: it counts against the cap from now on. */
    private void handOver(Run run, Instant now) {
        executing++;
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

    /**
     * Called (on the store's thread, or at once if already settled) when a run's claim is committed or refused:
     * the run gets a worker, or waits for one ahead of fires not yet dispatched, or, claimed ahead of its instant,
     * waits for the instant. A refused claim goes to a worker too, which takes the start back as for any start
     * that did not become durable. Takes the engine lock.
     */
    private void claimSettled(Run run) {
        lock.lock();
        try {
            if (!run.awaitingClaim || run.startTimer != null) {
                return;
            }
            Instant now = clock.instant();
            if (!run.abandoned && now.isBefore(run.firedAt)) {
                run.startTimer = timers.push(Timer.Kind.START, run.firedAt, run.slot, run);
                return;
            }
            startClaimed(run, now);
        } finally {
            lock.unlock();
        }
    }

    /** The instant of a run claimed ahead of it has come. */
    void onStartDue(Run run, Instant now) {
        run.startTimer = null;
        if (run.awaitingClaim) {
            startClaimed(run, now);
        }
    }

    private void startClaimed(Run run, Instant now) {
        run.awaitingClaim = false;
        awaitingClaim--;
        if (run.abandoned) {
            // Given up while its claim was being committed or its instant awaited (a timeout, its plugin stopping,
            // shutdown): it was recorded as ended then; no code of it ever runs.
            abandonedNeverRan(run);
            return;
        }
        if (workerFree() && claimedWaitingForWorker.isEmpty()) {
            handOver(run, now);
        } else {
            claimedWaitingForWorker.add(run);
        }
    }

    void dispatchWaiting(Instant now) {
        // Runs already started (claimed) first, even while stopping: only their code is left to run.
        while (workerFree() && !claimedWaitingForWorker.isEmpty()) {
            Run run = claimedWaitingForWorker.poll();
            if (run.abandoned) {
                abandonedNeverRan(run);
            } else {
                handOver(run, now);
            }
        }
        while (!stopping && workerFree() && !waitingForWorker.isEmpty()) {
            WaitingFire w = waitingForWorker.poll();
            w.slot.stopWaitingForWorker();
            if (w.slot.runnable() && table.holds(w.slot)) {
                dispatch(w.slot, w.scheduledFor, w.attempt, now);
                table.commit(w.slot);
            }
        }
    }

    private void pumpBacklog(JobSlot slot, Instant now) {
        if (!slot.busy() && slot.hasBacklog() && slot.runnable()) {
            fire(slot, slot.pollBacklog(), 1, now);
        }
    }

    /** A fire that waited for the job's previous run (QUEUE_ONE), else a missed fire still to run (FIRE_ALL). */
    private void startNextIfIdle(JobSlot slot, Instant now) {
        if (slot.queuedFor() != null && !slot.busy() && slot.runnable()) {
            Instant queued = slot.queuedFor();
            slot.queue(null);
            fire(slot, queued, 1, now);
        } else {
            pumpBacklog(slot, now);
        }
    }

    /** Forgets the job's fires waiting for its running one and its missed fires still to run. */
    void dropWaitingFires(JobSlot slot) {
        slot.dropWaitingFires();
    }

    // ---------------------------------------------------------------- run endings

    /**
     * Called by a run's thread (through {@link Engine}) when its code returned or threw. Takes the engine lock.
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
            // A cancelled run's outcome is its cancellation: what the code throws on the way out (the
            // CancellationException of throwIfCancelled, an InterruptedException) is the cancellation's doing.
            String error = run.cancelReason().map(reason -> RunOutcomes.CANCELLED + reason)
                    .orElseGet(() -> failure == null ? null : RunOutcomes.describe(failure));
            boolean mayRetry = run.cancelReason().isEmpty();
            finishingWorkerFree = executor.workersCarryOn();
            try {
                end(run, error, mayRetry, now);
            } catch (RuntimeException | LinkageError e) {
                endFailed(run, e);
            }
            return handedBack;
        } finally {
            finishingWorkerFree = false;
            handedBack = null;
            lock.unlock();
        }
    }

    /**
     * Called by a run's thread (through {@link Engine}) once the run's durable start is on disk, before its code
     * runs: only then is the run told as started. Takes the engine lock.
     */
    void startIsDurable(Run run) {
        lock.lock();
        try {
            if (!run.abandoned && table.holds(run.slot)) {
                tellStarted(run.slot);
            }
        } finally {
            lock.unlock();
        }
    }

    private void tellStarted(JobSlot slot) {
        try {
            listener.runStarted(slot.record());
        } catch (RuntimeException | LinkageError e) {
            lock.later(() -> log.error("telling of the start of a run of job {} failed", slot.qname, e));
        }
    }

    /**
     * Called by a run's thread (through {@link Engine}) when the run's durable start failed to reach disk, so its
     * code was not run. A start that never happened is not a run: the start is taken back (no run, failure or
     * attempt counted, no run reported to the listener) and the same fire is tried again after
     * {@link #START_AGAIN_AFTER}. Takes the engine lock.
     *
     * @return a run that was waiting for a worker and that this thread should now execute, or null
     */
    Run startNotDurable(Run run, Throwable cause) {
        lock.lock();
        try {
            if (run.abandoned) {
                abandonedReturned(run); // already recorded as ended (its timeout came while it waited for the disk)
                return null;
            }
            finishingWorkerFree = executor.workersCarryOn();
            try {
                takeBackStart(run, cause, clock.instant());
            } catch (RuntimeException | LinkageError e) {
                endFailed(run, e);
            }
            return handedBack;
        } finally {
            finishingWorkerFree = false;
            handedBack = null;
            lock.unlock();
        }
    }

    private void takeBackStart(Run run, Throwable cause, Instant now) {
        JobSlot slot = run.slot;
        slot.removeRun(run);
        executing--;
        dispatched--;
        if (run.timeoutTimer != null) {
            run.timeoutTimer.cancelAndForgetRun();
            run.timeoutTimer = null;
        }
        if (!table.holds(slot)) {
            dispatchWaiting(now);
            return;
        }
        JobRecord record = slot.record();
        JobRecord back = record.withRunCount(Math.max(0, record.runCount() - 1));
        if (record.lastStartedAt().equals(Optional.of(run.firedAt))) {
            back = back.withLastStartedAt(run.startedBefore);
        }
        table.stage(slot, back);
        if (cause instanceof FireTakenException) {
            // Not ours to run: the host that has the fire runs it; nothing to try again here.
            lock.later(() -> log.info("job {}: fire for {} not run here: {}", slot.qname, run.scheduledFor,
                    cause.getMessage()));
            table.commit(slot);
            dispatchWaiting(now);
            return;
        }
        // Shutting down, or cancelled (an operator's cancel, its plugin stopping) while it waited: not started again
        // here; a once job's fire is armed again when its plugin is back, as for any fire that never ran.
        if (!stopping && run.cancelReason().isEmpty() && slot.armable()) {
            arming.scheduleStartAgain(slot, run.scheduledFor, run.attempt, now.plus(START_AGAIN_AFTER));
            if (!slot.startStalled()) {
                slot.setStartStalled(true);
                String error = Printable.escape(cause.getMessage() == null ? cause.toString() : cause.getMessage());
                lock.later(() -> log.warn("job {}: its start could not be made durable ({}); the job was not run,"
                        + " nothing is counted, and its fire for {} is tried again every {} s until the state store"
                        + " accepts writes", slot.qname, error, run.scheduledFor, START_AGAIN_AFTER.toSeconds()));
            }
        }
        table.commit(slot);
        dispatchWaiting(now);
    }

    /**
     * Ending a run threw (a bug, or a value no step was ready for): the run must still end, or its job would show
     * {@code running} for good, even on disk, and be taken for a crashed run at the next start.
     */
    private void endFailed(Run run, Throwable e) {
        JobSlot slot = run.slot;
        lock.later(() -> log.error("ending run {} of job {} failed; the run is taken off the job all the same", run.id,
                slot.qname, e));
        if (slot.removeRun(run)) {
            executing--;
        }
        if (table.holds(slot)) {
            try {
                table.commit(slot);
            } catch (RuntimeException | LinkageError again) {
                lock.later(() -> log.error("job {}: its status could not be set after the run", slot.qname, again));
            }
        }
    }

    /** A run given up on while its claim was committed: no code of it ran, none will. */
    private void abandonedNeverRan(Run run) {
        run.endedUnexecuted();
        abandonedGone(run);
    }

    /** The code of a run given up on returned after all: its job may fire again under a SKIP or QUEUE_ONE policy. */
    private void abandonedReturned(Run run) {
        lock.later(() -> log.info("abandoned run {} of job {} returned after all", run.id, run.slot.qname));
        abandonedGone(run);
    }

    private void abandonedGone(Run run) {
        abandonedStillRunning--;
        JobSlot slot = run.slot;
        slot.abandonedRunReturned();
        Instant now = clock.instant();
        if (threadsHeldByAbandoned) {
            threadsHeldByAbandoned = false;
            int waiting = waitingForWorker.size();
            lock.later(() -> log.info("a worker thread is free again; {} fire(s) waiting for a worker", waiting));
        }
        // Its thread is free again: fires that waited for one go before this job's next.
        dispatchWaiting(now);
        if (table.holds(slot)) {
            startNextIfIdle(slot, now);
            table.commit(slot);
        }
    }

    void onTimeout(Run run, Instant now) {
        run.timeoutTimer = null;
        if (run.abandoned || !run.slot.runs().contains(run)) {
            return;
        }
        JobSlot slot = run.slot;
        Duration limit = slot.spec() == null ? Duration.between(run.firedAt, now) : slot.spec().timeout().get();
        timedOut++;
        run.cancel(RunOutcomes.TIMED_OUT + limit);
        // The run is recorded as timed out now, whether or not its code heeds the cancellation; if it does not,
        // its thread is left behind: it no longer counts against the worker cap, but its job's overlap policy
        // still sees it until the code returns.
        giveUp(run, RunOutcomes.TIMED_OUT + limit, true, now);
    }

    /** Records a run as ended without waiting for its code any longer; its thread is left behind if still going. */
    void giveUp(Run run, String error, boolean mayRetry, Instant now) {
        run.abandoned = true;
        abandonedStillRunning++;
        run.slot.abandonRun();
        end(run, error, mayRetry, now);
    }

    private void end(Run run, String error, boolean mayRetry, Instant now) {
        JobSlot slot = run.slot;
        slot.removeRun(run);
        if (!run.awaitingClaim && !claimedWaitingForWorker.contains(run)) {
            executing--;
        }
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
        if (!table.holds(slot)) {
            return; // the job was removed while this run was going
        }
        slot.setStartStalled(false); // a run of it did start: the next outage is warned of again
        recordOutcome(slot, run, error, mayRetry, now);
        startNextIfIdle(slot, now);
        long ticket = table.commit(slot);
        if (run.durableStart) {
            // A durable start means at most once: an end left only in memory would be read after a crash as a run
            // cut off, a failure its retry policy may run again. Asked for at once, not waited for.
            table.durable(ticket);
        }
        dispatchWaiting(now);
    }

    private void recordOutcome(JobSlot slot, Run run, String error, boolean mayRetry, Instant now) {
        JobRecord record = slot.record();
        Schedule schedule = record.schedule();
        RunOutcome outcome = new RunOutcome(error == null, error == null ? "" : error,
                RunOutcomes.runDuration(run.firedAt, now));
        JobRecord r;
        if (error == null) {
            r = record.withRunEnded(now, outcome, 0, record.failureCount());
            slot.succeeded(schedule instanceof Schedule.Once once && run.scheduledFor.equals(once.at()));
        } else if (run.cancelledNotFailed()) {
            // Not the job's failure: its failure counts and status stay as they were and nothing is retried. A once
            // job's fire is armed again when the plugin is back (see PluginJobs); an operator's cancel has disabled
            // the job until it is resumed.
            r = record.withRunEnded(now, outcome, record.consecutiveFailures(), record.failureCount());
            lock.later(() -> log.info("run {} of job {} (attempt {}) {}", run.id, slot.qname, run.attempt,
                    Printable.escape(error)));
        } else {
            r = record.withRunEnded(now, outcome, Saturating.increment(record.consecutiveFailures()),
                    Saturating.increment(record.failureCount()));
            // The message is the job's own text: escaped here, stored as it was.
            lock.later(() -> log.warn("run {} of job {} (attempt {}) failed: {}", run.id, slot.qname, run.attempt,
                    Printable.escape(error)));
            if (mayRetry && slot.spec() != null && run.attempt < slot.spec().retry().maxAttempts()
                    && slot.armable()) {
                Duration delay = slot.spec().retry().delayBeforeRetry(run.attempt, random.getAsDouble());
                arming.scheduleRetry(slot, run.scheduledFor, run.attempt + 1, now.plus(delay));
            } else if (schedule instanceof Schedule.Once || schedule instanceof Schedule.Manual) {
                // A once job given a new instant while this run went on (replace from the run itself) has a fire
                // still ahead: this failure is not its last word.
                slot.setFailed(!slot.completed() && slot.nextFire() == null);
            }
        }
        table.stage(slot, r); // committed by the caller together with the status it leads to
        if (Arming.fixedDelay(slot) && slot.nextFire() == null && !slot.cancelled() && !slot.orphaned()) {
            arming.setNextFire(slot, NextFire.plus(now, ((Schedule.Periodic) schedule).every()));
        }
    }

    // ---------------------------------------------------------------- state for the other parts

    /** From now on nothing new starts: not a due fire, a retry, a queued fire nor a fire waiting for a worker. */
    void stopStarting() {
        stopping = true;
    }

    boolean stopping() {
        return stopping;
    }

    /** @return runs dispatched since start */
    long dispatched() {
        return dispatched;
    }

    EngineStats stats(int jobs) {
        return new EngineStats(jobs, dispatched, skipped, misfired, timedOut, executing + awaitingClaim
                + claimedWaitingForWorker.size(), abandonedStillRunning, waitingForWorker.size());
    }

    private record WaitingFire(JobSlot slot, Instant scheduledFor, int attempt) {
    }
}
