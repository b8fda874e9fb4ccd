package dev.belfry.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.cluster.ClusterUnderTest.Lease;
import dev.belfry.cluster.internal.Shards;
import dev.belfry.cluster.testing.ClusterChild;
import dev.belfry.cluster.testing.ClusterProcess;
import dev.belfry.cluster.testing.ClusterProcess.Fire;
import dev.belfry.cluster.testing.ClusterProcess.HealthSample;
import dev.belfry.cluster.testing.FaultProxy;
import dev.belfry.host.testing.Eventually;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three hosts as separate processes: one killed with SIGKILL, one cut off from the database by a fault proxy. The
 * survivors take the shards over within the lease and a second, misfire policies apply to what was missed, the cut
 * host stops firing before its lease can run out, the database refuses its stale epoch, and nothing fires twice.
 */
class ClusterFailoverTest {
    private static final int JOBS = 300;
    private static final Duration MARGIN = Duration.ofSeconds(1); // LeaseKeeper.marginFor(3 s)
    /**
     * Survivors renew when a silent host's leases run out, not at their next regular renewal (up to 1 s later); this
     * covers the take's transaction and the test's polling on a busy machine.
     */
    private static final Duration TAKEOVER_SLACK = Duration.ofMillis(500);
    /** A fire this late ran for an instant missed while nobody held its shard. */
    private static final Duration CATCH_UP = Duration.ofMillis(900);
    /**
     * Under the lease: what a dead host's shards missed until their takeover goes to the misfire policies (at the
     * product's default, 5 s, a fire that late would just run late).
     */
    private static final Duration MISFIRE_THRESHOLD = Duration.ofSeconds(1);

    @TempDir
    Path tmp;
    private ClusterUnderTest cluster;
    private FaultProxy proxy;

    @AfterEach
    void killHosts() {
        if (cluster != null) {
            cluster.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void shouldTakeOverAKilledHostsShardsWithinTheLeaseAndApplyTheMisfirePolicyWithoutFiringTwice()
            throws Exception {
        cluster = new ClusterUnderTest(tmp, JOBS, 60, MISFIRE_THRESHOLD);
        for (String name : List.of("a", "b", "c")) {
            cluster.start(name);
        }
        cluster.awaitFairShare(Duration.ofSeconds(30), "a", "b", "c");
        String victim = cluster.hostId("b");
        Set<Integer> victimShards = cluster.leases().entrySet().stream()
                .filter(e -> victim.equals(e.getValue().owner())).map(Map.Entry::getKey).collect(Collectors.toSet());
        Thread.sleep(3_000); // firing on all three for a while

        cluster.host("b").kill();
        long killed = System.nanoTime();
        Instant killedAt = Instant.now();
        Eventually.await(ClusterUnderTest.LEASE.plusSeconds(5), () -> !cluster.shardsByHost().containsKey("b")
                        && cluster.shardsByHost().values().stream().mapToInt(Integer::intValue).sum()
                        == Shards.PER_NAMESPACE,
                () -> "a and c to hold every shard; " + cluster.describe());
        Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
        Instant takenOver = Instant.now();
        Duration sinceRenewal = sinceLastRenewal(victim);
        Thread.sleep(4_000); // the survivors fire the victim's jobs for a while
        Instant end = Instant.now();
        cluster.host("a").stop(Duration.ofSeconds(30));
        cluster.host("c").stop(Duration.ofSeconds(30));

        List<Fire> fires = cluster.fires();
        Map<String, Integer> shardOf = cluster.jobShards();
        Map<String, Instant> lastClaimedByVictim = new HashMap<>();
        cluster.query("SELECT qname, max(scheduled_for) FROM belfry_runs WHERE host_id = '" + victim + "'"
                + " GROUP BY qname", r -> lastClaimedByVictim.put(r.getString(1), r.getTimestamp(2).toInstant()));
        System.out.printf("kill -9: %d shards of b taken over %d ms after the kill, %d ms after its last renewal"
                + " (lease %s)%n", victimShards.size(), takeover.toMillis(), sinceRenewal.toMillis(),
                ClusterUnderTest.LEASE);

        assertThat(ClusterUnderTest.duplicates(fires)).as("instants fired more than once").isEmpty();
        // The lease runs from the victim's last renewal, which came before the kill.
        assertThat(sinceRenewal).as("takeover after the last renewal")
                .isLessThanOrEqualTo(ClusterUnderTest.LEASE.plus(TAKEOVER_SLACK));
        assertThat(takeover).as("takeover after the kill").isLessThanOrEqualTo(ClusterUnderTest.LEASE.plusSeconds(1));
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (int i = 0; i < JOBS; i += 1) {
            String job = "app.job-" + i;
            ClusterChild.Kind kind = ClusterChild.kind(i);
            if (!kind.isCron() || !victimShards.contains(shardOf.get(job)) || !lastClaimedByVictim.containsKey(job)) {
                continue;
            }
            checked++;
            Instant last = lastClaimedByVictim.get(job);
            List<Fire> caughtUp = fires.stream().filter(f -> f.job().equals(job) && !f.host().equals("b")
                    && f.scheduledFor().isAfter(last) && f.lateness().compareTo(CATCH_UP) > 0).toList();
            // Fire all: every instant from the victim's last on runs, the missed ones late, the rest on time.
            List<Instant> owed = new ArrayList<>();
            for (Instant s = last.plusSeconds(1); s.isBefore(end.minusSeconds(2)); s = s.plusSeconds(1)) {
                owed.add(s);
            }
            Set<Instant> ranAfter = fires.stream().filter(f -> f.job().equals(job) && !f.host().equals("b"))
                    .map(Fire::scheduledFor).collect(Collectors.toSet());
            if (kind == ClusterChild.Kind.CRON_SKIP && !caughtUp.isEmpty()) {
                wrong.add(job + " (skip) caught up " + caughtUp);
            } else if (kind == ClusterChild.Kind.CRON_FIRE_ONCE && (caughtUp.size() != 1
                    || !caughtUp.get(0).scheduledFor().equals(last.plusSeconds(1)))) {
                wrong.add(job + " (fire once) last claimed by b " + last + ", caught up " + caughtUp);
            } else if (kind == ClusterChild.Kind.CRON_FIRE_ALL && (caughtUp.isEmpty() || !ranAfter.containsAll(owed))) {
                wrong.add(job + " (fire all) owed " + owed + ", ran " + ranAfter);
            }
        }
        assertThat(checked).as("cron jobs of the killed host").isGreaterThan(10);
        assertThat(wrong).as("misfire policies applied after the takeover").isEmpty();
        assertThat(cluster.misses(fires.stream().filter(f -> !f.host().equals("b")).toList(),
                takenOver.plusSeconds(2), end.minusSeconds(2))).as("instants missed after the takeover").isEmpty();
        assertThat(killedAt).isBefore(takenOver);
    }

    @Test
    void shouldStopFiringBeforeTheLeaseRunsOutWhenCutOffAndHaveTheDatabaseRefuseItsStaleEpoch() throws Exception {
        cluster = new ClusterUnderTest(tmp, JOBS, 60);
        proxy = FaultProxy.start("127.0.0.1", cluster.pg.port());
        cluster.start("a");
        cluster.start("b");
        ClusterProcess cut = cluster.start("c", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + cluster.database);
        cluster.awaitFairShare(Duration.ofSeconds(30), "a", "b", "c");
        String cutId = cluster.hostId("c");
        Map<Integer, Lease> before = cluster.leases();
        Map.Entry<String, Integer> jobOfCut = cluster.jobShards().entrySet().stream()
                .filter(e -> cutId.equals(before.get(e.getValue()).owner())).findFirst().orElseThrow();
        String jobInShard = jobOfCut.getKey();
        int shard = jobOfCut.getValue();
        long staleEpoch = before.get(shard).epoch();
        Thread.sleep(2_000);

        proxy.blackhole();
        Instant cutAt = Instant.now();
        long cutNanos = System.nanoTime();
        Eventually.await(ClusterUnderTest.LEASE.plusSeconds(5), () -> !cluster.shardsByHost().containsKey("c")
                        && cluster.shardsByHost().values().stream().mapToInt(Integer::intValue).sum()
                        == Shards.PER_NAMESPACE,
                () -> "a and b to hold every shard; " + cluster.describe());
        Duration takeover = Duration.ofNanos(System.nanoTime() - cutNanos);
        Duration sinceRenewal = sinceLastRenewal(cutId);
        Eventually.await(Duration.ofSeconds(5), () -> cut.health().stream().anyMatch(h -> h.at().isAfter(cutAt)
                && !h.ready()), () -> "c to report itself not ready");

        // The database itself refuses the cut host's old epoch, whatever the host believes.
        assertThatThrownBy(() -> execute("INSERT INTO belfry_runs (qname, scheduled_for, attempt, shard, epoch,"
                + " host_id, host_started, started_at) VALUES (?, now(), 1, ?, ?, ?, now(), now())",
                jobInShard, shard, staleEpoch, cutId)).isInstanceOf(SQLException.class)
                .hasMessageContaining("refused: not the current lease");
        assertThatThrownBy(() -> execute("UPDATE belfry_jobs SET written_by = ?, written_epoch = ?,"
                + " updated_at = now() WHERE qname = ?", cutId, staleEpoch, jobInShard))
                .isInstanceOf(SQLException.class).hasMessageContaining("refused: not the current lease");
        Thread.sleep(2_000); // the partition lasts on

        proxy.heal();
        Instant healed = Instant.now();
        cluster.awaitFairShare(Duration.ofSeconds(30), "a", "b", "c");
        Eventually.await(Duration.ofSeconds(10), () -> cut.fires().stream().anyMatch(f -> f.firedAt().isAfter(healed)),
                () -> "c to fire again after the partition healed; " + cluster.describe());
        Thread.sleep(1_000);
        for (String name : List.of("a", "b", "c")) {
            cluster.host(name).stop(Duration.ofSeconds(30));
        }

        List<Fire> fires = cluster.fires();
        Instant lastRenewal = cut.health().stream().filter(h -> h.at().isBefore(healed))
                .map(HealthSample::lastRenewal).flatMap(java.util.Optional::stream).max(Instant::compareTo)
                .orElseThrow();
        Instant stopBy = lastRenewal.plus(ClusterUnderTest.LEASE.minus(MARGIN));
        List<Fire> late = cut.fires().stream().filter(f -> f.firedAt().isAfter(stopBy.plusMillis(100))
                && f.firedAt().isBefore(healed)).toList();
        System.out.printf("partition: c cut at %s, last renewal %s, stopped firing by %s (last fire %s), shards"
                        + " taken over %d ms after the cut, %d ms after its last renewal%n", cutAt, lastRenewal, stopBy,
                cut.fires().stream().map(Fire::firedAt).filter(t -> t.isBefore(healed)).max(Instant::compareTo)
                        .orElseThrow(), takeover.toMillis(), sinceRenewal.toMillis());
        assertThat(late).as("fires by the cut host after its lease less the margin").isEmpty();
        assertThat(ClusterUnderTest.duplicates(fires)).as("instants fired more than once").isEmpty();
        assertThat(sinceRenewal).as("takeover after the last renewal")
                .isLessThanOrEqualTo(ClusterUnderTest.LEASE.plus(TAKEOVER_SLACK));
        assertThat(cut.log()).contains("cluster: cannot renew leases");
        assertThat(cut.health()).anyMatch(h -> h.at().isAfter(healed) && h.ready());
    }

    /** @return how long ago, by the database's clock, the host last renewed (its lease runs from then) */
    private Duration sinceLastRenewal(String hostId) {
        long[] millis = new long[1];
        cluster.query("SELECT (extract(epoch FROM now() - seen_at) * 1000)::bigint FROM belfry_hosts WHERE host_id = '"
                + hostId + "'", r -> millis[0] = r.getLong(1));
        return Duration.ofMillis(millis[0]);
    }

    private void execute(String sql, Object... values) throws SQLException {
        try (Connection c = cluster.connect(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                s.setObject(i + 1, values[i]);
            }
            s.executeUpdate();
        }
    }
}
