package dev.belfry.cluster.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the run history (and so the claims) older than the retention, for the shards this host holds: each host
 * prunes its own share (and one host the runs recorded under schema version 1's shards), in slices small enough
 * not to hold locks for long. A claim older than a lease is never needed again: a host taking a shard over fires
 * only after the next fire the shard's state records.
 */
final class RunPruner {
    private static final Logger log = LoggerFactory.getLogger(RunPruner.class);
    private static final long EVERY_NANOS = Duration.ofMinutes(1).toNanos();
    private static final int SLICE = 10_000;

    private final DataSource pool;
    private final Duration retention;
    private long nextAt = System.nanoTime();

    RunPruner(DataSource pool, Duration retention) {
        this.pool = pool;
        this.retention = retention;
    }

    /**
     * Prunes if a minute has passed since the last time; called by the lease keeper's thread.
     *
     * @param held   the shards this host holds
     * @param legacy whether to prune the runs of schema version 1's shards too, which no host holds any more: one
     *               host does it, the first live one
     */
    void pruneIfDue(List<Integer> held, boolean legacy) {
        List<Integer> shards = new ArrayList<>(held);
        if (legacy) {
            for (int s = 0; s < Shards.LEGACY_COUNT; s++) {
                shards.add(s);
            }
        }
        if (System.nanoTime() - nextAt < 0 || shards.isEmpty()) {
            return;
        }
        nextAt = System.nanoTime() + EVERY_NANOS;
        long deleted = 0;
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("DELETE FROM belfry_runs WHERE ctid IN (SELECT ctid FROM"
                     + " belfry_runs WHERE shard = ANY(?) AND started_at < now() - ? * interval '1 second' LIMIT ?)")) {
            s.setArray(1, c.createArrayOf("integer", shards.toArray()));
            s.setLong(2, retention.toSeconds());
            s.setInt(3, SLICE);
            for (int n; (n = s.executeUpdate()) > 0; ) {
                deleted += n;
                if (n < SLICE) {
                    break;
                }
            }
        } catch (SQLException e) {
            log.warn("cluster: pruning run history older than {} failed: {}", retention, e.getMessage());
        }
        if (deleted > 0) {
            log.debug("cluster: {} run(s) older than {} pruned", deleted, retention);
        }
    }
}
