package dev.belfry.cluster.internal;

import dev.belfry.api.QName;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Jobs hash into shards, the unit of ownership: a host leases shards, not jobs. Each namespace (a plugin's id, or a
 * namespace an application registers jobs under) has a range of its own, {@link #PER_NAMESPACE} shards from its
 * base ({@link Namespaces}), so that a shard's jobs all need the same code and a shard can go to a host that has
 * it. A job's place within its namespace's range comes from its name alone, so that it never changes while the
 * cluster grows (docs/cluster.md, "Sizing").
 */
public final class Shards {
    /**
     * Shards per namespace: how many hosts one namespace's jobs can be spread over. A divisor of
     * {@link #LEGACY_COUNT}, so that schema version 2 could move each job from its version 1 shard to its namespace's
     * range keeping its place (and a dynamic job keeping its creator's shard).
     */
    public static final int PER_NAMESPACE = 64;
    /**
     * The shards of schema version 1 (0 to 255, shared by all namespaces). Namespace ranges start above them, so a
     * run row of version 1 never names a shard of version 2.
     */
    public static final int LEGACY_COUNT = 256;

    private Shards() {
    }

    /**
     * @param qname a job
     * @return its place in its namespace's range, from its name alone: the same on every host and in every version
     */
    public static int slot(QName qname) {
        CRC32 crc = new CRC32();
        crc.update(qname.toString().getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % PER_NAMESPACE);
    }
}
