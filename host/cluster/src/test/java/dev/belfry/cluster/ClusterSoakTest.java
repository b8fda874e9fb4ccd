package dev.belfry.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.cluster.testing.ClusterChild;
import dev.belfry.cluster.testing.ClusterProcess.Fire;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three hosts as separate processes on one database, 1,000 application jobs of every kind, for a minute (several
 * with {@code -Preliability-long}): every instant fires once, and none is missed once the shards are spread.
 */
class ClusterSoakTest {
    private static final int JOBS = 1_000;
    private static final Duration SOAK = ClusterUnderTest.isLong() ? Duration.ofMinutes(5) : Duration.ofSeconds(60);
    /** Instants this close to the window's ends may legitimately be half in it (a run recorded after the end). */
    private static final Duration EDGE = Duration.ofSeconds(2);

    @TempDir
    Path tmp;
    private ClusterUnderTest cluster;

    @AfterEach
    void killHosts() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void shouldFireEveryInstantOnceAndMissNoneWhenThreeHostsShareAThousandJobs() throws Exception {
        cluster = new ClusterUnderTest(tmp, JOBS, (int) SOAK.toSeconds() + 30);
        for (String name : List.of("a", "b", "c")) {
            cluster.start(name);
        }
        Instant spread = cluster.awaitFairShare(Duration.ofSeconds(30), "a", "b", "c");

        Thread.sleep(SOAK.toMillis()); // a soak: real time must pass
        Instant end = Instant.now();
        for (String name : List.of("a", "b", "c")) {
            assertThat(cluster.host(name).isAlive()).as("%s alive at the end:\n%s", name, cluster.describe()).isTrue();
        }
        for (String name : List.of("a", "b", "c")) {
            cluster.host(name).stop(Duration.ofSeconds(30));
        }

        List<Fire> fires = cluster.fires();
        List<Fire> inWindow = fires.stream().filter(f -> f.scheduledFor().isAfter(spread)
                && f.scheduledFor().isBefore(end)).toList();
        System.out.printf("load average %.1f; cluster soak: %d jobs, 3 hosts, %s: %d fires recorded (%d in the %d s"
                        + " window, %.0f/s), by host %s, lateness p50 %d ms, p99 %d ms, max %d ms%n",
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), JOBS, SOAK,
                fires.size(), inWindow.size(),
                Duration.between(spread, end).toSeconds(),
                inWindow.size() / (Duration.between(spread, end).toMillis() / 1000.0),
                inWindow.stream().collect(java.util.stream.Collectors.groupingBy(Fire::host,
                        java.util.TreeMap::new, java.util.stream.Collectors.counting())),
                percentile(inWindow, 0.50), percentile(inWindow, 0.99), percentile(inWindow, 1.0));
        assertThat(ClusterUnderTest.duplicates(fires)).as("instants fired more than once").isEmpty();
        assertThat(cluster.misses(fires, spread.plus(EDGE), end.minus(EDGE))).as("instants missed").isEmpty();
        assertThat(inWindow).extracting(Fire::host).contains("a", "b", "c");
        for (int i = 0; i < JOBS; i++) {
            if (ClusterChild.kind(i) != ClusterChild.Kind.SPAWNER) {
                continue;
            }
            String dynamic = "app." + ClusterChild.dynamicOf(i);
            assertThat(fires).as("runs of the dynamic job %s", dynamic).anyMatch(f -> f.job().equals(dynamic));
        }
        assertThat(cluster.count("SELECT count(*) FROM belfry_jobs")).isEqualTo(JOBS + JOBS / 10);
    }

    private static long percentile(List<Fire> fires, double p) {
        long[] late = fires.stream().mapToLong(f -> f.lateness().toMillis()).sorted().toArray();
        return late.length == 0 ? 0 : late[(int) Math.min(late.length - 1, Math.floor(p * late.length))];
    }
}
