package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.TriggerOutcome;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An operator's (or a run's scheduler's) trigger, pause, resume and cancel: the only writer of a job's paused and
 * cancelled flags. Each method takes the engine lock; the javadoc of each is on {@link Engine}.
 */
final class Operations {
    /** Logged under the engine's name: to an operator (and to the tests) the engine's parts are one component. */
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    private final EngineLock lock;
    private final Clock clock;
    private final JobTable table;
    private final Arming arming;
    private final RunDispatcher dispatcher;

    Operations(EngineLock lock, Clock clock, JobTable table, Arming arming, RunDispatcher dispatcher) {
        this.lock = lock;
        this.clock = clock;
        this.table = table;
        this.arming = arming;
        this.dispatcher = dispatcher;
    }

    TriggerOutcome trigger(QName qname) {
        lock.lock();
        try {
            JobSlot slot = table.require(qname);
            if (!slot.runnable()) {
                throw new JobOperationException(JobOperationException.Reason.CONFLICT, "job " + qname
                        + " cannot run: it is " + slot.derivedStatus().name().toLowerCase()
                        + (slot.code() == null ? " (plugin " + slot.pluginId + " provides no code for it)" : ""));
            }
            if (!dispatcher.firesHere(slot)) {
                // Its lease lapsed here a moment ago (the database out of reach, or the job moving): a fire now
                // would be refused by the claim and reported as skipped, which it was not.
                throw new JobOperationException(JobOperationException.Reason.CONFLICT, "job " + qname + " was not"
                        + " triggered: this host's lease on it has run out (the cluster database is out of reach, or"
                        + " the job is moving to another host); ask again in a few seconds");
            }
            Instant now = clock.instant();
            long before = dispatcher.dispatched();
            int queuedBefore = slot.waitingFires();
            dispatcher.fire(slot, now, 1, now);
            table.commit(slot);
            if (dispatcher.dispatched() > before) {
                return TriggerOutcome.STARTED;
            }
            return slot.waitingFires() > queuedBefore ? TriggerOutcome.QUEUED : TriggerOutcome.SKIPPED;
        } finally {
            lock.unlock();
        }
    }

    void pause(QName qname) {
        lock.lock();
        try {
            JobSlot slot = table.require(qname);
            if (slot.cancelled()) {
                throw new JobOperationException(JobOperationException.Reason.CONFLICT, "job " + qname
                        + " cannot be paused: it is cancelled (resume enables it again)");
            }
            slot.setPaused(true);
            arming.suspend(slot);
            dispatcher.dropWaitingFires(slot);
            table.commit(slot);
        } finally {
            lock.unlock();
        }
    }

    void resume(QName qname) {
        lock.lock();
        try {
            JobSlot slot = table.require(qname);
            Instant now = clock.instant();
            slot.setPaused(false);
            Instant due = slot.nextFire();
            if (slot.cancelled()) {
                slot.setCancelled(false);
                due = slot.spec() == null ? null : NextFire.firstFire(slot.spec().schedule(), now).orElse(null);
            } else if (due == null && slot.spec() != null && !slot.completed()) {
                due = NextFire.firstFire(slot.spec().schedule(), now).orElse(null);
            }
            if (due != null && slot.armable() && arming.misfired(due, now)) {
                dispatcher.applyMisfirePolicy(slot, due, now);
            } else {
                arming.setNextFire(slot, Optional.ofNullable(due));
            }
            table.commit(slot);
        } finally {
            lock.unlock();
        }
    }

    void cancel(QName qname) {
        lock.lock();
        try {
            JobSlot slot = table.require(qname);
            for (Run run : slot.runs()) {
                run.cancelByOperator();
            }
            arming.disarm(slot);
            dispatcher.dropWaitingFires(slot);
            // A declared job is only ever disabled, orphaned or not: its plugin declares it again when it is back, and
            // removing it would lose its checkpoint and history for a new job of the same name.
            if (slot.dynamic()) {
                table.remove(qname);
                lock.later(() -> log.info("job {} removed", qname));
            } else {
                slot.setCancelled(true);
                table.commit(slot);
                lock.later(() -> log.info("job {} cancelled (disabled until resumed)", qname));
            }
        } finally {
            lock.unlock();
        }
    }

    /** A run's scheduler cancels a job of its namespace: false if there is none of that name. */
    boolean cancelIfExists(QName qname) {
        lock.lock();
        try {
            if (table.get(qname) == null) {
                return false;
            }
            cancel(qname);
            return true;
        } finally {
            lock.unlock();
        }
    }
}
