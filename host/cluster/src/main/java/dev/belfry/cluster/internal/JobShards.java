package dev.belfry.cluster.internal;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.Engine;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each job's shard. A job's shard is fixed when it is created and stored with it: a declared job's comes from its
 * name ({@link Shards#of}); a dynamic job created by a run goes to the shard of the job whose run created it, so
 * that the host holding the code that made it fires it (another host has no code for it).
 */
final class JobShards {
    private final Map<QName, Integer> known = new ConcurrentHashMap<>();

    /** @return the job's shard: as stored, else as a new job's would be */
    int of(QName qname) {
        Integer shard = known.get(qname);
        return shard != null ? shard : forNew(qname);
    }

    void learn(QName qname, int shard) {
        known.put(qname, shard);
    }

    /** @return the shard a job created now on this thread goes to, remembered */
    int assign(QName qname) {
        return known.computeIfAbsent(qname, this::forNew);
    }

    void forget(QName qname) {
        known.remove(qname);
    }

    private int forNew(QName qname) {
        return Engine.runningJob().filter(creator -> !creator.equals(qname)).map(known::get)
                .orElseGet(() -> Shards.of(qname));
    }
}
