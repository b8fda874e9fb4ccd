package dev.belfry.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.cluster.testing.ClusterChild;
import dev.belfry.cluster.testing.ClusterProcess;
import dev.belfry.cluster.testing.ClusterProcess.Fire;
import dev.belfry.host.testing.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three hosts as separate processes while PostgreSQL restarts under them, while each host in turn restarts, and while
 * a fourth joins and leaves: nothing fires twice, no job is lost, every Once job fires, and firing resumes.
 */
class ClusterRestartTest {
    private static final int JOBS = 300;
    private static final int CYCLES = ClusterUnderTest.isLong() ? 5 : 1;

    @TempDir
    Path tmp;
    private ClusterUnderTest cluster;

    @AfterEach
    void killHosts() {
        if (cluster != null) {
            cluster.close();
            cluster.pg.start(); // does nothing when it runs
        }
    }

    @Test
    void shouldReportNotReadyWhileTheDatabaseIsDownAndResumeWithoutDuplicatesOrLostJobs() throws Exception {
        cluster = new ClusterUnderTest(tmp, JOBS, 60);
        List<String> names = List.of("a", "b", "c");
        names.forEach(cluster::start);
        cluster.awaitFairShare(Duration.ofSeconds(30), "a", "b", "c");
        Thread.sleep(2_000);
        Set<String> jobsBefore = jobNames();

        for (int cycle = 0; cycle < CYCLES; cycle++) {
            cluster.pg.stop();
            Instant down = Instant.now();
            try {
                Eventually.await(Duration.ofSeconds(10), () -> names.stream().allMatch(n -> cluster.host(n).health()
                        .stream().anyMatch(h -> h.at().isAfter(down) && !h.ready())),
                        () -> "every host to report itself not ready while PostgreSQL is down");
            } finally {
                cluster.pg.start();
            }
            Instant up = Instant.now();
            cluster.awaitFairShare(Duration.ofSeconds(30), "a", "b", "c");
            for (String name : names) {
                ClusterProcess host = cluster.host(name);
                Eventually.await(Duration.ofSeconds(10), () -> host.health().stream()
                                .anyMatch(h -> h.at().isAfter(up) && h.ready())
                                && host.fires().stream().anyMatch(f -> f.firedAt().isAfter(up)),
                        () -> name + " to be ready and fire again after PostgreSQL came back; " + cluster.describe());
            }
            System.out.printf("database restart: down %d ms, hosts back to a fair share %d ms after%n",
                    Duration.between(down, up).toMillis(), Duration.between(up, Instant.now()).toMillis());
        }
        Instant stable = Instant.now();
        Thread.sleep(4_000);
        Instant end = Instant.now();
        names.forEach(n -> cluster.host(n).stop(Duration.ofSeconds(30)));

        List<Fire> fires = cluster.fires();
        assertThat(ClusterUnderTest.duplicates(fires)).as("instants fired more than once").isEmpty();
        assertThat(jobNames()).as("jobs in the cluster store").containsAll(jobsBefore).hasSize(JOBS + JOBS / 10);
        assertThat(cluster.misses(fires, stable, end.minusSeconds(1))).as("instants missed once back").isEmpty();
        assertThat(names.stream().allMatch(n -> cluster.host(n).log().contains("cluster: cannot renew leases")))
                .as("every host logged the lost database").isTrue();
    }

    @Test
    void shouldFireEachInstantOnceAndLoseNoJobThroughARollingRestartAndAHostJoiningAndLeaving() throws Exception {
        cluster = new ClusterUnderTest(tmp, JOBS, 20 + CYCLES * 60);
        List<String> names = List.of("a", "b", "c");
        names.forEach(cluster::start);
        Instant first = cluster.awaitFairShare(Duration.ofSeconds(30), "a", "b", "c");

        for (int cycle = 0; cycle < CYCLES; cycle++) {
            for (String name : names) {
                cluster.host(name).stop(Duration.ofSeconds(30));
                String[] others = names.stream().filter(n -> !n.equals(name)).toArray(String[]::new);
                cluster.awaitFairShare(Duration.ofSeconds(15), others);
                cluster.host(name).start(ClusterUnderTest.START_LIMIT);
                cluster.awaitFairShare(Duration.ofSeconds(30), "a", "b", "c");
            }
            ClusterProcess joiner = cluster.start("d");
            cluster.awaitFairShare(Duration.ofSeconds(30), "a", "b", "c", "d");
            Eventually.await(Duration.ofSeconds(10), () -> !joiner.fires().isEmpty(), () -> "d to fire");
            joiner.stop(Duration.ofSeconds(30));
            cluster.awaitFairShare(Duration.ofSeconds(15), "a", "b", "c");
        }
        Instant stable = Instant.now();
        Thread.sleep(4_000);
        Instant end = Instant.now();
        names.forEach(n -> cluster.host(n).stop(Duration.ofSeconds(30)));

        List<Fire> fires = cluster.fires();
        System.out.printf("rolling restart: %d cycle(s) in %d s, %d fires recorded%n", CYCLES,
                Duration.between(first, stable).toSeconds(), fires.size());
        assertThat(ClusterUnderTest.duplicates(fires)).as("instants fired more than once").isEmpty();
        assertThat(cluster.count("SELECT count(*) FROM belfry_jobs")).isEqualTo(JOBS + JOBS / 10);
        assertThat(cluster.misses(fires, stable, end.minusSeconds(1))).as("instants missed once stable").isEmpty();
        Set<String> ran = new HashSet<>();
        fires.forEach(f -> ran.add(f.job()));
        List<String> onceNotRun = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            Instant at = ClusterChild.onceAt(i, cluster.onceBase, cluster.onceSpan);
            if (ClusterChild.kind(i) == ClusterChild.Kind.ONCE && at.isAfter(first)
                    && at.isBefore(end.minusSeconds(1)) && !ran.contains("app.job-" + i)) {
                onceNotRun.add("app.job-" + i + " at " + at);
            }
        }
        assertThat(onceNotRun).as("Once jobs due during the restarts that never ran").isEmpty();
    }

    private Set<String> jobNames() {
        Set<String> out = new HashSet<>();
        cluster.query("SELECT qname FROM belfry_jobs", r -> out.add(r.getString(1)));
        return out;
    }
}
