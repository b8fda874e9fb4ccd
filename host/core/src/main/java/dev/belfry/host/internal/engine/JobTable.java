package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import dev.belfry.host.JobOperationException;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * The engine's jobs by name, and the one way their state reaches the {@link StateSink}: {@link #commit} derives a
 * job's status from its facts, checks the step against {@link StatusRules} and hands the record on if it changed.
 * Guarded by the engine lock.
 */
final class JobTable {
    private final EngineLock lock;
    private final StateSink sink;
    private final Map<QName, JobSlot> jobs = new HashMap<>();
    /** Jobs by the status of their committed record, kept as records change: counted on every scrape and page. */
    private final int[] byStatus = new int[JobStatus.values().length];
    /** Goes up whenever a job is added or removed: a list of the names stays right until it changes. */
    private long membership;

    JobTable(EngineLock lock, StateSink sink) {
        this.lock = lock;
        this.sink = sink;
    }

    JobSlot get(QName qname) {
        return jobs.get(qname);
    }

    /**
     * @return the job
     * @throws JobOperationException if there is no such job
     */
    JobSlot require(QName qname) {
        JobSlot slot = jobs.get(qname);
        if (slot == null) {
            throw new JobOperationException(JobOperationException.Reason.NOT_FOUND, "no job named " + qname);
        }
        return slot;
    }

    /** @return whether the slot is still the table's job of its name (it may have been removed meanwhile) */
    boolean holds(JobSlot slot) {
        return jobs.get(slot.qname) == slot;
    }

    void add(JobSlot slot) {
        JobSlot replaced = jobs.put(slot.qname, slot);
        if (replaced != null) {
            byStatus[replaced.record().status().ordinal()]--;
        }
        byStatus[slot.record().status().ordinal()]++;
        membership++;
    }

    /** Forgets a job, here and in the sink (a cancelled dynamic job, a pruned orphan). */
    void remove(QName qname) {
        assert lock.isHeld();
        drop(qname);
        sink.remove(qname);
    }

    /** Forgets a job here only: another host removed it from the shared store. */
    void forget(QName qname) {
        assert lock.isHeld();
        drop(qname);
    }

    private void drop(QName qname) {
        JobSlot removed = jobs.remove(qname);
        if (removed != null) {
            byStatus[removed.record().status().ordinal()]--;
            membership++;
        }
    }

    /** @return the jobs, a live view: not to be changed while it is walked */
    Collection<JobSlot> all() {
        return jobs.values();
    }

    int size() {
        return jobs.size();
    }

    /** @return how many jobs have each status ({@link JobStatus#ordinal()}), a copy */
    int[] countsByStatus() {
        return byStatus.clone();
    }

    /** @return a count that goes up whenever a job is added or removed */
    long membership() {
        return membership;
    }

    /** @return the names of the jobs of a namespace (a plugin's or the application's), orphans left out */
    Set<QName> namesIn(String namespace) {
        Set<QName> out = new TreeSet<>();
        for (JobSlot slot : jobs.values()) {
            if (slot.pluginId.equals(namespace) && !slot.orphaned()) {
                out.add(slot.qname);
            }
        }
        return out;
    }

    /** @return every run executing now */
    List<Run> runningRuns() {
        List<Run> out = new ArrayList<>();
        jobs.values().forEach(s -> out.addAll(s.runs()));
        return out;
    }

    /** @return the jobs, a copy to walk later in parts (see {@link #snapshotIfHeld}) */
    List<JobSlot> slots() {
        return new ArrayList<>(jobs.values());
    }

    /**
     * @param slot a job as {@link #slots()} listed it
     * @param into where its snapshot goes, if the table still holds it
     */
    void snapshotIfHeld(JobSlot slot, List<JobSnapshot> into) {
        if (jobs.get(slot.qname) == slot) {
            into.add(snapshot(slot));
        }
    }

    Optional<JobSnapshot> snapshot(QName qname) {
        return Optional.ofNullable(jobs.get(qname)).map(JobTable::snapshot);
    }

    private static JobSnapshot snapshot(JobSlot slot) {
        List<Run> running = slot.runs();
        List<JobSnapshot.Running> runs = running.isEmpty() ? List.of() : running.stream().map(r ->
                new JobSnapshot.Running(r.id, r.scheduledFor, r.firedAt, r.attempt, r.progressFraction(),
                        r.progressMessage())).toList();
        Timer retry = slot.retryTimer();
        return new JobSnapshot(slot.record(), runs,
                retry == null || retry.isCancelled() ? Optional.empty() : Optional.of(retry.due),
                Optional.ofNullable(slot.spec()));
    }

    /** Sets a job's record without committing it: the caller commits it together with the status it leads to. */
    void stage(JobSlot slot, JobRecord next) {
        restage(slot, next);
    }

    /** Sets a job's record, keeping the counts by status (a job not in the table yet is counted when added). */
    private void restage(JobSlot slot, JobRecord next) {
        JobStatus before = slot.record().status();
        slot.stage(next);
        if (before != next.status() && holds(slot)) {
            byStatus[before.ordinal()]--;
            byStatus[next.status().ordinal()]++;
        }
    }

    /** Commits the job's current record with the status its facts lead to. */
    long commit(JobSlot slot) {
        return commit(slot, slot.record());
    }

    /**
     * Derives the job's status from its facts, checks the step, and hands {@code base} (with the engine's state) to
     * the sink if it changed.
     *
     * @return the ticket of the change (or of the last one, if nothing changed)
     */
    long commit(JobSlot slot, JobRecord base) {
        return commit(slot, base, null, 0);
    }

    /**
     * Commits a run's start: as {@link #commit(JobSlot, JobRecord)}, with the fire it is for, so that a shared store
     * claims the fire in the same write.
     */
    long commitStart(JobSlot slot, JobRecord base, Instant scheduledFor, int attempt) {
        return commit(slot, base, scheduledFor, attempt);
    }

    private long commit(JobSlot slot, JobRecord base, Instant startFor, int attempt) {
        assert lock.isHeld();
        JobStatus status = slot.derivedStatus();
        JobRecord current = slot.record();
        if (base == current && slot.lastTicket() != 0 && unchanged(current, status, slot)) {
            return slot.lastTicket(); // asked after every fire, mostly of a record just committed: no copy made
        }
        // One copy per commit (this runs several times per fire), and the current Optionals where they still hold.
        JobRecord next = base.withEngineState(status, optional(current.nextFireAt(), slot.nextFire()), slot.paused(),
                optional(current.orphanedAt(), slot.orphanedAt()), slot.dynamic(), current.version() + 1);
        if (slot.lastTicket() != 0 && next.equalsIgnoringVersion(current)) {
            return slot.lastTicket();
        }
        StatusRules.check(slot.qname, current.status(), status);
        restage(slot, next);
        slot.committed(startFor == null ? sink.put(next) : sink.started(next, startFor, attempt));
        return slot.lastTicket();
    }

    /** @return a future that completes once the change of {@code ticket} is on disk (see {@link StateSink}) */
    CompletableFuture<Void> durable(long ticket) {
        return sink.durable(ticket);
    }

    /** @return whether the engine's state of {@code slot} is what {@code current} already holds */
    private static boolean unchanged(JobRecord current, JobStatus status, JobSlot slot) {
        return status == current.status() && current.paused() == slot.paused() && current.dynamic() == slot.dynamic()
                && Objects.equals(current.nextFireAt().orElse(null), slot.nextFire())
                && Objects.equals(current.orphanedAt().orElse(null), slot.orphanedAt());
    }

    private static Optional<Instant> optional(Optional<Instant> current, Instant value) {
        return current.orElse(null) == value ? current : Optional.ofNullable(value);
    }
}
