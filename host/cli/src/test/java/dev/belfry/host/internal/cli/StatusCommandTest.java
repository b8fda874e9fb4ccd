package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.internal.admin.AdminApi;
import dev.belfry.host.internal.admin.AdminServer;
import dev.belfry.host.internal.state.DataDirLock;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code belfry status} exits non-zero when the host says it is degraded (issue 15, item 11), and in cluster mode
 * shows each live host with its shards and lease.
 */
class StatusCommandTest {
    @TempDir
    Path data;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int status(String health, String... more) throws IOException {
        return status(new FakeAdminBackend(health), more);
    }

    private int status(FakeAdminBackend backend, String... more) throws IOException {
        try (DataDirLock held = DataDirLock.acquire(data);
             AdminServer server = AdminServer.start(data, 0, new AdminApi(backend))) {
            String[] args = new String[3 + more.length];
            args[0] = "status";
            args[1] = "--data";
            args[2] = data.toString();
            System.arraycopy(more, 0, args, 3, more.length);
            return BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), args);
        }
    }

    @Test
    void shouldExitFourWhenTheHostIsDegraded() throws IOException {
        assertThat(status("degraded")).as("stderr: %s", err).isEqualTo(4);
        assertThat(out.toString()).containsPattern("host +degraded");
    }

    @Test
    void shouldExitFourWithJsonTooWhenTheHostIsDegraded() throws IOException {
        assertThat(status("degraded", "--json")).as("stderr: %s", err).isEqualTo(4);
        assertThat(out.toString()).contains("\"status\" : \"degraded\"");
    }

    @Test
    void shouldExitZeroWhenTheHostIsHealthy() throws IOException {
        assertThat(status("ok")).as("stderr: %s", err).isZero();
    }

    @Test
    void shouldWordTheStateFileAndAGraphThatIsOffPlainly() throws IOException {
        assertThat(status("ok")).as("stderr: %s", err).isZero();

        assertThat(out.toString().lines()).anySatisfy(l -> assertThat(l)
                        .matches("state +ok +1 commit, 1 checkpoint since start, 0 change\\(s\\) pending"))
                .anySatisfy(l -> assertThat(l).matches("graph +off +no job graph \\(started with --graph off\\)"));
    }

    @Test
    void shouldShowEachClusterHostAndExitFourWhenThisHostIsNotReady() throws IOException {
        Map<String, Object> hosts = new LinkedHashMap<>();
        hosts.put("host-a", Map.of("version", "1.2.0", "address", "web-1:7688", "lease_seconds_left", 8.5,
                "shards", 64, "namespaces", "billing,reports"));
        hosts.put("host-b", Map.of("version", "1.2.0", "address", "web-2:7688", "lease_seconds_left", 0.4,
                "shards", 0));
        Map<String, Object> cluster = new LinkedHashMap<>();
        cluster.put("host_id", "host-b");
        cluster.put("ready", false);
        cluster.put("shards_firing", 0);
        cluster.put("shards_held", 0);
        cluster.put("live_hosts", 2);
        cluster.put("last_error", "renewal failed: connection refused");
        cluster.put("hosts", hosts);

        assertThat(status(new FakeAdminBackend("degraded", cluster))).as("stderr: %s", err).isEqualTo(4);

        assertThat(out.toString().lines())
                .anySatisfy(l -> assertThat(l).matches("cluster +not ready +this host host-b fires 0 of 0 shard\\(s\\)"
                        + " held; 2 live host\\(s\\); renewal failed: connection refused"))
                .anySatisfy(l -> assertThat(l).matches(
                        "CLUSTER HOST +ADDRESS +VERSION +SHARDS +LEASE LEFT +NAMESPACES"))
                .anySatisfy(l -> assertThat(l).matches("host-a +web-1:7688 +1\\.2\\.0 +64 +8\\.5 s +billing,reports"))
                .anySatisfy(l -> assertThat(l).matches("host-b \\(this host\\) +web-2:7688 +1\\.2\\.0 +0 +0\\.4 s"));
    }

    @Test
    void shouldSayWhenTheClusterHostsCannotBeRead() throws IOException {
        Map<String, Object> cluster = new LinkedHashMap<>(Map.of("host_id", "host-a", "ready", true,
                "shards_firing", 256, "shards_held", 256, "live_hosts", 1));
        cluster.put("hosts", "unknown: connection refused");

        assertThat(status(new FakeAdminBackend("ok", cluster))).as("stderr: %s", err).isZero();

        assertThat(out.toString().lines()).anySatisfy(l -> assertThat(l).matches("cluster +ready +this host host-a"
                + " fires 256 of 256 shard\\(s\\) held; 1 live host\\(s\\)"))
                .contains("cluster hosts: unknown: connection refused");
        // Its state lives in the database: transactions there, and no checkpoint of its own to speak of.
        assertThat(out.toString().lines()).anySatisfy(l -> assertThat(l)
                .matches("state +ok +1 database transaction since start, 0 change\\(s\\) pending"));
    }
}
