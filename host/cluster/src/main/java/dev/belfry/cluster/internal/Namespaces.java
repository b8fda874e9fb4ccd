package dev.belfry.cluster.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Each namespace's range of shards, as {@code belfry_namespaces} has it: {@link Shards#PER_NAMESPACE} shards from
 * its base. A namespace gets its range, and the range its lease rows, the first time a host can run it or a job of
 * it is written; ranges are never taken back, so a shard's namespace never changes.
 */
final class Namespaces {
    private final Map<String, Integer> bases = new ConcurrentHashMap<>();
    private final NavigableMap<Integer, String> byBase = new ConcurrentSkipListMap<>();

    /** @return the first shard of the namespace's range, or -1 if this host does not know it (yet) */
    int base(String namespace) {
        return bases.getOrDefault(namespace, -1);
    }

    /** @return the namespace whose range holds the shard, if this host knows it */
    Optional<String> of(int shard) {
        return Optional.ofNullable(byBase.get(shard - Math.floorMod(shard, Shards.PER_NAMESPACE)));
    }

    /** @return the known namespaces, by base */
    NavigableMap<Integer, String> byBase() {
        return new TreeMap<>(byBase);
    }

    /** Reads every namespace's range. */
    void refresh(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT namespace, first_shard FROM belfry_namespaces");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                learn(r.getString(1), r.getInt(2));
            }
        }
    }

    /**
     * Gives each namespace not known here its range and lease rows, unless another host did first; safe for hosts
     * doing it at once (the second waits for the first's commit and finds the row).
     *
     * @param c          a connection in auto-commit mode, or in a transaction that commits soon
     * @param namespaces namespaces this host is about to use
     */
    void ensure(Connection c, Collection<String> namespaces) throws SQLException {
        boolean added = false;
        for (String namespace : namespaces) {
            if (bases.containsKey(namespace)) {
                continue;
            }
            // A base from a sequence: two hosts adding different namespaces at once cannot pick the same one.
            try (PreparedStatement s = c.prepareStatement("WITH n AS (INSERT INTO belfry_namespaces (namespace,"
                    + " first_shard) VALUES (?, nextval('belfry_namespace_seq') * " + Shards.PER_NAMESPACE + ")"
                    + " ON CONFLICT (namespace) DO NOTHING RETURNING first_shard)"
                    + " INSERT INTO belfry_shards (shard) SELECT generate_series(first_shard, first_shard + "
                    + (Shards.PER_NAMESPACE - 1) + ") FROM n ON CONFLICT DO NOTHING")) {
                s.setString(1, namespace);
                s.executeUpdate();
            }
            added = true;
        }
        if (added) {
            refresh(c);
        }
    }

    private void learn(String namespace, int base) {
        bases.putIfAbsent(namespace, base);
        byBase.putIfAbsent(base, namespace);
    }
}
