package dev.belfry.cluster.internal;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.FireTakenException;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.JobRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
            // A job of a namespace this host has not seen yet (registered here, say) needs its namespace's range
            // for its shard: made first, in a transaction of its own.
            List<String> unknown = new ArrayList<>();
            for (Change change : batch) {
                if (change.kind != Change.RUN_END && shards.namespaces().base(change.qname.namespace()) < 0
                        && !unknown.contains(change.qname.namespace())) {
                    unknown.add(change.qname.namespace());
                }
            }
            if (!unknown.isEmpty()) {
                shards.namespaces().ensure(c, unknown);
            }
            c.setAutoCommit(false);
            try {
                Map<Long, FireTakenException> refusedNow = new ClusterBatch(this, c, batch).write();
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

    // ---------------------------------------------------------------- views and health

    // What a batch being written reads and counts (ClusterBatch, on the commit thread).

    String hostId() {
        return hostId;
    }

    Instant hostStartedAt() {
        return hostStartedAt;
    }

    Ownership ownership() {
        return ownership;
    }

    JobShards shards() {
        return shards;
    }

    Clock clock() {
        return clock;
    }

    JobCodec codec() {
        return codec;
    }

    boolean isStored(QName qname) {
        synchronized (lock) {
            return stored.contains(qname);
        }
    }

    /** Jobs written, or removed, by a batch; and how many of its writes the database refused for want of a lease. */
    void written(List<QName> upserted, List<QName> removed, int refused) {
        synchronized (lock) {
            stored.addAll(upserted);
            stored.removeAll(removed);
            fencedWrites += refused;
        }
    }

    void statementsRun(int n) {
        synchronized (lock) {
            statements += n;
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
    static final class Change {
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
