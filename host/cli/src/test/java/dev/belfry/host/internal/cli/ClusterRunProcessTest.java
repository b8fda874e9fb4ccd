package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.cluster.testing.PostgresServer;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.PluginJarBuilder;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code belfry run --cluster} in a child JVM, as the distribution starts it, against a real PostgreSQL that a
 * {@code belfry cluster import} filled: it takes the shards, fires the imported job with its plugin's code, shows
 * the cluster in {@code belfry status} and {@code jobs list}, and on SIGTERM hands its leases back.
 */
class ClusterRunProcessTest {
    private static final PostgresServer pg = PostgresServer.shared();
    private static final String PASSWORD_VAR = "BELFRY_TEST_DB_PASSWORD";
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private Process process;
    private String url;

    @AfterEach
    void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldFireShowTheClusterInStatusAndHandTheLeasesBackOnSigterm() throws Exception {
        // given: a plugin with a job due every half second, and a new database
        url = pg.jdbcUrl(pg.createDatabase());
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        PluginJarBuilder.plugin("tick").extension("tick.Beat", "package tick;\nimport dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.*;\npublic class Beat implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"beat\","
                + " Schedule.every(java.time.Duration.ofMillis(500))).build(); }\n"
                + "  public void run(JobContext c) { }\n}\n").writeTo(plugins, "tick.jar");
        // and the job's state imported from a single host, as a move to cluster mode begins
        Path single = Files.createDirectories(dir.resolve("single").resolve(SidecarStore.DIRECTORY));
        Files.write(single.resolve(SidecarStore.FILE_NAME), new SidecarCodec().encode(SidecarDocument.of(
                Instant.now(), List.of(JobRecord.pending(QName.parse("tick.beat"), "tick",
                        Schedule.every(Duration.ofMillis(500)))))));
        Path passwordFile = Files.writeString(dir.resolve("db-password"), pg.password());
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        StringWriter importErr = new StringWriter();
        assertThat(BelfryCli.run(Clock.systemUTC(), new PrintWriter(new StringWriter(), true),
                new PrintWriter(importErr, true), "cluster", "import", "--data", single.getParent().toString(),
                "--cluster", url, "--db-user", pg.user(), "--db-password-file", passwordFile.toString()))
                .as("import stderr: %s", importErr).isZero();
        Path data = dir.resolve("data");
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Dlogback.configurationFile=logback.xml",
                "-cp", System.getProperty("java.class.path"), BelfryCli.class.getName(), "run",
                "--data", data.toString(), "--plugins", plugins.toString(), "--admin-port", "0",
                "--cluster", url, "--db-user", pg.user(), "--db-password-env", PASSWORD_VAR,
                "--cluster-lease-time", "3s", "--cluster-address", "smoke-host")
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(err.toFile());
        pb.environment().put(PASSWORD_VAR, pg.password());
        pb.environment().put("BELFRY_LOG_LEVEL", "INFO");

        // when: the host starts on the cluster
        process = pb.start();
        Eventually.await(PATIENCE, () -> read(err).contains("Belfry started") || !process.isAlive(),
                () -> "the host to start; stderr:\n" + read(err));
        assertThat(process.isAlive()).as("stderr:%n%s", read(err)).isTrue();

        // then: it holds every shard of the plugin's namespace (64) and its job fires, as the claims in the database
        // show
        Eventually.await(PATIENCE, () -> count("SELECT count(*) FROM belfry_shards WHERE owner IS NOT NULL"
                        + " AND expires_at > now()") == 64, () -> "the host to hold all 64 shards");
        Eventually.await(PATIENCE, () -> count("SELECT count(*) FROM belfry_runs WHERE qname = 'tick.beat'"
                        + " AND finished_at IS NOT NULL") >= 2, () -> "tick.beat to fire twice; stderr:\n" + read(err));

        StringWriter out = new StringWriter();
        StringWriter errOut = new StringWriter();
        int status = BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(errOut, true),
                "status", "--data", data.toString(), "--json");
        assertThat(status).as("status stderr: %s", errOut).isZero();
        JsonNode cluster = new ObjectMapper().readTree(out.toString()).path("cluster");
        assertThat(cluster.path("ready").asBoolean()).isTrue();
        assertThat(cluster.path("shards_held").asInt()).isEqualTo(64);
        String hostId = cluster.path("host_id").asText();
        assertThat(cluster.path("hosts").path(hostId).path("address").asText()).isEqualTo("smoke-host");
        assertThat(cluster.path("hosts").path(hostId).path("namespaces").asText()).as("what the host can run")
                .isEqualTo("tick");

        // and /metrics carries the cluster's readiness and shards, for alerts
        java.net.http.HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(Files.readString(data.resolve("admin.url"))
                        .strip()).resolve("/metrics")).header("Authorization", "Bearer "
                        + Files.readString(data.resolve("admin.token")).strip()).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body().lines()).contains("belfry_cluster_ready 1", "belfry_cluster_shards_held 64",
                "belfry_cluster_live_hosts 1");
        // and a supervisor's readiness probe, without a token, says the host is ready
        java.net.http.HttpResponse<String> ready = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(Files.readString(data.resolve("admin.url"))
                        .strip()).resolve("/readyz")).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        // and the dashboard shows the cluster: its section on the overview, the cluster's jobs in the list
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.URI admin = java.net.URI.create(Files.readString(data.resolve("admin.url")).strip());
        String codes = http.send(java.net.http.HttpRequest.newBuilder(admin.resolve("/ui/codes"))
                .header("Authorization", "Bearer " + Files.readString(data.resolve("admin.token")).strip())
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        String login = new ObjectMapper().readTree(codes).path("url").asText();
        String cookie = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(login)).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).headers().firstValue("Set-Cookie")
                .orElseThrow().split(";")[0];
        String overview = http.send(java.net.http.HttpRequest.newBuilder(admin.resolve("/ui/"))
                .header("Cookie", cookie).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        String jobList = http.send(java.net.http.HttpRequest.newBuilder(admin.resolve("/ui/jobs"))
                .header("Cookie", cookie).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(overview).contains("Cluster store and leases").contains("id=\"health-cluster\"")
                .contains("data-field=\"shards_held\">64</dd>");
        assertThat(jobList).contains("data-job=\"tick.beat\"");

        out.getBuffer().setLength(0);
        assertThat(BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(errOut, true),
                "status", "--data", data.toString())).as("status stderr: %s", errOut).isZero();
        List<String> lines = out.toString().lines().toList();
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("cluster").contains("ready")
                .contains("this host " + hostId + " fires 64 of 64 shard(s) held; 1 live host(s)"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("CLUSTER HOST").contains("LEASE LEFT")
                .contains("NAMESPACES"));
        assertThat(lines).as("no --graph in cluster mode: no graph, rather than an embedded one per host")
                .anySatisfy(l -> assertThat(l).matches("graph +off +.*"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith(hostId + " (this host)").contains("smoke-host")
                .contains(" 64 ").endsWith(" tick"));

        out.getBuffer().setLength(0);
        assertThat(BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(errOut, true),
                "jobs", "list", "--data", data.toString())).as("jobs stderr: %s", errOut).isZero();
        assertThat(out.toString()).contains("tick.beat");
        out.getBuffer().setLength(0);
        assertThat(BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(errOut, true),
                "jobs", "show", "tick.beat", "--data", data.toString(), "--json")).as("jobs stderr: %s", errOut)
                .isZero();
        assertThat(new ObjectMapper().readTree(out.toString()).path("run_count").asLong()).isPositive();

        // when: SIGTERM
        process.destroy();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();

        // then: a clean stop, and no shard left leased to it
        assertThat(process.exitValue()).as("stderr:%n%s", read(err)).isEqualTo(143);
        assertThat(count("SELECT count(*) FROM belfry_shards WHERE owner IS NOT NULL")).isZero();
    }

    @Test
    void shouldRefuseAStartOnADatabaseItCannotUseInOneLine() throws Exception {
        // given: a database written by a newer Belfry, so the pool starts and the schema check then refuses it
        url = pg.jdbcUrl(pg.createDatabase());
        execute("CREATE TABLE belfry_schema_version (version integer PRIMARY KEY, description text NOT NULL,"
                + " applied_at timestamptz NOT NULL DEFAULT now())");
        execute("INSERT INTO belfry_schema_version (version, description) VALUES (999, 'from the future')");
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Dlogback.configurationFile=logback.xml",
                // as bin/belfry starts it, so that the JDK prints no notice of the exit guard's security manager
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), BelfryCli.class.getName(), "run",
                "--data", dir.resolve("data").toString(), "--plugins", dir.resolve("plugins").toString(),
                "--admin-port", "0", "--cluster", url, "--db-user", pg.user(), "--db-password-env", PASSWORD_VAR)
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(err.toFile());
        pb.environment().put(PASSWORD_VAR, pg.password());
        pb.environment().put("BELFRY_LOG_LEVEL", "INFO");

        // when
        process = pb.start();

        // then: the start fails with its one line on stderr, and no connection pool chatter around it
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stderr:%n%s", read(err)).isTrue();
        assertThat(process.exitValue()).as("stderr:%n%s", read(err)).isEqualTo(BelfryCli.EXIT_FAILED);
        assertThat(read(err)).startsWith("belfry: cannot use the cluster database " + url + ": the database's Belfry"
                + " schema is version 999, newer than this build's").hasLineCount(1);
    }

    private void execute(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private long count(String sql) {
        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
             Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
