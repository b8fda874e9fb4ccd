package dev.belfry.cluster.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What this host believes it owns: per shard, the lease's epoch and until when (on this host's monotonic clock) it
 * may act on it. The belief is cautious, never the authority: the database refuses a write whose epoch is not the
 * shard's current one, whatever this table says. The shard space grows as namespaces appear; a shard this host has
 * held keeps its entry (and its epoch) after it is let go.
 */
final class Ownership {
    private static final int NONE = 0;
    private static final int HELD = 1;
    /** Held, being given up: nothing new fires, runs in progress end, then the lease is handed back. */
    private static final int DRAINING = 2;

    private final Map<Integer, Lease> leases = new ConcurrentSkipListMap<>();

    /** @return whether this host may start fires of the shard now */
    boolean mayFire(int shard) {
        Lease l = leases.get(shard);
        return l != null && l.state.get() == HELD && System.nanoTime() - l.validUntil < 0;
    }

    /** @return whether the shard is this host's, current or not */
    boolean held(int shard) {
        Lease l = leases.get(shard);
        return l != null && l.state.get() != NONE;
    }

    boolean draining(int shard) {
        Lease l = leases.get(shard);
        return l != null && l.state.get() == DRAINING;
    }

    /** @return the epoch this host last held the shard under, 0 if it never held it */
    long epoch(int shard) {
        Lease l = leases.get(shard);
        return l == null ? 0 : l.epoch;
    }

    /** The lease was taken or renewed at {@code epoch}, valid on this host until {@code until} (nanoTime). */
    void hold(int shard, long epoch, long until) {
        Lease l = leases.computeIfAbsent(shard, s -> new Lease());
        l.epoch = epoch;
        l.validUntil = until;
        l.state.compareAndSet(NONE, HELD);
    }

    void drain(int shard) {
        Lease l = leases.get(shard);
        if (l != null) {
            l.state.compareAndSet(HELD, DRAINING);
        }
    }

    void drop(int shard) {
        Lease l = leases.get(shard);
        if (l != null) {
            l.state.set(NONE);
            l.validUntil = System.nanoTime();
        }
    }

    /** @return whether the shard is held but its lease ran out on this host's clock */
    boolean lapsed(int shard, long now) {
        Lease l = leases.get(shard);
        return l != null && l.state.get() != NONE && now - l.validUntil >= 0;
    }

    /** @return the shards held (draining ones included), in order */
    List<Integer> heldShards() {
        List<Integer> out = new ArrayList<>();
        leases.forEach((shard, l) -> {
            if (l.state.get() != NONE) {
                out.add(shard);
            }
        });
        return out;
    }

    /** @return the shards this host may fire now, in order */
    List<Integer> firingShards() {
        List<Integer> out = new ArrayList<>();
        for (int shard : leases.keySet()) {
            if (mayFire(shard)) {
                out.add(shard);
            }
        }
        return out;
    }

    /** @return how many shards this host may fire now */
    int firing() {
        return firingShards().size();
    }

    /** One shard's lease as this host holds it. */
    private static final class Lease {
        final AtomicInteger state = new AtomicInteger(NONE);
        volatile long epoch;
        volatile long validUntil;
    }
}
