package dev.belfry.cluster.internal;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.FireTakenException;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.JobRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's state store: the engine's changes, gathered and written to PostgreSQL in one transaction per batch
 * (group commit, as the single host's journal does). A batch takes a share lock on the lease rows of the shards it
 * writes, claims its fires ({@code belfry_runs}, keyed by job, instant and attempt), then writes the jobs, each
 * statement joined to those rows so that the database itself refuses a write under an epoch that is not the
 * shard's current one. A run start whose claim is refused fails its ticket with {@link FireTakenException}.
 */
final class ClusterStore implements StateStore {
    private static final Logger log = LoggerFactory.getLogger(ClusterStore.class);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    /**
     * How long changes nobody waits for (run ends, next fires) may wait for company before they are written: they
     * then share a transaction with others instead of costing one each. A run start, or anyone waiting, writes at
     * once. A crash in that window leaves a run that had ended recorded as running: retried by its policy.
     */
    private static final long GATHER_NANOS = Duration.ofMillis(10).toNanos();
    /**
     * How long a run start waits for the starts right behind it, to share their transaction: fewer transactions
     * leave the database's and the hosts' cores to the fires (docs/benchmarks.md, "Cluster mode").
     */
    private static final long START_GATHER_NANOS = Duration.ofMillis(2).toNanos();

    private final DataSource pool;
    private final String hostId;
    private final Instant hostStartedAt;
    private final Ownership ownership;
    private final JobShards shards;
    private final Clock clock;
    private final JobCodec codec = new JobCodec();
    private final Thread thread;

    private final Object lock = new Object();
    // Guarded by lock.
    private List<Change> queue = new ArrayList<>();
    private long lastTicket;
    /** When the queue is to be written (System.nanoTime()); meaningless while it is empty. */
    private long writeBy;
    private long committedTicket;
    private final TreeMap<Long, CompletableFuture<Void>> waiters = new TreeMap<>();
    /** Tickets that failed before anyone asked for them: a refused claim, a start whose batch failed. */
    private final Map<Long, Exception> refused = new HashMap<>();
    /** Jobs known to be in the database: a job another host owns is only ever inserted, once. */
    private final Set<QName> stored = new HashSet<>();
    private boolean started;
    private boolean closing;
    private boolean stopped;
    private long commits;
    private long failures;
    private long fencedWrites;
    private long statements;
    private Instant lastCommitAt;
    private Duration lastCommitTook = Duration.ZERO;
    private String lastError;

    ClusterStore(DataSource pool, String hostId, Instant hostStartedAt, Ownership ownership, JobShards shards,
                 Clock clock, List<JobRecord> loaded) {
        this.pool = pool;
        this.hostId = hostId;
        this.hostStartedAt = hostStartedAt;
        this.ownership = ownership;
        this.shards = shards;
        this.clock = clock;
        loaded.forEach(r -> stored.add(r.qname()));
        this.thread = new Thread(this::commitLoop, "belfry-cluster-commit");
        thread.setDaemon(true);
    }

    // ---------------------------------------------------------------- changes

    @Override
    public long put(JobRecord record) {
        return add(new Change(Change.PUT, record.qname(), record, null, 0, null));
    }

    @Override
    public long started(JobRecord record, Instant scheduledFor, int attempt) {
        return add(new Change(Change.START, record.qname(), record, scheduledFor, attempt, null));
    }

    @Override
    public long remove(QName qname) {
        return add(new Change(Change.REMOVE, qname, null, null, 0, null));
    }

    @Override
    public boolean owns(QName qname) {
        return ownership.held(shards.of(qname));
    }

    @Override
    public void runEnded(RunResult result) {
        add(new Change(Change.RUN_END, result.job(), null, result.scheduledFor(), result.attempt(), result));
    }

    private long add(Change change) {
        synchronized (lock) {
            if (stopped) {
                return lastTicket; // after the last commit: nothing more is written (the host has stopped)
            }
            change.ticket = ++lastTicket;
            long now = System.nanoTime();
            if (queue.isEmpty()) {
                writeBy = now + GATHER_NANOS;
            }
            queue.add(change);
            if (change.kind == Change.START) {
                hurry(now);
            }
            lock.notifyAll();
            return change.ticket;
        }
    }

    @Override
    public CompletableFuture<Void> durable(long ticket) {
        synchronized (lock) {
            Exception failed = refused.remove(ticket);
            if (failed != null) {
                return CompletableFuture.failedFuture(failed);
            }
            if (ticket <= committedTicket) {
                return CompletableFuture.completedFuture(null);
            }
            hurry(System.nanoTime());
            lock.notifyAll();
            return waiters.computeIfAbsent(ticket, t -> new CompletableFuture<>());
        }
    }

    /** A run start, or someone waiting: the queue goes out within the start gather. Under the lock. */
    private void hurry(long now) {
        if (writeBy - (now + START_GATHER_NANOS) > 0) {
            writeBy = now + START_GATHER_NANOS;
        }
    }

    @Override
    public CompletableFuture<Void> flush() {
        synchronized (lock) {
            return durable(lastTicket);
        }
    }

    // ---------------------------------------------------------------- the commit thread

    @Override
    public void start() {
        synchronized (lock) {
            if (!started) {
                started = true;
                thread.start();
            }
        }
    }

    private void commitLoop() {
        while (true) {
            List<Change> batch;
            synchronized (lock) {
                while (queue.isEmpty() && !closing && !stopped) {
                    waitQuietly(0);
                }
                long left;
                while (!closing && !stopped && (left = writeBy - System.nanoTime()) > 0) {
                    waitNanos(left);
                }
                if (queue.isEmpty() || stopped) {
                    stopped = true;
                    lock.notifyAll();
                    return;
                }
                batch = queue;
                queue = new ArrayList<>();
            }
            long began = System.nanoTime();
            try {
                Map<Long, FireTakenException> refusedNow = commit(batch);
                succeeded(batch, refusedNow, began);
            } catch (SQLException | RuntimeException e) {
                failed(batch, e);
                synchronized (lock) {
                    if (!closing) {
                        waitQuietly(RETRY_AFTER.toMillis());
                    } else {
                        waitQuietly(100);
                    }
                }
            }
        }
    }

    private void waitNanos(long nanos) {
        try {
            lock.wait(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closing = true;
        }
    }

    private void waitQuietly(long millis) {
        try {
            lock.wait(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closing = true;
        }
    }

    /** Writes a batch in one transaction. @return the run starts whose claims were refused, by ticket */
    private Map<Long, FireTakenException> commit(List<Change> batch) throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                Map<Long, FireTakenException> refusedNow = new BatchWriter(c, batch).write();
                c.commit();
                return refusedNow;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException again) {
                    e.addSuppressed(again);
                }
                throw e;
            }
        }
    }

    private void succeeded(List<Change> batch, Map<Long, FireTakenException> refusedNow, long began) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        List<Map.Entry<CompletableFuture<Void>, FireTakenException>> taken = new ArrayList<>();
        synchronized (lock) {
            commits++;
            lastCommitAt = clock.instant();
            lastCommitTook = Duration.ofNanos(System.nanoTime() - began);
            if (lastError != null) {
                log.info("cluster store: writes succeed again");
                lastError = null;
            }
            long upTo = batch.get(batch.size() - 1).ticket;
            for (Map.Entry<Long, FireTakenException> e : refusedNow.entrySet()) {
                CompletableFuture<Void> w = waiters.remove(e.getKey());
                if (w != null) {
                    taken.add(Map.entry(w, e.getValue()));
                } else {
                    refused.put(e.getKey(), e.getValue());
                }
            }
            committedTicket = Math.max(committedTicket, upTo);
            var head = waiters.headMap(committedTicket, true);
            done.addAll(head.values());
            head.clear();
        }
        taken.forEach(e -> e.getKey().completeExceptionally(e.getValue()));
        done.forEach(f -> f.complete(null));
    }

    private void failed(List<Change> batch, Exception e) {
        List<CompletableFuture<Void>> fail = new ArrayList<>();
        String error = DbErrors.describe(e);
        SQLException cause = e instanceof SQLException s ? s : new SQLException(error, e);
        synchronized (lock) {
            failures++;
            if (lastError == null) {
                log.warn("cluster store: a write to the database failed ({}); run starts wait, other changes are"
                        + " written when it works again", error);
            }
            lastError = error;
            // A run start that could not be claimed is not a run: the engine takes it back and tries the fire again.
            // Every other change is written with the next batch, ahead of what came since.
            List<Change> keep = new ArrayList<>();
            for (Change change : batch) {
                if (change.kind == Change.START) {
                    CompletableFuture<Void> w = waiters.remove(change.ticket);
                    if (w != null) {
                        fail.add(w);
                    } else {
                        refused.put(change.ticket, cause);
                    }
                } else {
                    keep.add(change);
                }
            }
            keep.addAll(queue);
            queue = keep;
        }
        fail.forEach(f -> f.completeExceptionally(cause));
    }

    // ---------------------------------------------------------------- one batch

    /** Writes one batch on one connection, inside the caller's transaction. */
    private final class BatchWriter {
        private final Connection c;
        private final List<Change> batch;
        /** Whether a statement of this batch has share-locked this host's lease rows yet. */
        private boolean locked;

        BatchWriter(Connection c, List<Change> batch) {
            this.c = c;
            this.batch = batch;
        }

        Map<Long, FireTakenException> write() throws SQLException {
            Map<Long, FireTakenException> refusedNow = claim();
            Set<QName> lostStart = new HashSet<>();
            for (Change change : batch) {
                if (refusedNow.containsKey(change.ticket)) {
                    lostStart.add(change.qname);
                }
            }
            writeJobs(lostStart);
            endRuns();
            return refusedNow;
        }

        /**
         * The join of a statement's rows to their shard's current lease under the epoch they name, taking one
         * parameter: this host's id. The batch's first statement also share-locks this host's lease rows (in shard
         * order, so renewals and takeovers queue behind the commit instead of deadlocking with it): no owner changes
         * until the commit, and the database refuses whatever another epoch writes.
         */
        private String leaseJoin() {
            if (locked) {
                return " JOIN belfry_shards l ON l.shard = u.shard AND l.owner = ? AND l.epoch = u.epoch"
                        + " AND l.expires_at > now()";
            }
            locked = true;
            return " JOIN (SELECT shard, epoch FROM belfry_shards WHERE owner = ? AND expires_at > now()"
                    + " ORDER BY shard FOR SHARE) l ON l.shard = u.shard AND l.epoch = u.epoch";
        }

        /** @return whether this host may write the shard under the epoch it believes it holds */
        private boolean current(int shard) {
            // Any shard this host has held is written under the epoch it held it with, and the database decides:
            // a run that ended after the lease lapsed here is still recorded if no other host took the shard. The
            // engine makes no other change once the lease lapsed (it leaves due fires alone).
            return ownership.epoch(shard) > 0;
        }

        private Map<Long, FireTakenException> claim() throws SQLException {
            List<Change> starts = new ArrayList<>();
            Map<Long, FireTakenException> refusedNow = new HashMap<>();
            for (Change change : batch) {
                if (change.kind == Change.START) {
                    int shard = shards.of(change.qname);
                    if (current(shard)) {
                        starts.add(change);
                    } else {
                        refusedNow.put(change.ticket, new FireTakenException("this host does not hold the lease on"
                                + " shard " + shard + " of job " + change.qname + " (epoch " + ownership.epoch(shard)
                                + ")"));
                    }
                }
            }
            if (starts.isEmpty()) {
                return refusedNow;
            }
            int n = starts.size();
            List<String> names = new ArrayList<>(n);
            long[] fireFor = new long[n];
            int[] attempts = new int[n];
            int[] shardOf = new int[n];
            long[] epochs = new long[n];
            long[] startedAt = new long[n];
            for (int i = 0; i < n; i++) {
                Change s = starts.get(i);
                names.add(s.qname.toString());
                fireFor[i] = Sql.micros(s.scheduledFor);
                attempts[i] = s.attempt;
                shardOf[i] = shards.of(s.qname);
                epochs[i] = ownership.epoch(shardOf[i]);
                startedAt[i] = Sql.micros(s.record.lastStartedAt().orElse(clock.instant()));
            }
            Set<String> claimed = new HashSet<>();
            try (PreparedStatement s = c.prepareStatement("INSERT INTO belfry_runs (qname, scheduled_for, attempt,"
                    + " shard, epoch, host_id, host_started, started_at)"
                    + " SELECT u.qname, " + Sql.ts("u.fire_for") + ", u.attempt, u.shard, u.epoch, ?, "
                    + Sql.ts("?") + ", " + Sql.ts("u.started_at")
                    + " FROM unnest(?::text[], ?::bigint[], ?::integer[], ?::integer[], ?::bigint[], ?::bigint[])"
                    + " AS u(qname, fire_for, attempt, shard, epoch, started_at)"
                    + leaseJoin()
                    + " ON CONFLICT DO NOTHING RETURNING qname, " + Sql.micros("scheduled_for") + ", attempt")) {
                s.setString(1, hostId);
                s.setLong(2, Sql.micros(hostStartedAt));
                s.setArray(3, Sql.texts(c, names));
                s.setArray(4, Sql.longs(c, fireFor, n));
                s.setArray(5, Sql.ints(c, attempts, n));
                s.setArray(6, Sql.ints(c, shardOf, n));
                s.setArray(7, Sql.longs(c, epochs, n));
                s.setArray(8, Sql.longs(c, startedAt, n));
                s.setString(9, hostId);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        claimed.add(r.getString(1) + '@' + r.getLong(2) + '#' + r.getInt(3));
                    }
                }
            }
            count(1);
            for (int i = 0; i < n; i++) {
                Change start = starts.get(i);
                if (!claimed.contains(names.get(i) + '@' + fireFor[i] + '#' + attempts[i])) {
                    refusedNow.put(start.ticket, new FireTakenException("fire " + start.scheduledFor + " (attempt "
                            + start.attempt + ") of job " + start.qname + " is claimed by another host, or the"
                            + " lease on its shard moved"));
                }
            }
            return refusedNow;
        }

        private void writeJobs(Set<QName> lostStart) throws SQLException {
            // The last change of each job wins; a job whose start was refused keeps the state stored for it.
            Map<QName, Change> last = new LinkedHashMap<>();
            for (Change change : batch) {
                if (change.kind != Change.RUN_END && !lostStart.contains(change.qname)) {
                    last.remove(change.qname);
                    last.put(change.qname, change);
                }
            }
            List<Change> owned = new ArrayList<>();
            List<Change> others = new ArrayList<>();
            List<Change> removals = new ArrayList<>();
            for (Change change : last.values()) {
                int shard = shards.of(change.qname);
                boolean mine = current(shard);
                if (change.kind == Change.REMOVE) {
                    if (mine) {
                        removals.add(change);
                    } else {
                        fenced(change);
                    }
                } else if (mine) {
                    owned.add(change);
                } else if (!stored.contains(change.qname)) {
                    others.add(change); // a job new to the cluster, registered here: inserted once, never updated
                } else {
                    fenced(change);
                }
            }
            // One order for every host: two hosts inserting the same new jobs lock their keys in the same order.
            java.util.Comparator<Change> byName = java.util.Comparator.comparing(ch -> ch.qname.toString());
            owned.sort(byName);
            others.sort(byName);
            removals.sort(byName);
            if (!owned.isEmpty()) {
                upsert(owned, true);
            }
            if (!others.isEmpty()) {
                upsert(others, false);
            }
            if (!removals.isEmpty()) {
                delete(removals);
            }
        }

        private void fenced(Change change) {
            synchronized (lock) {
                fencedWrites++;
            }
            if (log.isDebugEnabled()) {
                log.debug("change of job {} not written: its shard is not this host's", change.qname);
            }
        }

        private void upsert(List<Change> changes, boolean owned) throws SQLException {
            int n = changes.size();
            List<String> names = new ArrayList<>(n);
            int[] shardOf = new int[n];
            long[] epochs = new long[n];
            List<String> plugins = new ArrayList<>(n);
            List<String> statuses = new ArrayList<>(n);
            List<String> paused = new ArrayList<>(n);
            Long[] nextFire = new Long[n];
            byte[][] records = new byte[n][];
            for (int i = 0; i < n; i++) {
                JobRecord r = changes.get(i).record;
                names.add(r.qname().toString());
                shardOf[i] = shards.of(r.qname());
                epochs[i] = owned ? ownership.epoch(shardOf[i]) : 0; // 0: a registration, never a replacement
                plugins.add(r.pluginId());
                statuses.add(r.status().jsonName());
                paused.add(Boolean.toString(r.paused()));
                nextFire[i] = r.nextFireAt().map(Sql::micros).orElse(null);
                records[i] = codec.encode(r);
            }
            String source = " FROM unnest(?::text[], ?::integer[], ?::bigint[], ?::text[], ?::text[], ?::boolean[],"
                    + " ?::bigint[], ?::bytea[]) AS u(qname, shard, epoch, plugin_id, status, paused, next_fire,"
                    + " record)";
            String sql = "INSERT INTO belfry_jobs (qname, shard, plugin_id, status, paused, next_fire_at, record,"
                    + " written_by, written_epoch, updated_at) SELECT u.qname, u.shard, u.plugin_id, u.status,"
                    + " u.paused, " + Sql.ts("u.next_fire") + ", u.record, ?, u.epoch, now()" + source
                    + (owned ? leaseJoin() + " ON CONFLICT (qname) DO UPDATE SET shard = excluded.shard,"
                    + " plugin_id = excluded.plugin_id, status = excluded.status, paused = excluded.paused,"
                    + " next_fire_at = excluded.next_fire_at, record = excluded.record,"
                    + " written_by = excluded.written_by, written_epoch = excluded.written_epoch,"
                    + " updated_at = excluded.updated_at"
                    : " ON CONFLICT (qname) DO NOTHING");
            int written;
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setString(1, hostId); // written_by, in the select list ahead of the arrays
                s.setArray(2, Sql.texts(c, names));
                s.setArray(3, Sql.ints(c, shardOf, n));
                s.setArray(4, Sql.longs(c, epochs, n));
                s.setArray(5, Sql.texts(c, plugins));
                s.setArray(6, Sql.texts(c, statuses));
                s.setArray(7, c.createArrayOf("boolean", paused.toArray()));
                s.setArray(8, c.createArrayOf("bigint", nextFire));
                s.setArray(9, c.createArrayOf("bytea", records));
                if (owned) {
                    s.setString(10, hostId);
                }
                written = s.executeUpdate();
            }
            count(1);
            synchronized (lock) {
                changes.forEach(ch -> stored.add(ch.qname));
                if (owned && written < n) {
                    fencedWrites += n - written; // refused by the database: the lease moved under this batch
                }
            }
        }

        private void delete(List<Change> changes) throws SQLException {
            int n = changes.size();
            List<String> names = new ArrayList<>(n);
            int[] shardOf = new int[n];
            long[] epochs = new long[n];
            for (int i = 0; i < n; i++) {
                names.add(changes.get(i).qname.toString());
                shardOf[i] = shards.of(changes.get(i).qname);
                epochs[i] = ownership.epoch(shardOf[i]);
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM belfry_jobs j"
                    + " USING unnest(?::text[], ?::integer[], ?::bigint[]) AS u(qname, shard, epoch), belfry_shards l"
                    + " WHERE j.qname = u.qname AND l.shard = u.shard AND l.owner = ? AND l.epoch = u.epoch"
                    + " AND l.expires_at > now()")) {
                s.setArray(1, Sql.texts(c, names));
                s.setArray(2, Sql.ints(c, shardOf, n));
                s.setArray(3, Sql.longs(c, epochs, n));
                s.setString(4, hostId);
                s.executeUpdate();
            }
            count(1);
            synchronized (lock) {
                changes.forEach(ch -> {
                    stored.remove(ch.qname);
                    shards.forget(ch.qname);
                });
            }
        }

        /** Run ends complete their claims' rows: the run history. Not fenced: it is what happened here. */
        private void endRuns() throws SQLException {
            List<RunResult> ends = new ArrayList<>();
            for (Change change : batch) {
                if (change.kind == Change.RUN_END) {
                    ends.add(change.result);
                }
            }
            if (ends.isEmpty()) {
                return;
            }
            int n = ends.size();
            List<String> names = new ArrayList<>(n);
            long[] fireFor = new long[n];
            int[] attempts = new int[n];
            long[] runIds = new long[n];
            long[] finished = new long[n];
            List<String> errors = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                RunResult r = ends.get(i);
                names.add(r.job().toString());
                fireFor[i] = Sql.micros(r.scheduledFor());
                attempts[i] = r.attempt();
                runIds[i] = r.runId();
                finished[i] = Sql.micros(r.finishedAt());
                errors.add(r.error().orElse(null));
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE belfry_runs r SET run_id = u.run_id,"
                    + " finished_at = " + Sql.ts("u.finished") + ", error = u.error"
                    + " FROM unnest(?::text[], ?::bigint[], ?::integer[], ?::bigint[], ?::bigint[], ?::text[])"
                    + " AS u(qname, fire_for, attempt, run_id, finished, error)"
                    + " WHERE r.qname = u.qname AND r.scheduled_for = " + Sql.ts("u.fire_for")
                    + " AND r.attempt = u.attempt AND r.host_id = ?")) {
                s.setArray(1, Sql.texts(c, names));
                s.setArray(2, Sql.longs(c, fireFor, n));
                s.setArray(3, Sql.ints(c, attempts, n));
                s.setArray(4, Sql.longs(c, runIds, n));
                s.setArray(5, Sql.longs(c, finished, n));
                s.setArray(6, Sql.texts(c, errors));
                s.setString(7, hostId);
                s.executeUpdate();
            }
            count(1);
        }

        private void count(int n) {
            synchronized (lock) {
                statements += n;
            }
        }
    }

    // ---------------------------------------------------------------- views and health

    /** Forgets that a job is stored, after another host removed it. */
    void forgetStored(QName qname) {
        synchronized (lock) {
            stored.remove(qname);
        }
    }

    @Override
    public List<JobRecord> snapshot() {
        try {
            return ClusterQueries.allJobs(pool, shards);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the cluster's jobs: " + e.getMessage(), e);
        }
    }

    @Override
    public Health health() {
        synchronized (lock) {
            return new Health(commits, failures, queue.size(), Optional.ofNullable(lastCommitAt), lastCommitTook, 0,
                    Optional.ofNullable(lastError), 0, 0);
        }
    }

    /** @return statements and transactions since start, and writes refused for lack of a lease */
    Map<String, Long> figures() {
        synchronized (lock) {
            return Map.of("transactions", commits, "statements", statements, "fenced_writes", fencedWrites,
                    "failures", failures);
        }
    }

    @Override
    public void beginClose() {
        synchronized (lock) {
            closing = true;
            lock.notifyAll();
        }
    }

    @Override
    public long close(Duration wait) {
        beginClose();
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            if (!started) {
                stopped = true;
                return queue.size();
            }
        }
        try {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            stopped = true;
            int left = queue.size();
            if (left > 0) {
                log.warn("cluster store: {} change(s) could not be written before the host stopped ({})", left,
                        lastError);
            }
            return left;
        }
    }

    /** One change of the batch being gathered. */
    private static final class Change {
        static final int PUT = 0;
        static final int START = 1;
        static final int REMOVE = 2;
        static final int RUN_END = 3;

        final int kind;
        final QName qname;
        final JobRecord record;
        final Instant scheduledFor;
        final int attempt;
        final RunResult result;
        long ticket;

        Change(int kind, QName qname, JobRecord record, Instant scheduledFor, int attempt, RunResult result) {
            this.kind = kind;
            this.qname = qname;
            this.record = record;
            this.scheduledFor = scheduledFor;
            this.attempt = attempt;
            this.result = result;
        }
    }
}
