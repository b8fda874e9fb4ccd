package dev.belfry.host.internal.engine;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.plugins.ScheduleValidator;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.RunOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.Set;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where jobs come from and go: restored from the sidecar, attached as their plugin starts (or added by a run's
 * scheduler), detached and orphaned as it stops or is found missing, and orphans pruned after the retention. The
 * only writer of what provides each job (spec, code, orphaned). Its entry points take the engine lock.
 */
final class PluginJobs {
    /** Logged under the engine's name: to an operator (and to the tests) the engine's parts are one component. */
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    private static final Duration PRUNE_INTERVAL = Duration.ofHours(1);

    private final EngineLock lock;
    private final Clock clock;
    private final JobTable table;
    private final Arming arming;
    private final RunDispatcher dispatcher;
    private final EngineSettings settings;
    private final DoubleSupplier random;
    private final ScheduleValidator validator;
    private final FireClaim claim;

    private Instant nextOrphanPrune = Instant.MIN;
    // Between restore() and orphanJobsOfMissingPlugins() the host's first plugin scan is deciding which restored
    // jobs are back: none is pruned meanwhile, however long ago it was orphaned, or a plugin returning after the
    // retention would lose its jobs' history to a timer that runs during the scan.
    private boolean awaitingFirstScan;

    PluginJobs(EngineLock lock, Clock clock, JobTable table, Arming arming, RunDispatcher dispatcher,
               EngineSettings settings, DoubleSupplier random, ScheduleValidator validator, FireClaim claim) {
        this.lock = lock;
        this.clock = clock;
        this.table = table;
        this.arming = arming;
        this.dispatcher = dispatcher;
        this.settings = settings;
        this.random = random;
        this.validator = validator;
        this.claim = claim;
    }

    /** See {@link Engine#restore}; {@code elsewhere} restores them as another host's (cluster mode). */
    void restore(Collection<JobRecord> records, boolean elsewhere) {
        lock.lock();
        try {
            awaitingFirstScan = true;
            Instant now = clock.instant();
            for (JobRecord record : records) {
                JobSlot slot = new JobSlot(record);
                slot.setElsewhere(elsewhere);
                table.add(slot);
                slot.dateOrphan(now);
                // Another host's job may well be running there; only the owner knows if a run was cut off.
                if (!elsewhere && record.status() == JobStatus.RUNNING) {
                    recordCutOffRun(slot, now, "host stopped during run");
                    lock.later(() -> log.warn("job {} was running when the host stopped; recorded as a failed run",
                            record.qname()));
                    table.commit(slot);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** A run the record shows going that nobody runs any more: recorded as failed; its retry policy decides. */
    private void recordCutOffRun(JobSlot slot, Instant now, String why) {
        JobRecord record = slot.record();
        Instant started = record.lastStartedAt().orElse(now);
        table.stage(slot, record.withLastFinishedAt(Optional.of(now))
                .withLastOutcome(Optional.of(new RunOutcome(false, why, RunOutcomes.runDuration(started, now))))
                .withConsecutiveFailures(Saturating.increment(record.consecutiveFailures()))
                .withFailureCount(Saturating.increment(record.failureCount())));
        slot.crashedDuring(started);
    }

    /** See {@link Engine#release}. */
    int release(Predicate<QName> which) {
        lock.lock();
        try {
            int running = 0;
            for (JobSlot slot : table.all()) {
                if (which.test(slot.qname)) {
                    if (!slot.elsewhere()) {
                        slot.setElsewhere(true);
                        arming.suspend(slot);
                        dispatcher.dropWaitingFires(slot);
                    }
                    running += slot.runs().size();
                }
            }
            return running;
        } finally {
            lock.unlock();
        }
    }

    /** See {@link Engine#adopt}. */
    int adopt(Collection<JobRecord> records, Predicate<QName> which) {
        lock.lock();
        try {
            Instant now = clock.instant();
            Set<QName> present = new java.util.HashSet<>();
            for (JobRecord record : records) {
                present.add(record.qname());
            }
            // Jobs another host removed while it owned them (a cancelled dynamic job, a pruned orphan).
            for (JobSlot slot : List.copyOf(table.all())) {
                if (which.test(slot.qname) && slot.elsewhere() && !present.contains(slot.qname)) {
                    table.forget(slot.qname);
                }
            }
            int adopted = 0;
            for (JobRecord record : records) {
                JobSlot known = table.get(record.qname());
                if (known != null && !known.elsewhere()) {
                    continue; // ours already
                }
                if (known != null && !known.runs().isEmpty()) {
                    // Still running here from before this host let the shard go: nobody else has run it since, or
                    // its run would have been taken for cut off. Our state of it stands.
                    known.setElsewhere(false);
                    arming.setNextFire(known, Optional.ofNullable(known.nextFire()));
                    table.commit(known);
                    adopted++;
                    continue;
                }
                JobSlot slot = new JobSlot(record);
                table.add(slot);
                adopted++;
                slot.dateOrphan(now);
                if (record.status() == JobStatus.RUNNING) {
                    recordCutOffRun(slot, now, "the host running it stopped or lost its lease during the run");
                    lock.later(() -> log.warn("job {} was running on a host that stopped or lost it; recorded as a"
                            + " failed run", record.qname()));
                }
                if (known != null && known.code() != null) {
                    attachOne(known.pluginId, record.qname(), known.spec(), known.code(), known.dynamic(), now);
                } else {
                    if (!awaitingFirstScan && !slot.orphaned()) {
                        slot.orphan(now); // no code for it here: its plugin is missing, or it was another's dynamic job
                    }
                    table.commit(slot);
                }
            }
            return adopted;
        } finally {
            lock.unlock();
        }
    }

    /** See {@link Engine#attach}. */
    void attach(String pluginId, List<PluginJob> provided, String source) {
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
            lock.later(() -> log.info("{} {}: {} job(s) attached ({} new, {} known from the stored state, {} kept from"
                    + " before its restart, {} back from orphaned)", source, pluginId, provided.size(), registered,
                    known, restarted, back));
            // Every job attached above has its code now (a PluginJob always has one), so a job of this plugin
            // still without code is one the plugin no longer provides: no set of the provided names is needed.
            for (JobSlot slot : table.all()) {
                if (slot.code() == null && !slot.orphaned() && slot.pluginId.equals(pluginId)) {
                    slot.orphan(now);
                    table.commit(slot);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** See {@link Engine#detach}. */
    void detach(String pluginId, Duration grace) {
        detach(pluginId, grace, qname -> true);
    }

    /** See {@link Engine#detachJobs}: only the plugin's jobs {@code which} selects lose their code. */
    void detach(String pluginId, Duration grace, Predicate<QName> which) {
        List<Run> cancelled = new ArrayList<>();
        String reason = RunOutcomes.pluginStopping(pluginId);
        lock.lock();
        try {
            for (JobSlot slot : table.all()) {
                if (slot.pluginId.equals(pluginId) && which.test(slot.qname)) {
                    slot.withdrawCode();
                    arming.suspend(slot);
                    dispatcher.dropWaitingFires(slot);
                    for (Run run : slot.runs()) {
                        run.cancelBecausePluginStops(reason);
                        cancelled.add(run);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        Run.awaitAll(cancelled, System.nanoTime() + grace.toNanos());
        lock.lock();
        try {
            Instant now = clock.instant();
            for (Run run : cancelled) {
                if (!run.abandoned && run.slot.runs().contains(run)) {
                    dispatcher.giveUp(run, RunOutcomes.CANCELLED + reason + "; the run did not end within the grace of "
                            + grace + " and was abandoned", false, now);
                }
            }
            for (JobSlot slot : table.all()) {
                if (slot.pluginId.equals(pluginId) && which.test(slot.qname) && !slot.orphaned()) {
                    slot.orphanByStop(now);
                    table.commit(slot);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** See {@link Engine#orphanJobsOfMissingPlugins}. */
    void orphanJobsOfMissingPlugins(Set<String> startedPlugins) {
        lock.lock();
        try {
            awaitingFirstScan = false;
            Instant now = clock.instant();
            for (JobSlot slot : table.all()) {
                if (slot.code() == null && !slot.orphaned() && !startedPlugins.contains(slot.pluginId)) {
                    slot.orphan(now);
                    table.commit(slot);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** A job added or replaced by a run's {@link NamespacedScheduler}. */
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
            JobSlot slot = table.get(qname);
            if (slot != null && slot.code() != null && !slot.dynamic()) {
                throw new IllegalStateException("job " + qname + " is declared by plugin " + namespace
                        + "; a dynamic job cannot take its name");
            }
            if (slot != null && slot.code() != null && !replace) {
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

    /** Prunes this host's orphans past the retention, at most hourly, and not while the first plugin scan is going. */
    void pruneIfDue(Instant now) {
        if (awaitingFirstScan || now.isBefore(nextOrphanPrune)) {
            return;
        }
        Instant cutoff = now.minus(settings.orphanRetention());
        for (JobSlot slot : List.copyOf(table.all())) {
            // Another host's orphan is that host's to prune: this host's copy may be stale (its plugin back there).
            if (slot.orphaned() && !slot.elsewhere() && slot.runs().isEmpty() && slot.orphanedAt() != null
                    && slot.orphanedAt().isBefore(cutoff)) {
                table.remove(slot.qname);
                lock.later(() -> log.info("orphaned job {} pruned after {} without its plugin", slot.qname,
                        settings.orphanRetention()));
            }
        }
        nextOrphanPrune = now.plus(PRUNE_INTERVAL);
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
        JobSlot slot = table.get(qname);
        boolean known = slot != null;
        if (!known) {
            slot = new JobSlot(JobRecord.pending(qname, pluginId, spec.schedule()));
            slot.setElsewhere(!claim.isHere(qname));
            table.add(slot);
        }
        JobRecord base = slot.record();
        Schedule schedule = spec.schedule();
        Instant next = slot.nextFire();
        boolean newSchedule = !base.schedule().equals(schedule);
        // A once job's runs count only for the instant they were for: replace() with a new one arms it again. Not a
        // declared job's new instant: a spec such as Schedule.once(Instant.now()) gives one at every load, and such a
        // job must still run once ever.
        boolean replacedWithNewSchedule = newSchedule && dynamic;
        if (newSchedule) {
            base = base.withSchedule(schedule);
            slot.scheduleChanged();
            next = null;
        }
        Instant failedFire = slot.crashedFire();
        boolean wasOrphaned = slot.orphaned();
        boolean pluginRestarted = slot.orphanedByStop();
        slot.provide(spec, code, dynamic);
        table.stage(slot, base);

        // A fire whose last run failed and was not retried yet: a run cut off by a crash (known from this
        // restart), or a once job whose failed fire is on disk (its run ended in failure and it never completed;
        // deciding from persisted facts holds however many restarts come before the plugin is back). The fire is
        // retried if the policy allows, else a one-shot job has failed.
        // A once job with a fire still ahead (a new instant given by replace, kept on disk) has not failed it.
        // A once job whose run was cancelled because its plugin stopped has not had its fire: it is armed again
        // (known from disk, so also after a restart), and a fire now past goes through the misfire policy.
        boolean cutByPluginStop = schedule instanceof Schedule.Once && !slot.completed() && !replacedWithNewSchedule
                && next == null && base.lastOutcome().map(RunOutcomes::cancelledByPluginStop).orElse(false);
        if (schedule instanceof Schedule.Once once && !slot.completed() && !replacedWithNewSchedule && !cutByPluginStop
                && next == null && base.runCount() > 0 && base.lastOutcome().map(o -> !o.success()).orElse(false)) {
            failedFire = once.at();
        }
        boolean retryFailedFire = false;
        if (failedFire != null) {
            retryFailedFire = Saturating.increment(base.consecutiveFailures()) <= spec.retry().maxAttempts();
            if (!retryFailedFire && (schedule instanceof Schedule.Once || schedule instanceof Schedule.Manual)) {
                slot.setFailed(!slot.completed());
            }
        }
        // A once job that has run is done with its fire (completed, failed, or retrying it): never re-arm it.
        boolean onceAlreadyFired = schedule instanceof Schedule.Once && base.runCount() > 0 && !replacedWithNewSchedule
                && !cutByPluginStop;
        if (next == null && !slot.completed() && !slot.cancelled() && !slot.failed() && !onceAlreadyFired) {
            next = NextFire.firstFire(schedule, now).orElse(null);
        }
        arming.setNextFire(slot, Optional.ofNullable(next));
        if (retryFailedFire && slot.armable()) {
            Duration delay = spec.retry().delayBeforeRetry(base.consecutiveFailures(), random.getAsDouble());
            arming.scheduleRetry(slot, failedFire, Saturating.increment(base.consecutiveFailures()), now.plus(delay));
        }
        slot.crashedFireHandled();
        table.commit(slot);
        if (next != null && slot.armable() && arming.misfired(next, now)) {
            dispatcher.applyMisfirePolicy(slot, next, now);
            table.commit(slot);
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
}
