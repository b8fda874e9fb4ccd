package dev.belfry.cluster.internal;

import dev.belfry.api.QName;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.engine.ElsewhereOperations;
import dev.belfry.host.internal.engine.Engine;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Operations on a job that another host fires: asked on any host, carried out by the owner. The asking host writes
 * the operation to {@code belfry_operations} and sends {@code NOTIFY belfry_operations}; every host listens, and the
 * one that holds the job's shard carries it out on its engine, writes the outcome and sends
 * {@code NOTIFY belfry_operation_done}, which wakes the asker. Operations also wait there for a host that takes
 * the shard over, and a sweep each second covers a notification lost with a connection.
 */
final class OperationRelay implements ElsewhereOperations {
    private static final Logger log = LoggerFactory.getLogger(OperationRelay.class);
    private static final String ASKED = "belfry_operations";
    private static final String DONE = "belfry_operation_done";

    private final DataSource pool;
    private final Supplier<Connection> listenerConnection;
    private final String hostId;
    private final Ownership ownership;
    private final Duration answerWithin;
    /** Completes once this host's changes so far are in the database: an answer is sent only for a kept change. */
    private final Supplier<CompletableFuture<Void>> written;
    private final Map<Long, CompletableFuture<String>> waiting = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile Engine engine;
    private volatile boolean closed;
    private volatile boolean wake;
    /** The channel failed and has not worked since: told once per outage. */
    private boolean broken;

    OperationRelay(DataSource pool, Supplier<Connection> listenerConnection, String hostId, Ownership ownership,
                   Duration answerWithin, Supplier<CompletableFuture<Void>> written) {
        this.pool = pool;
        this.listenerConnection = listenerConnection;
        this.hostId = hostId;
        this.ownership = ownership;
        this.answerWithin = answerWithin;
        this.written = written;
        this.thread = new Thread(this::listen, "belfry-cluster-operations");
        thread.setDaemon(true);
    }

    void start(Engine engine) {
        this.engine = engine;
        engine.forwardElsewhere(this);
        thread.start();
    }

    // ---------------------------------------------------------------- asking

    @Override
    public TriggerOutcome forward(Op op, QName qname) {
        long id;
        CompletableFuture<String> answer = new CompletableFuture<>();
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement s = c.prepareStatement("INSERT INTO belfry_operations (qname, shard, op, asked_by)"
                    + " SELECT qname, shard, ?, ? FROM belfry_jobs WHERE qname = ? RETURNING id, shard");
                 Statement notify = c.createStatement()) {
                s.setString(1, op.name());
                s.setString(2, hostId);
                s.setString(3, qname.toString());
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        c.rollback();
                        throw new JobOperationException(JobOperationException.Reason.NOT_FOUND, "no job named "
                                + qname);
                    }
                    id = r.getLong(1);
                }
                waiting.put(id, answer);
                notify.execute("NOTIFY " + ASKED);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new JobOperationException(JobOperationException.Reason.CONFLICT, "cannot reach the cluster's"
                    + " database to " + op.name().toLowerCase() + " job " + qname + ": " + DbErrors.describe(e));
        }
        try {
            return outcome(op, qname, answer.get(answerWithin.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return withdraw(op, qname, id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobOperationException(JobOperationException.Reason.CONFLICT, "interrupted while waiting for"
                    + " the host of job " + qname);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            waiting.remove(id);
        }
    }

    /** No answer in time: the operation is taken back unless its host did it meanwhile. */
    private TriggerOutcome withdraw(Op op, QName qname, long id) {
        try (Connection c = pool.getConnection();
             PreparedStatement del = c.prepareStatement("DELETE FROM belfry_operations WHERE id = ?"
                     + " AND done_by IS NULL");
             PreparedStatement read = c.prepareStatement("SELECT outcome FROM belfry_operations WHERE id = ?"
                     + " AND done_at IS NOT NULL")) {
            del.setLong(1, id);
            if (del.executeUpdate() == 0) {
                read.setLong(1, id);
                try (ResultSet r = read.executeQuery()) {
                    if (r.next()) {
                        return outcome(op, qname, r.getString(1));
                    }
                }
            }
        } catch (SQLException e) {
            log.warn("cluster: could not withdraw unanswered operation {} on {}: {}", op, qname, e.getMessage());
        }
        throw new JobOperationException(JobOperationException.Reason.CONFLICT, "no host of the cluster that holds"
                + " job " + qname + " answered within " + answerWithin.toSeconds() + " s; " + op.name().toLowerCase()
                + " was not done");
    }

    /** The owner's answer: {@code ok:OUTCOME} or {@code NOT_FOUND:message} / {@code CONFLICT:message}. */
    private static TriggerOutcome outcome(Op op, QName qname, String answer) {
        int colon = answer.indexOf(':');
        String kind = answer.substring(0, colon);
        String text = answer.substring(colon + 1);
        if (!kind.equals("ok")) {
            throw new JobOperationException(JobOperationException.Reason.valueOf(kind), text);
        }
        return op == Op.TRIGGER ? TriggerOutcome.valueOf(text) : null;
    }

    // ---------------------------------------------------------------- carrying out

    private void listen() {
        Connection c = null;
        while (!closed) {
            try {
                if (c == null) {
                    c = listenerConnection.get();
                    try (Statement s = c.createStatement()) {
                        s.execute("LISTEN " + ASKED);
                        s.execute("LISTEN " + DONE);
                    }
                    wake = true; // whatever was asked while this host did not listen
                }
                PGNotification[] notes = c.unwrap(PGConnection.class).getNotifications(1000);
                if (broken) {
                    log.info("cluster: operations channel works again");
                    broken = false;
                }
                boolean asked = wake;
                wake = false;
                for (PGNotification n : notes == null ? new PGNotification[0] : notes) {
                    if (n.getName().equals(DONE)) {
                        answered(Long.parseLong(n.getParameter()));
                    } else {
                        asked = true;
                    }
                }
                if (asked || notes == null || notes.length == 0) {
                    carryOut(); // also once a second: a notification lost with a connection is not waited for
                }
            } catch (SQLException | RuntimeException e) {
                if (!closed && !broken) {
                    log.warn("cluster: operations channel failed ({}); reconnecting until it works",
                            DbErrors.describe(e));
                }
                broken = true;
                closeQuietly(c);
                c = null;
                pause();
            }
        }
        closeQuietly(c);
    }

    private void answered(long id) throws SQLException {
        CompletableFuture<String> f = waiting.get(id);
        if (f == null) {
            return;
        }
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT outcome FROM belfry_operations WHERE id = ?")) {
            s.setLong(1, id);
            try (ResultSet r = s.executeQuery()) {
                if (r.next() && r.getString(1) != null) {
                    f.complete(r.getString(1));
                }
            }
        }
    }

    /** Carries out the operations waiting for the shards this host fires. */
    private void carryOut() throws SQLException {
        Engine e = engine;
        List<Integer> mine = ownership.firingShards();
        if (e == null) {
            return;
        }
        try (Connection c = pool.getConnection()) {
            if (!mine.isEmpty()) {
                carryOut(c, e, mine);
            }
            // Answers this host waits for whose notification was lost.
            for (long id : waiting.keySet()) {
                try (PreparedStatement s = c.prepareStatement("SELECT outcome FROM belfry_operations WHERE id = ?"
                        + " AND done_at IS NOT NULL")) {
                    s.setLong(1, id);
                    try (ResultSet r = s.executeQuery()) {
                        if (r.next()) {
                            waiting.get(id).complete(r.getString(1));
                        }
                    }
                } catch (NullPointerException gone) {
                    // answered meanwhile
                }
            }
        }
    }

    private void carryOut(Connection c, Engine e, List<Integer> mine) throws SQLException {
        List<Object[]> todo = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("UPDATE belfry_operations SET done_by = ? WHERE id IN"
                + " (SELECT id FROM belfry_operations WHERE done_by IS NULL AND shard = ANY(?) ORDER BY id"
                + " FOR UPDATE SKIP LOCKED) RETURNING id, qname, op")) {
            s.setString(1, hostId);
            s.setArray(2, c.createArrayOf("integer", mine.toArray()));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    todo.add(new Object[] {r.getLong(1), r.getString(2), r.getString(3)});
                }
            }
        }
        todo.sort((a, b) -> Long.compare((Long) a[0], (Long) b[0]));
        for (Object[] t : todo) {
            long id = (Long) t[0];
            String answer = confirmed(carryOut(e, Op.valueOf((String) t[2]), QName.parse((String) t[1])));
            try (PreparedStatement s = c.prepareStatement("UPDATE belfry_operations SET done_at = now(),"
                    + " outcome = ?, failed = ? WHERE id = ?");
                 PreparedStatement notify = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                s.setString(1, answer);
                s.setBoolean(2, !answer.startsWith("ok:"));
                s.setLong(3, id);
                s.executeUpdate();
                notify.setString(1, DONE);
                notify.setString(2, Long.toString(id));
                notify.execute();
            }
        }
    }

    /** An answer of success stands only once the change is in the database; the asker is told otherwise. */
    private String confirmed(String answer) {
        if (!answer.startsWith("ok:")) {
            return answer;
        }
        try {
            written.get().get(answerWithin.toMillis() / 2, TimeUnit.MILLISECONDS);
            return answer;
        } catch (TimeoutException | ExecutionException e) {
            return "CONFLICT:the job's host did it, but the cluster database has not confirmed it; ask again";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "CONFLICT:the job's host was interrupted before the database confirmed it; ask again";
        }
    }

    private static String carryOut(Engine e, Op op, QName qname) {
        try {
            if (e.isElsewhere(qname)) {
                return "CONFLICT:job " + qname + " moved to another host while the operation was on its way; ask again";
            }
            return switch (op) {
                case TRIGGER -> "ok:" + e.trigger(qname).name();
                case PAUSE -> {
                    e.pause(qname);
                    yield "ok:";
                }
                case RESUME -> {
                    e.resume(qname);
                    yield "ok:";
                }
                case CANCEL -> {
                    e.cancel(qname);
                    yield "ok:";
                }
            };
        } catch (JobOperationException refused) {
            return refused.reason().name() + ":" + refused.getMessage();
        } catch (RuntimeException failed) {
            log.error("cluster: operation {} on job {} failed", op, qname, failed);
            return "CONFLICT:" + op.name().toLowerCase() + " of job " + qname + " failed: " + failed;
        }
    }

    /** A host took shards over: operations waiting for them are carried out now. */
    void shardsTaken(Set<Integer> shards) {
        wake = true;
    }

    private void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing a broken connection: nothing to do
            }
        }
    }

    void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
