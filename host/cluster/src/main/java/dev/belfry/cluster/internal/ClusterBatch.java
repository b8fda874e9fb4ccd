package dev.belfry.cluster.internal;

import dev.belfry.api.QName;
import dev.belfry.cluster.internal.ClusterStore.Change;
import dev.belfry.host.internal.engine.FireTakenException;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JobRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one batch of a {@link ClusterStore} on one connection, inside the caller's transaction: the claims, the
 * jobs' state and the run ends, each statement joined to the lease rows under the epoch it names.
 */
final class ClusterBatch {
    /** Logged under the store's name: to an operator the store and its batches are one component. */
    private static final Logger log = LoggerFactory.getLogger(ClusterStore.class);
    private final ClusterStore store;
    private final Ownership ownership;
    private final JobShards shards;
    private final String hostId;
    private final Connection c;
    private final List<Change> batch;
    /** Whether a statement of this batch has share-locked this host's lease rows yet. */
    private boolean locked;

    ClusterBatch(ClusterStore store, Connection c, List<Change> batch) {
        this.store = store;
        this.ownership = store.ownership();
        this.shards = store.shards();
        this.hostId = store.hostId();
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
            startedAt[i] = Sql.micros(s.record.lastStartedAt().orElse(store.clock().instant()));
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
            s.setLong(2, Sql.micros(store.hostStartedAt()));
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
            } else if (!store.isStored(change.qname)) {
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
        store.written(List.of(), List.of(), 1);
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
            records[i] = store.codec().encode(r);
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
        // Fewer rows than sent: the database refused them, the lease moved under this batch.
        store.written(changes.stream().map(ch -> ch.qname).toList(), List.of(), owned ? n - written : 0);
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
        store.written(List.of(), changes.stream().map(ch -> ch.qname).toList(), 0);
        changes.forEach(ch -> shards.forget(ch.qname));
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
        store.statementsRun(n);
    }
}
