package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.cluster.internal.Shards;
import dev.belfry.cluster.testing.PostgresServer;
import dev.belfry.host.internal.state.DataDirLock;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JournalRecords;
import dev.belfry.sidecar.JournalWriter;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code belfry cluster import} and {@code export} against a real PostgreSQL: a single host's state goes into the
 * cluster's tables and comes back out as the same jobs.
 */
class ClusterTransferCommandTest {
    private static final PostgresServer pg = PostgresServer.shared();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2027-01-04T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    private String url;
    private Path data;
    private Path system;
    private Path passwordFile;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void setUp() throws IOException {
        url = pg.jdbcUrl(pg.createDatabase());
        data = tmp.resolve("data");
        system = Files.createDirectories(data.resolve(SidecarStore.DIRECTORY));
        passwordFile = tmp.resolve("db-password");
        Files.writeString(passwordFile, pg.password() + "\n");
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
    }

    private int belfry(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return BelfryCli.run(CLOCK, new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private String[] db(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--cluster", url, "--db-user", pg.user(), "--db-password-file", passwordFile.toString()));
        return all.toArray(String[]::new);
    }

    private static JobRecord job(String name) {
        return JobRecord.pending(QName.parse("reports." + name), "reports", Schedule.every(Duration.ofMinutes(5)));
    }

    private void sidecar(JobRecord... jobs) throws IOException {
        SidecarDocument doc = SidecarDocument.of(CLOCK.instant(), List.of(jobs));
        Files.write(system.resolve(SidecarStore.FILE_NAME), new SidecarCodec().encode(doc));
    }

    private void segment(JobRecord... changes) throws IOException {
        try (FileChannel ch = FileChannel.open(Journal.segment(system, 0), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            JournalWriter w = new JournalWriter(ch);
            w.writeHeader(0);
            JournalRecords.Encoder e = new JournalRecords.Encoder();
            for (JobRecord r : changes) {
                e.put(r);
                w.append(e.toByteArray());
            }
            w.sync();
        }
    }

    private List<String> rows(String sql) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
             Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                rows.add(r.getString(1) + " " + r.getString(2) + " " + r.getString(3));
            }
        }
        return rows;
    }

    @Test
    void shouldExportTheJobsItImportedWithTheJournalReplayed() throws Exception {
        // given: a stopped host's state file, with a journal that changes one job and adds a dynamic one
        JobRecord nightly = job("nightly").withStatus(JobStatus.IDLE)
                .withNextFireAt(Optional.of(Instant.parse("2027-01-04T12:05:00Z"))).withRunCount(7)
                .withCheckpoint(Optional.of("offset=42"));
        JobRecord weekly = job("weekly").withPaused(true);
        JobRecord dynamic = job("dyn-1").withDynamic(true);
        sidecar(job("nightly"), weekly);
        segment(nightly, dynamic);

        // when
        assertThat(belfry(db("cluster", "import", "--data", data.toString()))).as("stderr: %s", err).isZero();
        assertThat(out.toString()).contains("imported 3 job(s)").contains("2 journal record(s) replayed");
        Path file = tmp.resolve("backup.json");
        assertThat(belfry(db("cluster", "export", file.toString()))).as("stderr: %s", err).isZero();

        // then: the same jobs, each in the shard of its name as a registration, the file owner-only
        assertThat(out.toString().strip()).isEqualTo("wrote " + file + ": 3 job(s) from " + url);
        SidecarDocument exported = new SidecarCodec().decode(Files.readAllBytes(file), file.toString());
        assertThat(exported.jobs()).containsExactly(dynamic, nightly, weekly);
        assertThat(exported.journalGeneration()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        // (the namespace's range, the first of a new cluster's, begins above schema version 1's 256 shards)
        assertThat(rows("SELECT namespace, first_shard, first_shard + 63 FROM belfry_namespaces"))
                .containsExactly("reports 256 319");
        assertThat(rows("SELECT qname, shard, written_epoch FROM belfry_jobs ORDER BY qname")).containsExactly(
                "reports.dyn-1 " + (256 + Shards.slot(dynamic.qname())) + " 0",
                "reports.nightly " + (256 + Shards.slot(nightly.qname())) + " 0",
                "reports.weekly " + (256 + Shards.slot(weekly.qname())) + " 0");
        assertThat(rows("SELECT qname, status, paused FROM belfry_jobs WHERE qname = 'reports.weekly'"))
                .containsExactly("reports.weekly pending t");
    }

    @Test
    void shouldRefuseJobsTheClusterHasUnlessReplaceIsGiven() throws Exception {
        sidecar(job("nightly").withRunCount(1), job("weekly"));
        assertThat(belfry(db("cluster", "import", "--data", data.toString()))).as("stderr: %s", err).isZero();
        Files.delete(system.resolve(SidecarStore.FILE_NAME));
        sidecar(job("nightly").withRunCount(9), job("monthly"));

        // when: the same job again, without --replace
        int refused = belfry(db("cluster", "import", "--data", data.toString()));

        // then: refused in one line, and nothing of the second import written
        assertThat(refused).isEqualTo(BelfryCli.EXIT_FAILED);
        assertThat(err.toString()).isEqualTo("belfry: nothing imported: 1 job(s) already in the cluster, first"
                + " reports.nightly; give --replace to overwrite them" + System.lineSeparator());
        assertThat(rows("SELECT qname, shard, written_epoch FROM belfry_jobs ORDER BY qname"))
                .extracting(r -> r.split(" ")[0]).containsExactly("reports.nightly", "reports.weekly");

        // when: with --replace
        assertThat(belfry(db("cluster", "import", "--data", data.toString(), "--replace")))
                .as("stderr: %s", err).isZero();
        Path file = tmp.resolve("after.json");
        assertThat(belfry(db("cluster", "export", file.toString()))).as("stderr: %s", err).isZero();
        SidecarDocument exported = new SidecarCodec().decode(Files.readAllBytes(file), file.toString());
        assertThat(exported.jobs()).extracting(j -> j.qname().name() + "=" + j.runCount())
                .containsExactly("monthly=0", "nightly=9", "weekly=0");
    }

    @Test
    void shouldRefuseToImportFromADataDirectoryAHostHolds() throws Exception {
        sidecar(job("nightly"));
        try (DataDirLock held = DataDirLock.acquire(data)) {
            assertThat(belfry(db("cluster", "import", "--data", data.toString()))).isEqualTo(BelfryCli.EXIT_FAILED);
        }
        assertThat(err.toString()).startsWith("belfry: data directory " + data + " is in use by another Belfry host")
                .hasLineCount(1);
        assertThat(rows("SELECT to_regclass('belfry_jobs'), 'untouched', 'database'"))
                .as("the database is not even migrated").containsExactly("null untouched database");
    }

    @Test
    void shouldRefuseToOverwriteAnExportUnlessForced() throws Exception {
        sidecar(job("nightly"));
        assertThat(belfry(db("cluster", "import", "--data", data.toString()))).as("stderr: %s", err).isZero();
        Path file = Files.writeString(tmp.resolve("taken.json"), "keep me");

        assertThat(belfry(db("cluster", "export", file.toString()))).isEqualTo(BelfryCli.EXIT_USAGE);
        assertThat(err.toString()).isEqualTo("belfry: " + file + " exists; give --force to replace it"
                + System.lineSeparator());
        assertThat(Files.readString(file)).isEqualTo("keep me");

        assertThat(belfry(db("cluster", "export", file.toString(), "--force"))).as("stderr: %s", err).isZero();
        assertThat(new SidecarCodec().decode(Files.readAllBytes(file), file.toString()).jobs()).hasSize(1);
    }

    @Test
    void shouldRefuseToExportADatabaseWithoutACluster() throws Exception {
        Path file = tmp.resolve("backup.json");

        assertThat(belfry(db("cluster", "export", file.toString()))).isEqualTo(BelfryCli.EXIT_FAILED);

        assertThat(err.toString()).isEqualTo("belfry: cannot read the cluster's jobs from " + url + ": the database"
                + " holds no Belfry cluster (it has no belfry_jobs table)" + System.lineSeparator());
        assertThat(file).doesNotExist();
    }

    @Test
    void shouldRefuseToImportWhileAClusterHostRuns() throws Exception {
        sidecar(job("nightly"));
        assertThat(belfry(db("cluster", "import", "--data", data.toString()))).as("stderr: %s", err).isZero();
        execute("INSERT INTO belfry_hosts (host_id, incarnation, started_at, seen_at, expires_at, version) VALUES"
                + " ('host-a', 'i1', now(), now(), now() + interval '1 minute', 'test'),"
                + " ('host-b', 'i1', now(), now(), now() - interval '1 minute', 'test')");
        Files.delete(system.resolve(SidecarStore.FILE_NAME));
        sidecar(job("nightly").withRunCount(9), job("weekly"));

        // when: host-a is live (host-b's registration expired), with and without --replace
        for (boolean replace : new boolean[] {false, true}) {
            int exit = belfry(replace ? db("cluster", "import", "--data", data.toString(), "--replace")
                    : db("cluster", "import", "--data", data.toString()));

            // then: refused in one line, since host-a's next writes would replace what is imported
            assertThat(exit).isEqualTo(BelfryCli.EXIT_FAILED);
            assertThat(err.toString()).isEqualTo("belfry: nothing imported: 1 cluster host(s) are running (host-a):"
                    + " stop them before importing; a running host's writes would replace the imported state"
                    + System.lineSeparator());
            assertThat(out.toString()).isEmpty();
            assertThat(rows("SELECT qname, record IS NOT NULL, written_epoch FROM belfry_jobs ORDER BY qname"))
                    .containsExactly("reports.nightly t 0");
        }

        // when: the cluster is stopped
        execute("UPDATE belfry_hosts SET expires_at = now() - interval '1 second'");
        assertThat(belfry(db("cluster", "import", "--data", data.toString(), "--replace")))
                .as("stderr: %s", err).isZero();
        assertThat(err.toString()).isEmpty();
        assertThat(rows("SELECT qname, shard, written_epoch FROM belfry_jobs ORDER BY qname"))
                .extracting(r -> r.split(" ")[0]).containsExactly("reports.nightly", "reports.weekly");
    }

    @Test
    void shouldRefuseADataDirectoryThatHoldsNoSingleHostsState() throws Exception {
        // given: a cluster host's data directory: a host id, no state file, no journal
        Files.writeString(system.resolve("host.id"), "6f1c2f8e-6d3b-4d55-9a43-6c1f0f3a9b10\n");

        int exit = belfry(db("cluster", "import", "--data", data.toString()));

        assertThat(exit).isEqualTo(BelfryCli.EXIT_USAGE);
        assertThat(err.toString()).isEqualTo("belfry: " + data + " holds no single host's state (no"
                + " _system/background_jobs.json, backup or journal): nothing imported" + System.lineSeparator());
        assertThat(out.toString()).isEmpty();
        assertThat(rows("SELECT to_regclass('belfry_jobs'), 'untouched', 'database'"))
                .as("the database is not even migrated").containsExactly("null untouched database");
    }

    @Test
    void shouldNotRepeatTheDatabaseUrlsParametersInItsMessages() throws Exception {
        String withParameters = url + "?sslmode=disable&ApplicationName=secret-app";
        sidecar(job("nightly"));
        Path file = tmp.resolve("backup.json");

        assertThat(belfry(replaceUrl(db("cluster", "export", file.toString()), withParameters)))
                .isEqualTo(BelfryCli.EXIT_FAILED);
        assertThat(err.toString()).startsWith("belfry: cannot read the cluster's jobs from " + url + ": ");
        assertThat(belfry(replaceUrl(db("cluster", "import", "--data", data.toString()), withParameters)))
                .as("stderr: %s", err).isZero();
        assertThat(out.toString().strip()).endsWith(" into " + url);
        assertThat(belfry(replaceUrl(db("cluster", "import", "--data", data.toString()), withParameters)))
                .isEqualTo(BelfryCli.EXIT_FAILED);
        assertThat(belfry(replaceUrl(db("cluster", "export", file.toString()), withParameters)))
                .as("stderr: %s", err).isZero();
        assertThat(out.toString().strip()).isEqualTo("wrote " + file + ": 1 job(s) from " + url);
        Files.delete(file);
        execute("DROP TABLE belfry_jobs CASCADE");
        assertThat(belfry(replaceUrl(db("cluster", "import", "--data", data.toString()), withParameters)))
                .isEqualTo(BelfryCli.EXIT_FAILED);
        assertThat(err.toString()).startsWith("belfry: nothing imported into " + url + ": ").hasLineCount(1)
                .doesNotContain("secret-app");
    }

    private static String[] replaceUrl(String[] args, String url) {
        List<String> all = new ArrayList<>(List.of(args));
        all.set(all.indexOf("--cluster") + 1, url);
        return all.toArray(String[]::new);
    }

    private void execute(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
