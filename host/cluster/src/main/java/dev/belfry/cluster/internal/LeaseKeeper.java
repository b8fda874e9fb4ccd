package dev.belfry.cluster.internal;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.sidecar.JobRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this host's leases: every {@code renewEvery} one transaction renews the host's row (with the namespaces it
 * can run) and its shards' leases (their expiry set by the database's clock), reads the live hosts, and takes free
 * or expired shards up to this host's fair share of each namespace's shards among the hosts that can run it. A host
 * over its share drains the extra shards (nothing new fires, runs in progress end, the state is written) and then
 * hands them back, so no shard is ever fired by two hosts.
 *
 * <p>This host acts on a lease only until {@code renewal start + lease - margin} on its own monotonic clock: the
 * database's expiry comes later than that, since its {@code now()} is taken after the renewal started. A host that
 * cannot renew thus stops firing a margin before another host can take its shards (docs/cluster.md, "Leases").
 */
final class LeaseKeeper {
    private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

    private final DataSource pool;
    private final Identity me;
    private final Duration lease;
    private final Duration margin;
    private final Duration renewEvery;
    private final Ownership ownership;
    private final JobShards shards;
    private final Namespaces namespaces;
    private final ClusterStore store;
    private final OperationRelay relay;
    private final RunPruner pruner;
    private final Thread thread;
    private volatile Engine engine;
    private volatile boolean closed;
    private volatile long lastRenewal;
    private volatile String lastError;
    private int liveHosts;
    /** Whether this host is the first live one by id: it prunes what no shard's owner does. */
    private boolean firstLive;
    /** Millis until a silent host's leases run out (see {@link #silentHostExpiry}), or -1: the next renewal then. */
    private long silentExpiresIn = -1;
    private int failuresInRow;
    private long takeovers;
    private long renewalFailures;

    LeaseKeeper(DataSource pool, Identity me, Duration lease, Duration renewEvery, Ownership ownership,
                JobShards shards, ClusterStore store, OperationRelay relay, RunPruner pruner) {
        this.pool = pool;
        this.me = me;
        this.lease = lease;
        this.margin = marginFor(lease);
        this.renewEvery = renewEvery;
        this.ownership = ownership;
        this.shards = shards;
        this.namespaces = shards.namespaces();
        this.store = store;
        this.relay = relay;
        this.pruner = pruner;
        this.thread = new Thread(this::loop, "belfry-cluster-leases");
        thread.setDaemon(true);
    }

    /** How much sooner than the database this host stops acting on a lease: a fifth of it, at least a second. */
    static Duration marginFor(Duration lease) {
        Duration fifth = lease.dividedBy(5);
        return fifth.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : fifth;
    }

    /**
     * Registers this host's row. A row of the same host id that is still live belongs to an earlier process of this
     * data directory that died within the lease (a crash and a quick restart), or to a second live process with a
     * copy of it: the start waits for the row to expire, which it does unless that process is alive and renewing.
     */
    void register() throws SQLException {
        long deadline = System.nanoTime() + lease.plusSeconds(2).toNanos();
        boolean told = false;
        try (Connection c = pool.getConnection()) {
            while (!upsertHost(c, Set.of())) {
                if (System.nanoTime() - deadline > 0) {
                    throw new SQLException("host id " + me.hostId() + " is live in this cluster in another process"
                            + " (a copy of this data directory?); each host needs its own data directory");
                }
                if (!told) {
                    log.info("cluster: host id {} was live until moments ago (a restart after a crash?); waiting up"
                            + " to {} s for its registration to expire", me.hostId(), lease.toSeconds() + 2);
                    told = true;
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted while waiting for host id " + me.hostId() + " to expire");
                }
            }
        }
    }

    void start(Engine engine) {
        this.engine = engine;
        thread.start();
    }

    // ---------------------------------------------------------------- the loop

    private void loop() {
        while (!closed) {
            long began = System.nanoTime();
            try {
                tick(began);
                if (failuresInRow > 0) {
                    log.info("cluster: the database answers again; leases renewed");
                }
                failuresInRow = 0;
                lastError = null;
            } catch (SQLException | RuntimeException e) {
                failed(e);
            }
            releaseLapsed();
            if (failuresInRow == 0) {
                pruner.pruneIfDue(ownership.heldShards(), firstLive);
            }
            long pause = failuresInRow == 0 ? renewEvery.toNanos()
                    : Math.min(renewEvery.toNanos() << Math.min(failuresInRow - 1, 3), lease.toNanos() / 2);
            if (failuresInRow == 0 && silentExpiresIn >= 0) {
                // Take a silent host's shards as soon as its leases run out, not up to a renewal interval later.
                pause = Math.min(pause, TimeUnit.MILLISECONDS.toNanos(silentExpiresIn + 20));
            }
            sleepUntil(began + pause);
        }
    }

    private void sleepUntil(long deadline) {
        long left;
        while (!closed && (left = deadline - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(left, 50_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void failed(Exception e) {
        failuresInRow++;
        renewalFailures++;
        String error = DbErrors.describe(e);
        if (lastError == null) {
            log.warn("cluster: cannot renew leases ({}); this host stops firing its shards within {} s and retries"
                    + " with backoff", error, lease.minus(margin).toSeconds());
        }
        lastError = error;
    }

    /** Shards whose lease ran out on this host's clock: let go in the engine at once (the claim already refuses). */
    private void releaseLapsed() {
        long now = System.nanoTime();
        Set<Integer> lapsed = new HashSet<>();
        for (int shard : ownership.heldShards()) {
            if (ownership.lapsed(shard, now)) {
                lapsed.add(shard);
            }
        }
        if (!lapsed.isEmpty()) {
            release(lapsed);
            // Let go here too: a renewal that finds them still this host's reads them back whole (adopt).
            lapsed.forEach(ownership::drop);
            log.warn("cluster: lease on {} shard(s) ran out before it could be renewed; not firing them", lapsed.size());
        }
    }

    private void tick(long began) throws SQLException {
        Set<Integer> handBack = drained();
        Engine e = engine;
        Set<String> canRun = e == null ? Set.of() : e.attachedNamespaces();
        Map<Integer, Long> renewed = new TreeMap<>();
        Map<Integer, Long> taken = new TreeMap<>();
        Map<Integer, Integer> targets;
        try (Connection c = pool.getConnection()) {
            // Before the renewal's transaction, in one of their own: a namespace new to the cluster gets its range
            // and lease rows, which this renewal may then take.
            namespaces.ensure(c, canRun);
            c.setAutoCommit(false);
            try {
                if (!upsertHost(c, canRun)) {
                    throw new SQLException("another live process took host id " + me.hostId());
                }
                if (!handBack.isEmpty()) {
                    try (PreparedStatement s = c.prepareStatement("UPDATE belfry_shards l SET owner = NULL,"
                            + " expires_at = '-infinity' FROM (SELECT shard FROM belfry_shards WHERE owner = ?"
                            + " AND shard = ANY(?) ORDER BY shard FOR UPDATE) o WHERE l.shard = o.shard")) {
                        s.setString(1, me.hostId());
                        s.setArray(2, c.createArrayOf("integer", handBack.toArray()));
                        s.executeUpdate();
                    }
                }
                // Rows locked in shard order, as the store's commits lock them: a renewal queues behind a commit
                // instead of deadlocking with it.
                try (PreparedStatement s = c.prepareStatement("UPDATE belfry_shards l SET expires_at = now() + ?"
                        + " * interval '1 millisecond' FROM (SELECT shard FROM belfry_shards WHERE owner = ?"
                        + " ORDER BY shard FOR UPDATE) o WHERE l.shard = o.shard RETURNING l.shard, l.epoch")) {
                    s.setLong(1, lease.toMillis());
                    s.setString(2, me.hostId());
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            renewed.put(r.getInt(1), r.getLong(2));
                        }
                    }
                }
                namespaces.refresh(c);
                Map<String, Set<String>> hosts = ClusterQueries.liveHostNamespaces(c);
                liveHosts = hosts.size();
                firstLive = !hosts.isEmpty() && hosts.keySet().iterator().next().equals(me.hostId());
                silentExpiresIn = silentHostExpiry(c);
                targets = shares(me.hostId(), hosts, namespaces.byBase());
                Map<Integer, Integer> keeping = new TreeMap<>();
                renewed.keySet().stream().filter(s -> !ownership.draining(s))
                        .forEach(s -> keeping.merge(baseOf(s), 1, Integer::sum));
                // Free or expired shards of each range below its share: SKIP LOCKED, so a take never waits for
                // another host's rows and cannot deadlock with its renewal or commits.
                for (var t : targets.entrySet()) {
                    int wanted = t.getValue() - keeping.getOrDefault(t.getKey(), 0);
                    if (wanted > 0) {
                        taken.putAll(take(c, t.getKey(), wanted));
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException ex) {
                c.rollback();
                throw ex;
            }
        }
        lastRenewal = began;
        long until = began + lease.minus(margin).toNanos();
        handBack.forEach(ownership::drop);
        apply(renewed, taken, until, targets);
    }

    private void apply(Map<Integer, Long> renewed, Map<Integer, Long> taken, long until,
                       Map<Integer, Integer> targets) {
        Set<Integer> lost = new HashSet<>();
        Set<Integer> adopt = new HashSet<>(taken.keySet());
        long now = System.nanoTime();
        for (int shard : ownership.heldShards()) {
            Long epoch = renewed.get(shard);
            if (epoch == null) {
                lost.add(shard);
            } else if (epoch != ownership.epoch(shard) || ownership.lapsed(shard, now)) {
                adopt.add(shard); // the lease ran out here meanwhile: what happened since is read back
            }
        }
        for (var e : renewed.entrySet()) {
            if (!ownership.held(e.getKey())) {
                adopt.add(e.getKey()); // held in the database but not here: a restart that kept its host id
            }
        }
        if (!lost.isEmpty()) {
            lost.forEach(ownership::drop);
            release(lost);
            log.warn("cluster: {} shard(s) were taken by other hosts: {}", lost.size(), lost);
        }
        renewed.forEach((shard, epoch) -> {
            if (!adopt.contains(shard)) {
                ownership.hold(shard, epoch, until);
            }
        });
        if (!adopt.isEmpty()) {
            Map<Integer, Long> epochs = new TreeMap<>(renewed);
            epochs.putAll(taken);
            adopt(adopt, epochs, until);
        }
        Map<Integer, List<Integer>> keeping = new TreeMap<>();
        for (int shard : ownership.heldShards()) {
            if (!ownership.draining(shard)) {
                keeping.computeIfAbsent(baseOf(shard), b -> new ArrayList<>()).add(shard);
            }
        }
        keeping.forEach((base, held) -> {
            int target = targets.getOrDefault(base, 0);
            if (held.size() > target) {
                List<Integer> extra = held.stream().sorted((a, b) -> b - a).limit(held.size() - target).toList();
                extra.forEach(ownership::drain);
                release(new HashSet<>(extra));
                log.info("cluster: giving {} shard(s) of namespace {} to other hosts (share here {})", extra.size(),
                        namespaces.of(base).orElse("?"), target);
            }
        });
    }

    /** @return shards drained and written: their runs ended, their state is in the database */
    private Set<Integer> drained() {
        Set<Integer> out = new HashSet<>();
        Engine e = engine;
        for (int shard : ownership.heldShards()) {
            if (ownership.draining(shard) && e != null && e.release(inShard(Set.of(shard))) == 0) {
                out.add(shard);
            }
        }
        if (!out.isEmpty()) {
            try {
                store.flush().get(lease.toMillis() / 2, TimeUnit.MILLISECONDS);
            } catch (Exception notYet) {
                return Set.of(); // handed back at a later renewal, once their last changes are written
            }
        }
        return out;
    }

    private void adopt(Set<Integer> adopt, Map<Integer, Long> epochs, long until) {
        List<JobRecord> records;
        try {
            // Jobs this host registered are read back with the shard, not taken for jobs another host removed.
            store.flush().get(lease.toMillis() / 2, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("cluster: cannot write this host's changes before taking over {} shard(s) ({}); trying again",
                    adopt.size(), e.toString());
            adopt.forEach(ownership::drop);
            return;
        }
        try (Connection c = pool.getConnection()) {
            records = ClusterQueries.jobsOf(c, adopt, shards);
        } catch (SQLException e) {
            // Not adopted: held in the database but not acted on here. The next renewal tries again.
            log.warn("cluster: cannot read the jobs of {} shard(s) taken over ({}); trying again", adopt.size(),
                    DbErrors.describe(e));
            adopt.forEach(ownership::drop);
            return;
        }
        adopt.forEach(shard -> ownership.hold(shard, epochs.get(shard), until));
        takeovers += adopt.size();
        // A shard whose lease lapsed here and came back: this host's copies may have moved on unwritten; all are
        // read back from the database.
        engine.release(inShard(adopt));
        int jobs = engine.adopt(records, inShard(adopt));
        log.info("cluster: took over {} shard(s) with {} job(s)", adopt.size(), jobs);
        relay.shardsTaken(adopt);
    }

    private void release(Set<Integer> shardSet) {
        Engine e = engine;
        if (e != null) {
            e.release(inShard(shardSet));
        }
    }

    private Predicate<QName> inShard(Set<Integer> shardSet) {
        return q -> shardSet.contains(shards.of(q));
    }

    /** @param canRun the namespaces whose code this host has, advertised so that their shards come here */
    private boolean upsertHost(Connection c, Set<String> canRun) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO belfry_hosts (host_id, incarnation, started_at,"
                + " seen_at, expires_at, version, address, namespaces) VALUES (?, ?, " + Sql.ts("?") + ", now(),"
                + " now() + ? * interval '1 millisecond', ?, ?, ?) ON CONFLICT (host_id) DO UPDATE SET"
                + " incarnation = excluded.incarnation, started_at = excluded.started_at, seen_at = now(),"
                + " expires_at = excluded.expires_at, version = excluded.version, address = excluded.address,"
                + " namespaces = excluded.namespaces"
                + " WHERE belfry_hosts.incarnation = excluded.incarnation OR belfry_hosts.expires_at <= now()")) {
            s.setString(1, me.hostId());
            s.setString(2, me.incarnation());
            s.setLong(3, Sql.micros(me.startedAt()));
            s.setLong(4, lease.toMillis());
            s.setString(5, me.version());
            s.setString(6, me.address());
            s.setArray(7, Sql.texts(c, canRun.stream().sorted().toList()));
            return s.executeUpdate() == 1;
        }
    }

    /**
     * @return millis until the leases of the first live host that missed a renewal run out (it may have died), or -1
     *         when every other host renews on time
     */
    private long silentHostExpiry(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT (extract(epoch FROM min(expires_at) - now()) * 1000)"
                + "::bigint FROM belfry_hosts WHERE host_id <> ? AND expires_at > now()"
                + " AND seen_at < now() - ? * interval '1 millisecond'")) {
            s.setString(1, me.hostId());
            s.setLong(2, renewEvery.toMillis() * 3 / 2);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                long millis = r.getLong(1);
                return r.wasNull() ? -1 : millis;
            }
        }
    }

    /**
     * Each namespace's shards are shared among the live hosts that can run it; when none can, among all live hosts
     * (its jobs are then ORPHANED wherever they are, as on one host).
     *
     * @param me     this host's id
     * @param hosts  the live hosts by id, in order, with the namespaces each can run
     * @param ranges the namespaces by the first shard of their range
     * @return this host's share of each range, by its first shard
     */
    static Map<Integer, Integer> shares(String me, Map<String, Set<String>> hosts, Map<Integer, String> ranges) {
        Map<Integer, Integer> out = new TreeMap<>();
        ranges.forEach((base, namespace) -> {
            List<String> eligible = hosts.entrySet().stream().filter(h -> h.getValue().contains(namespace))
                    .map(Map.Entry::getKey).toList();
            if (eligible.isEmpty()) {
                eligible = List.copyOf(hosts.keySet());
            }
            out.put(base, fairShare(eligible.indexOf(me), eligible.size(), base / Shards.PER_NAMESPACE));
        });
        return out;
    }

    /**
     * @param index    the host's index among the eligible hosts (by id), -1 if it is not one
     * @param hosts    how many hosts are eligible
     * @param rotation turns which hosts get one more: a different one for each range, so that the extra shards of
     *                 many namespaces do not all land on the first host
     * @return the shards of one namespace's range the host takes: an even split
     */
    static int fairShare(int index, int hosts, int rotation) {
        if (index < 0 || hosts == 0) {
            return 0;
        }
        int each = Shards.PER_NAMESPACE / hosts;
        return each + (Math.floorMod(index - rotation, hosts) < Shards.PER_NAMESPACE % hosts ? 1 : 0);
    }

    private static int baseOf(int shard) {
        return shard - Math.floorMod(shard, Shards.PER_NAMESPACE);
    }

    private Map<Integer, Long> take(Connection c, int base, int wanted) throws SQLException {
        Map<Integer, Long> out = new TreeMap<>();
        try (PreparedStatement s = c.prepareStatement("UPDATE belfry_shards SET owner = ?, epoch = epoch + 1,"
                + " expires_at = now() + ? * interval '1 millisecond' WHERE shard IN (SELECT shard FROM belfry_shards"
                + " WHERE shard >= ? AND shard < ? AND (owner IS NULL OR expires_at <= now()) ORDER BY shard LIMIT ?"
                + " FOR UPDATE SKIP LOCKED) RETURNING shard, epoch")) {
            s.setString(1, me.hostId());
            s.setLong(2, lease.toMillis());
            s.setInt(3, base);
            s.setInt(4, base + Shards.PER_NAMESPACE);
            s.setInt(5, wanted);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.put(r.getInt(1), r.getLong(2));
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- state

    /** @return whether this host's leases are current: it renewed within the lease less the margin */
    boolean ready() {
        long last = lastRenewal;
        return last != 0 && System.nanoTime() - last < lease.minus(margin).toNanos() && lastError == null;
    }

    Map<String, Object> health() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("host_id", me.hostId());
        out.put("ready", ready());
        out.put("shards_firing", ownership.firing());
        out.put("shards_held", ownership.heldShards().size());
        out.put("live_hosts", liveHosts);
        out.put("shards_taken_over", takeovers);
        out.put("renewal_failures", renewalFailures);
        out.put("lease_seconds", lease.toSeconds());
        long last = lastRenewal;
        out.put("last_renewal_ms_ago", last == 0 ? null : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - last));
        out.put("last_error", lastError);
        return out;
    }

    /** Stops renewing and hands every lease back, so other hosts take the shards at their next renewal. */
    void close(Duration wait) {
        closed = true;
        thread.interrupt();
        try {
            thread.join(Math.max(1, wait.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Connection c = pool.getConnection();
             PreparedStatement give = c.prepareStatement("UPDATE belfry_shards SET owner = NULL,"
                     + " expires_at = '-infinity' WHERE owner = ?");
             PreparedStatement leave = c.prepareStatement("DELETE FROM belfry_hosts WHERE host_id = ?"
                     + " AND incarnation = ?")) {
            give.setString(1, me.hostId());
            int given = give.executeUpdate();
            leave.setString(1, me.hostId());
            leave.setString(2, me.incarnation());
            leave.executeUpdate();
            ownership.heldShards().forEach(ownership::drop);
            log.info("cluster: {} shard lease(s) handed back", given);
        } catch (SQLException e) {
            log.warn("cluster: could not hand the leases back ({}); other hosts take them when they expire",
                    DbErrors.describe(e));
        }
    }

    /** Who this host is in {@code belfry_hosts}. */
    record Identity(String hostId, String incarnation, Instant startedAt, String version, String address) {
    }
}
