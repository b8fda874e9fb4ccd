package dev.belfry.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.cluster.testing.PostgresServer;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.PluginJarBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hosts with different plugins on one real PostgreSQL: a plugin's jobs fire only on the hosts that loaded it, as it
 * is deployed to one host after another and taken away from one. Which host ran a fire is read from its claim.
 */
class ClusterPluginPlacementTest {
    private static final PostgresServer pg = PostgresServer.shared();

    @TempDir
    Path tmp;
    private String database;
    private Path jar;
    private final List<Host> hosts = new ArrayList<>();

    @BeforeEach
    void setUp() {
        database = pg.createDatabase();
        PluginJarBuilder px = PluginJarBuilder.plugin("px");
        for (int i = 0; i < 4; i++) {
            px.extension("px.Beat" + i, "package px;\nimport dev.belfry.api.*;\nimport dev.belfry.api.schedule.*;\n"
                    + "public class Beat" + i + " implements BackgroundJob {\n"
                    + "  public JobSpec spec() { return JobSpec.builder(\"beat-" + i + "\","
                    + " Schedule.every(java.time.Duration.ofMillis(300))).build(); }\n"
                    + "  public void run(JobContext c) { }\n}\n");
        }
        jar = px.writeTo(tmp, "px.jar");
    }

    @AfterEach
    void stopHosts() {
        hosts.forEach(Host::close);
    }

    @Test
    void shouldFireAPluginsJobsOnlyOnTheHostsThatLoadedItAsItIsDeployedAndTakenAway() throws Exception {
        // given a with plugin px, b without it; both run the application's jobs
        Host a = start("a", true);
        Host b = start("b", false);
        Eventually.await(Duration.ofSeconds(20), () -> held("a", "px") == 64 && held("a", "app") == 32
                && held("b", "app") == 32, () -> "px on a, app split");
        Instant first = Instant.now();
        Eventually.await(Duration.ofSeconds(20), () -> jobsRunBy(first, "b", "app.") > 0
                && jobsRunBy(first, "a", "px.") == 4, () -> "px's jobs to fire on a and app's on b");
        assertThat(hostsThatRan(first, "px.")).as("px's jobs on hosts without px").containsExactly("a");

        // when px is deployed to b too (a rolling deploy)
        Files.copy(jar, tmp.resolve("b-plugins").resolve("px.jar"));
        b.rescanPlugins();
        b.rescanPlugins(); // a jar is loaded once two scans find it unchanged
        assertThat(b.plugins()).contains("px");
        Eventually.await(Duration.ofSeconds(20), () -> held("a", "px") == 32 && held("b", "px") == 32,
                () -> "px's shards to be split between a and b; " + state(b));
        Instant deployed = Instant.now();
        // then its jobs fire on both, none is orphaned
        Eventually.await(Duration.ofSeconds(20), () -> hostsThatRan(deployed, "px.").size() == 2,
                () -> "px's jobs to fire on both hosts; ran on " + hostsThatRan(deployed, "px."));
        assertThat(orphaned(a)).isZero();
        assertThat(orphaned(b)).isZero();

        // when a stops running px (its jar removed)
        Files.delete(tmp.resolve("a-plugins").resolve("px.jar"));
        a.rescanPlugins();
        Eventually.await(Duration.ofSeconds(20), () -> held("b", "px") == 64, () -> "px's shards to move to b");
        Instant removed = Instant.now();
        // then every px job fires on b, and none is left orphaned by a's stopping it
        Eventually.await(Duration.ofSeconds(20), () -> jobsRunBy(removed, "b", "px.") == 4,
                () -> "px's jobs to fire on b");
        assertThat(hostsThatRan(removed, "px.")).containsExactly("b");
        assertThat(orphaned(a)).isZero();
        assertThat(orphaned(b)).isZero();
    }

    private Host start(String name, boolean withPx) {
        Path plugins = tmp.resolve(name + "-plugins");
        try {
            Files.createDirectories(plugins);
            if (withPx) {
                Files.copy(jar, plugins.resolve("px.jar"));
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        ClusterConfig cluster = ClusterConfig.builder(pg.jdbcUrl(database)).user(pg.user())
                .password(pg.password().toCharArray()).leaseTime(Duration.ofSeconds(3))
                .renewEvery(Duration.ofSeconds(1)).address(name).build();
        Host host = Host.start(HostConfig.builder().dataDir(tmp.resolve(name)).module(ClusterModule.of(cluster))
                .pluginsDir(plugins).pluginScanInterval(Duration.ZERO).register("app", appJobs()).build());
        hosts.add(host);
        return host;
    }

    private static BackgroundJob[] appJobs() {
        BackgroundJob[] out = new BackgroundJob[6];
        for (int i = 0; i < out.length; i++) {
            String name = "tick-" + i;
            out[i] = new BackgroundJob() {
                @Override
                public JobSpec spec() {
                    return JobSpec.builder(name, Schedule.every(Duration.ofMillis(300))).build();
                }

                @Override
                public void run(JobContext context) {
                }
            };
        }
        return out;
    }

    /** @return for messages: the plugins and problems of a host, and each live host's namespaces and px shards */
    private String state(Host host) {
        StringBuilder out = new StringBuilder("plugins " + host.plugins() + ", problems " + host.pluginProblems());
        for (String h : List.of("a", "b")) {
            out.append("; ").append(h).append(" px ").append(held(h, "px")).append(" namespaces ").append(
                    count("SELECT count(*) FROM belfry_hosts WHERE address = ? AND 'px' = ANY(namespaces)", h));
        }
        return out.toString();
    }

    private static long orphaned(Host host) {
        return host.jobs().stream().filter(j -> j.status().name().equals("ORPHANED")).count();
    }

    /** @return the shards of the namespace's range the host holds under a live lease */
    private long held(String host, String namespace) {
        return count("SELECT count(*) FROM belfry_shards l JOIN belfry_namespaces n ON l.shard >= n.first_shard"
                + " AND l.shard < n.first_shard + 64 JOIN belfry_hosts h ON h.host_id = l.owner"
                + " WHERE n.namespace = ? AND h.address = ? AND l.expires_at > now()", namespace, host);
    }

    /** @return how many jobs named from {@code prefix} the host ran fires of, scheduled after {@code since} */
    private long jobsRunBy(Instant since, String host, String prefix) {
        return count("SELECT count(DISTINCT r.qname) FROM belfry_runs r JOIN belfry_hosts h ON h.host_id = r.host_id"
                + " WHERE r.scheduled_for > ? AND h.address = ? AND r.qname LIKE ?", Timestamp.from(since), host,
                prefix + "%");
    }

    /** @return the hosts that ran fires of jobs named from {@code prefix}, scheduled after {@code since} */
    private Set<String> hostsThatRan(Instant since, String prefix) {
        Set<String> out = new TreeSet<>();
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement("SELECT DISTINCT h.address"
                + " FROM belfry_runs r JOIN belfry_hosts h ON h.host_id = r.host_id WHERE r.scheduled_for > ?"
                + " AND r.qname LIKE ?")) {
            s.setTimestamp(1, Timestamp.from(since));
            s.setString(2, prefix + "%");
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private long count(String sql, Object... params) {
        return pg.queryLong(database, sql, params);
    }

    private Connection connect() throws Exception {
        return DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), pg.password());
    }
}
