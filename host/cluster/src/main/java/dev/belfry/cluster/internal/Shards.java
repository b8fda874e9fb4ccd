package dev.belfry.cluster.internal;

import dev.belfry.api.QName;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Jobs hash into a fixed number of shards, the unit of ownership: a host leases shards, not jobs. Fixed so that a
 * job's shard never changes while the cluster grows (docs/cluster.md, "Sizing").
 */
public final class Shards {
    /** How many shards there are; the migration creates exactly this many lease rows. */
    public static final int COUNT = 256;

    private Shards() {
    }

    /**
     * @param qname a job
     * @return its shard, from its name alone: the same on every host and in every version
     */
    public static int of(QName qname) {
        CRC32 crc = new CRC32();
        crc.update(qname.toString().getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % COUNT);
    }
}
