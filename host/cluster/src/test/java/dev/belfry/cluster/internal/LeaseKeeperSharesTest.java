package dev.belfry.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Each host's share of each namespace's shards: among the hosts that can run it, or all when none can. */
class LeaseKeeperSharesTest {
    private static final Map<Integer, String> RANGES = new TreeMap<>(Map.of(256, "x", 320, "y", 384, "z"));

    @Test
    void shouldGiveANamespacesShardsOnlyToTheHostsThatCanRunItAndToAllWhenNoneCan() {
        // given a that can run x and y, b and c only y, and nobody z
        Map<String, Set<String>> hosts = new LinkedHashMap<>();
        hosts.put("a", Set.of("x", "y"));
        hosts.put("b", Set.of("y"));
        hosts.put("c", Set.of("y"));

        // then x all on a; y and z split three ways
        assertThat(LeaseKeeper.shares("a", hosts, RANGES)).containsEntry(256, 64);
        assertThat(LeaseKeeper.shares("b", hosts, RANGES)).containsEntry(256, 0);
        assertThat(LeaseKeeper.shares("c", hosts, RANGES)).containsEntry(256, 0);
        for (int base : List.of(320, 384)) {
            int total = 0;
            for (String h : hosts.keySet()) {
                int share = LeaseKeeper.shares(h, hosts, RANGES).get(base);
                assertThat(share).isBetween(21, 22);
                total += share;
            }
            assertThat(total).as("every shard of range " + base + " has a host").isEqualTo(Shards.PER_NAMESPACE);
        }
    }

    @Test
    void shouldTurnWhichHostGetsTheExtraShardFromOneNamespaceToTheNext() {
        Map<String, Set<String>> hosts = new LinkedHashMap<>();
        hosts.put("a", Set.of());
        hosts.put("b", Set.of());
        hosts.put("c", Set.of());
        Map<Integer, String> ranges = new TreeMap<>();
        for (int i = 0; i < 3; i++) {
            ranges.put(Shards.LEGACY_COUNT + i * Shards.PER_NAMESPACE, "ns" + i);
        }
        // 64 = 3 x 21 + 1: over three namespaces each host gets the extra shard once
        for (String h : hosts.keySet()) {
            assertThat(LeaseKeeper.shares(h, hosts, ranges).values().stream().mapToInt(Integer::intValue).sum())
                    .as("shards of " + h).isEqualTo(64);
        }
    }
}
