package dev.belfry.cluster.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What this host believes it owns: per shard, the lease's epoch and until when (on this host's monotonic clock) it
 * may act on it. The belief is cautious, never the authority: the database refuses a write whose epoch is not the
 * shard's current one, whatever this table says.
 */
final class Ownership {
    private static final int NONE = 0;
    private static final int HELD = 1;
    /** Held, being given up: nothing new fires, runs in progress end, then the lease is handed back. */
    private static final int DRAINING = 2;

    private final AtomicIntegerArray state = new AtomicIntegerArray(Shards.COUNT);
    private final AtomicLongArray epoch = new AtomicLongArray(Shards.COUNT);
    private final AtomicLongArray validUntil = new AtomicLongArray(Shards.COUNT);

    /** @return whether this host may start fires of the shard now */
    boolean mayFire(int shard) {
        return state.get(shard) == HELD && System.nanoTime() - validUntil.get(shard) < 0;
    }

    /** @return whether the shard is this host's, current or not */
    boolean held(int shard) {
        return state.get(shard) != NONE;
    }

    boolean draining(int shard) {
        return state.get(shard) == DRAINING;
    }

    long epoch(int shard) {
        return epoch.get(shard);
    }

    /** The lease was taken or renewed at {@code epoch}, valid on this host until {@code until} (nanoTime). */
    void hold(int shard, long epoch, long until) {
        this.epoch.set(shard, epoch);
        validUntil.set(shard, until);
        state.compareAndSet(shard, NONE, HELD);
    }

    void drain(int shard) {
        state.compareAndSet(shard, HELD, DRAINING);
    }

    void drop(int shard) {
        state.set(shard, NONE);
        validUntil.set(shard, System.nanoTime());
    }

    /** @return whether the shard is held but its lease ran out on this host's clock */
    boolean lapsed(int shard, long now) {
        return state.get(shard) != NONE && now - validUntil.get(shard) >= 0;
    }

    /** @return the shards held (draining ones included) */
    List<Integer> heldShards() {
        List<Integer> out = new ArrayList<>();
        for (int s = 0; s < Shards.COUNT; s++) {
            if (state.get(s) != NONE) {
                out.add(s);
            }
        }
        return out;
    }

    /** @return how many shards this host may fire now */
    int firing() {
        int n = 0;
        for (int s = 0; s < Shards.COUNT; s++) {
            if (mayFire(s)) {
                n++;
            }
        }
        return n;
    }
}
