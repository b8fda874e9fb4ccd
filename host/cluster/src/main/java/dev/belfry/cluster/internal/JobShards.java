package dev.belfry.cluster.internal;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.Engine;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each job's shard. A job's shard is fixed when it is created and stored with it: a declared job's is its place
 * ({@link Shards#slot}) in its namespace's range ({@link Namespaces}); a dynamic job created by a run goes to the
 * shard of the job whose run created it, so that the host holding the code that made it fires it (another host has
 * no code for it). A run's scheduler adds jobs to its own namespace only, so that shard is in the dynamic job's
 * namespace's range too.
 */
final class JobShards {
    /** No shard: the job's namespace has no range known here yet. No host holds it. */
    static final int UNKNOWN = -1;

    private final Map<QName, Integer> known = new ConcurrentHashMap<>();
    private final Namespaces namespaces;

    JobShards(Namespaces namespaces) {
        this.namespaces = namespaces;
    }

    Namespaces namespaces() {
        return namespaces;
    }

    /** @return the job's shard: as stored, else as a new job's would be, or {@link #UNKNOWN} */
    int of(QName qname) {
        Integer shard = known.get(qname);
        return shard != null ? shard : forNew(qname);
    }

    void learn(QName qname, int shard) {
        known.put(qname, shard);
    }

    /** @return the shard a job created now on this thread goes to, remembered once known */
    int assign(QName qname) {
        Integer shard = known.get(qname);
        if (shard != null) {
            return shard;
        }
        int s = forNew(qname);
        if (s != UNKNOWN) {
            Integer first = known.putIfAbsent(qname, s);
            return first != null ? first : s;
        }
        return s;
    }

    void forget(QName qname) {
        known.remove(qname);
    }

    private int forNew(QName qname) {
        Integer creators = Engine.runningJob().filter(creator -> !creator.equals(qname))
                .filter(creator -> creator.namespace().equals(qname.namespace())).map(known::get).orElse(null);
        if (creators != null) {
            return creators;
        }
        int base = namespaces.base(qname.namespace());
        return base < 0 ? UNKNOWN : base + Shards.slot(qname);
    }
}
