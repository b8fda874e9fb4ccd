package dev.belfry.host.reliability.crash;

import dev.belfry.host.TestAccess;
import dev.belfry.host.admin.AdminModule;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import dev.belfry.api.QName;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.internal.cli.BelfryCli;
import dev.belfry.host.reliability.crash.FaultyFileOps.Call;
import dev.belfry.host.reliability.crash.FaultyFileOps.Step;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.PluginJarBuilder;
import dev.belfry.host.testing.StateOnDisk;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFileOps;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * I/O faults at every step the state store takes, with a whole host running. Two kinds, with different promises:
 *
 * <ul>
 * <li><b>Journal faults</b> (a segment write or its {@code fdatasync} fails, a full disk): no change is acknowledged
 * while the fault is on. The host says so ({@code GET /health} {@code sidecar.healthy=false} with the cause,
 * {@code belfry_sidecar_healthy 0}, an ERROR line), a durable start fails without running the job's code, the engine
 * keeps firing from memory, and the sidecar and its {@code .bak} are left byte for byte.</li>
 * <li><b>Checkpoint faults</b> (any step of a segment roll or of the sidecar's durable write, or deleting the segments
 * a checkpoint covers): the journal still makes every change durable, so the host stays healthy, durable starts are
 * acknowledged and run, and what a start would load ({@link StateOnDisk}) holds every change while the fault is on;
 * the failed checkpoint is logged at ERROR and tried again.</li>
 * </ul>
 * Once the fault is off, the first checkpoint written holds every change made during it, the host is healthy, and
 * after a clean stop the state on disk loads with every change and no journal segment is left. Simulated faults go
 * through {@code TestAccess.sidecarFileOps}; a real full disk (a small tmpfs) and a real read-only directory (a
 * read-only bind mount) run where the machine lets the test mount, and are skipped otherwise.
 */
class SidecarFaultTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final String PLUGIN = "steady";
    private static final String ONCE_AT = "belfry.crash.once-at";
    private static final QName BEAT = QName.parse("steady.beat");
    private static final QName MANUAL = QName.parse("steady.manual");
    private static final QName DURABLE = QName.parse("steady.durable-manual");
    private static final QName CHECKPOINTER = QName.parse("steady.checkpointer");
    private static final QName PAUSABLE = QName.parse("steady.pausable");
    private static final QName CANCELLABLE = QName.parse("steady.cancellable");
    private static final QName RESUMABLE = QName.parse("steady.resumable");
    private static final QName ONCE = QName.parse("steady.once-retrying");
    /** The jobs that change only when the test changes them, so their state on disk can be compared exactly. */
    private static final List<QName> QUIET = List.of(MANUAL, DURABLE, CHECKPOINTER, PAUSABLE, CANCELLABLE, RESUMABLE);
    /** Jobs that only fill the journal, so a checkpoint is due every few hundred milliseconds. */
    private static final int NOISE = 6;
    private static final SidecarCodec CODEC = new SidecarCodec();

    @TempDir
    static Path plugins;
    @TempDir
    Path root;

    @RegisterExtension
    final LogCapture log = LogCapture.ofNames("dev.belfry.host").atLevel(Level.INFO);

    private Host host;
    private String mounted;
    private Fault faultOn;

    @BeforeAll
    static void buildPlugin() {
        PluginJarBuilder jar = PluginJarBuilder.plugin(PLUGIN);
        for (int i = 0; i < NOISE; i++) {
            jar.extension("steady.Noise" + i, job("Noise" + i, "noise-" + i, "Schedule.every(Duration.ofMillis(10))",
                    "", ""));
        }
        jar.extension("steady.Beat", job("Beat", "beat", "Schedule.every(Duration.ofMillis(50))", "", ""))
                .extension("steady.Manual", job("Manual", "manual", "Schedule.manual()", "", ""))
                .extension("steady.DurableManual", job("DurableManual", "durable-manual", "Schedule.manual()",
                        ".durableStart(true)", appendLine("durable-ran")))
                .extension("steady.Checkpointer", job("Checkpointer", "checkpointer", "Schedule.manual()", "",
                        "c.saveCheckpoint(Long.toString(c.checkpoint().map(Long::parseLong).orElse(0L) + 1));"))
                .extension("steady.Pausable", job("Pausable", "pausable", HOURLY, "", ""))
                .extension("steady.Cancellable", job("Cancellable", "cancellable", HOURLY, "", ""))
                .extension("steady.Resumable", job("Resumable", "resumable", HOURLY, "", ""))
                // A one-shot job's start is durable by default; a far instant unless a test sets the property.
                .extension("steady.OnceRetrying", job("OnceRetrying", "once-retrying", "Schedule.once(java.time"
                        + ".Instant.ofEpochMilli(Long.getLong(\"" + ONCE_AT + "\", 4102444800000L)))",
                        ".retry(new RetryPolicy(1000, Duration.ofMillis(300), 1.0, Duration.ofMillis(300), 0))",
                        appendLine("once-ran")))
                .writeTo(plugins, PLUGIN + ".jar");
    }

    private static final String HOURLY = "Schedule.every(Duration.ofHours(1), PeriodicMode.FIXED_RATE, "
            + "Duration.ofHours(1))";

    private static String appendLine(String file) {
        return "java.nio.file.Files.writeString(java.nio.file.Path.of(System.getProperty(\"" + ChurnPlugin.DIR_PROPERTY
                + "\"), \"" + file + "\"), c.scheduledFor() + \"\\n\", java.nio.file.StandardOpenOption.CREATE,"
                + " java.nio.file.StandardOpenOption.APPEND);";
    }

    private static String job(String cls, String name, String schedule, String specExtra, String body) {
        return "package steady;\nimport dev.belfry.api.*;\nimport dev.belfry.api.schedule.*;\nimport java.time.Duration;\n"
                + "public class " + cls + " implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"" + name + "\", " + schedule + ")" + specExtra
                + ".build(); }\n"
                + "  public void run(JobContext c) throws Exception { " + body + " }\n}\n";
    }

    @BeforeEach
    void setUp() {
        System.setProperty(ChurnPlugin.DIR_PROPERTY, root.toString());
        System.clearProperty(ONCE_AT);
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            if (faultOn != null) {
                faultOn.off(); // or the host's close would wait for a writer that cannot write
            }
            if (host != null) {
                host.close();
            }
        } finally {
            System.clearProperty(ONCE_AT);
            if (mounted != null) {
                run("umount", mounted);
            }
        }
    }

    private static final Predicate<Call> ON_WRITER = c -> c.on(FaultyFileOps.WRITER_THREAD);
    private static final Predicate<Call> ON_CHECKPOINT = c -> c.on(FaultyFileOps.CHECKPOINT_THREAD);

    private static Predicate<Call> step(Step step) {
        return c -> c.step() == step;
    }

    /** A simulated fault: the calls that fail, with the given error. */
    enum Simulated {
        JOURNAL_WRITE(true, step(Step.WRITE_SEGMENT), "Input/output error"),
        JOURNAL_FDATASYNC(true, step(Step.FORCE_SEGMENT), "Input/output error"),
        DISK_FULL(true, step(Step.WRITE_SEGMENT), "No space left on device"),
        ROLL_CREATE_SEGMENT(false, ON_WRITER.and(step(Step.CREATE_SEGMENT)), "injected: create failed"),
        ROLL_HEADER_WRITE(false, ON_WRITER.and(step(Step.WRITE_SEGMENT)).and(Call::header),
                "injected: header write failed"),
        ROLL_HEADER_SYNC(false, ON_WRITER.and(step(Step.FORCE_SEGMENT)).and(Call::header),
                "injected: header fdatasync failed"),
        CHECKPOINT_CREATE_TEMP(false, ON_CHECKPOINT.and(step(Step.CREATE_TEMP)), "injected: create failed"),
        CHECKPOINT_WRITE(false, ON_CHECKPOINT.and(step(Step.WRITE)), "injected: write failed"),
        CHECKPOINT_FORCE(false, ON_CHECKPOINT.and(step(Step.FORCE)), "injected: fsync failed"),
        CHECKPOINT_COPY_BACKUP(false, ON_CHECKPOINT.and(step(Step.COPY_BACKUP)), "injected: copy failed"),
        CHECKPOINT_MOVE_BACKUP(false, ON_CHECKPOINT.and(step(Step.MOVE_BACKUP)), "injected: rename failed"),
        CHECKPOINT_MOVE_MAIN(false, ON_CHECKPOINT.and(step(Step.MOVE_MAIN)), "injected: rename failed"),
        /** The new content is already in place when the directory flush fails: the file changes, and parses. */
        CHECKPOINT_FORCE_DIRECTORY(false, ON_CHECKPOINT.and(step(Step.FORCE_DIRECTORY)),
                "injected: directory fsync failed"),
        /** The checkpoint is written; the segments it covers stay until a later checkpoint deletes them. */
        CHECKPOINT_DELETE_SEGMENT(false, ON_CHECKPOINT.and(step(Step.DELETE)).and(c -> String.valueOf(
                c.file().getFileName()).startsWith(Journal.SEGMENT_PREFIX)), "injected: unlink failed"),
        /** New files cannot be made: the open segment takes appends, no segment roll or checkpoint can start. */
        READ_ONLY_DIRECTORY(false, step(Step.CREATE_SEGMENT).or(step(Step.CREATE_TEMP)), "Read-only file system");

        final boolean journal;
        final Predicate<Call> where;
        final String message;

        Simulated(boolean journal, Predicate<Call> where, String message) {
            this.journal = journal;
            this.where = where;
            this.message = message;
        }

        IOException error(Path file) {
            return this == READ_ONLY_DIRECTORY ? new FileSystemException(file.toString(), null, message)
                    : new IOException(message);
        }

        /** Whether the main sidecar file stays as it was: a checkpoint that fails before its final rename. */
        boolean mainUntouched() {
            return this != CHECKPOINT_FORCE_DIRECTORY && this != CHECKPOINT_DELETE_SEGMENT;
        }
    }

    /** Turns a fault on and off; {@link #off()} returns the first checkpoint after it, if it can tell. */
    private interface Fault {
        void on() throws Exception;

        CompletableFuture<byte[]> off() throws Exception;

        /** @return the failed attempts so far */
        long attempts();
    }

    @ParameterizedTest
    @EnumSource(Simulated.class)
    void shouldReportJournalFaultsKeepCheckpointFaultsHarmlessAndCommitEverythingWhenTheFaultClears(Simulated kind)
            throws Exception {
        FaultyFileOps ops = new FaultyFileOps();
        Path data = Files.createDirectories(root.resolve("data"));
        Fault fault = new Fault() {
            @Override
            public void on() {
                ops.failWhere(kind.where, kind::error);
            }

            @Override
            public CompletableFuture<byte[]> off() {
                return ops.heal();
            }

            @Override
            public long attempts() {
                return ops.injected();
            }
        };
        scenario(kind.name(), data, ops, fault, kind.message, kind.journal, kind.mainUntouched());
        System.out.printf("[crash] state fault %s: %d failing calls injected%n", kind, ops.injected());
        assertThat(ops.injected()).isPositive();
    }

    @Test
    void shouldNotAcknowledgeADurableStartWhileFdatasyncFailsAndRunTheJobOnceTheDiskRecovers() throws Exception {
        FaultyFileOps ops = new FaultyFileOps();
        Path data = Files.createDirectories(root.resolve("data"));
        host = startHost(data, ops);
        Eventually.await(PATIENCE, () -> host.job(ONCE).isPresent(), () -> "plugin " + PLUGIN + " attached");
        host.trigger(MANUAL);
        Eventually.await(PATIENCE, () -> record(MANUAL).runCount() == 1, () -> "the manual run");
        host.flushState().get(10, TimeUnit.SECONDS);
        Map<QName, String> acknowledged = essentials(TestAccess.records(host));
        host.close();

        // The Once job falls due while fdatasync fails (EIO), and is retried every 300 ms. The fault comes on as soon
        // as the start has synced its first segment, seconds before the job is due.
        System.setProperty(ONCE_AT, Long.toString(Instant.now().plusSeconds(5).toEpochMilli()));
        host = startHost(data, ops);
        ops.failAt(Step.FORCE_SEGMENT, f -> new IOException("Input/output error"));
        faultOn = new Fault() {
            @Override
            public void on() {
            }

            @Override
            public CompletableFuture<byte[]> off() {
                return ops.heal();
            }

            @Override
            public long attempts() {
                return ops.injected();
            }
        };
        AdminProbe admin = new AdminProbe(data);
        Eventually.await(PATIENCE, () -> log.lines(Level.WARN).stream().anyMatch(l -> l.contains(ONCE.toString())
                && l.contains("could not be made durable")), () -> "the Once job's start refused");
        long attemptsAtRefusal = ops.injected();
        Eventually.await(PATIENCE, () -> ops.injected() > attemptsAtRefusal, () -> "its start tried again");

        // A start that never reached the disk is not a run: nothing counted, no attempt used, one WARN an outage.
        assertThat(lines("once-ran")).as("runs of the Once job while its start cannot be made durable").isEmpty();
        JobRecord once = record(ONCE);
        assertThat(once.runCount()).as("runs counted for a start that never happened").isZero();
        assertThat(once.failureCount()).as("failures counted for a start that never happened").isZero();
        assertThat(once.lastOutcome()).isEmpty();
        assertThat(log.lines(Level.WARN).stream().filter(l -> l.contains(ONCE.toString())
                && l.contains("could not be made durable"))).as("one WARN for the outage, not one per attempt")
                .hasSize(1).allSatisfy(l -> assertThat(l).contains("Input/output error"));
        JsonNode health = admin.sidecarHealth();
        assertThat(health.get("healthy").asBoolean()).as("/health sidecar.healthy while fdatasync fails").isFalse();
        assertThat(health.get("last_error").asText()).contains("Input/output error");
        StringWriter out = new StringWriter();
        int exit = BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true),
                new PrintWriter(new StringWriter(), true),
                "status", "--data", data.toString());
        assertThat(exit).as("belfry status exit code while fdatasync fails (degraded)").isEqualTo(4);
        assertThat(out.toString()).contains("degraded").contains("failing").contains("Input/output error");
        assertThat(log.lines(Level.ERROR)).as("the failure is logged").anyMatch(l -> l.contains("Input/output error"));
        assertThat(log.lines(Level.WARN)).as("the refused durable start is logged")
                .anyMatch(l -> l.contains("could not be made durable"));
        assertThat(StateOnDisk.read(data).job(ONCE).orElseThrow().runCount())
                .as("no run of the Once job on disk while fdatasync fails").isZero();

        faultOn.off();
        faultOn = null;
        Eventually.await(PATIENCE, () -> healthy(admin), () -> "healthy again once fdatasync works");
        Eventually.await(PATIENCE, () -> lines("once-ran").size() == 1 && record(ONCE).status()
                == JobStatus.COMPLETED, () -> "the Once job runs once the disk recovers");
        out.getBuffer().setLength(0);
        assertThat(BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true),
                new PrintWriter(new StringWriter(), true), "status", "--data", data.toString()))
                .as("belfry status exit code once the disk recovers").isZero();
        assertThat(log.lines(Level.INFO)).anyMatch(l -> l.contains("job state written again"));
        host.flushState().get(10, TimeUnit.SECONDS);
        Map<QName, String> atRecovery = essentials(TestAccess.records(host));
        host.close();
        host = null;

        // A restart: nothing acknowledged is lost, and the Once job is not run again.
        host = startHost(data, SidecarFileOps.nio());
        Eventually.await(PATIENCE, () -> host.job(ONCE).isPresent(), () -> "plugin attached after the restart");
        host.flushState().get(10, TimeUnit.SECONDS);
        assertThat(essentials(TestAccess.records(host))).containsAllEntriesOf(acknowledged)
                .containsAllEntriesOf(atRecovery);
        assertThat(record(ONCE).status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(lines("once-ran")).as("runs of the Once job after the restart").hasSize(1);
    }

    @Test
    void shouldRecoverOnceTheDiskDoesWhenAFailedRetryCouldNotDeleteItsNewSegment() throws Exception {
        FaultyFileOps ops = new FaultyFileOps();
        Path data = Files.createDirectories(root.resolve("data"));
        host = startHost(data, ops);
        Eventually.await(PATIENCE, () -> host.job(DURABLE).isPresent(), () -> "plugin " + PLUGIN + " attached");
        host.flushState().get(10, TimeUnit.SECONDS);
        AdminProbe admin = new AdminProbe(data);
        // A disk that fails every sync and unlink: the retry creates the next segment, cannot sync its header, and
        // cannot delete it either, so the half-made segment stays behind.
        ops.failWhere(ON_WRITER.and(step(Step.FORCE_SEGMENT).or(step(Step.DELETE))),
                f -> new IOException("Input/output error"));
        faultOn = new Fault() {
            @Override
            public void on() {
            }

            @Override
            public CompletableFuture<byte[]> off() {
                return ops.heal();
            }

            @Override
            public long attempts() {
                return ops.injected();
            }
        };
        Eventually.await(PATIENCE, () -> ops.injected() >= 3, () -> "a failed sync, then a retry whose segment stays");
        Eventually.await(PATIENCE, () -> !healthy(admin), () -> "unhealthy while the disk fails");

        faultOn.off();
        faultOn = null;
        Eventually.await(PATIENCE, () -> healthy(admin), () -> "healthy once the disk works again (a segment a"
                + " failed retry left behind must not block every later one)");
        host.trigger(DURABLE);
        Eventually.await(PATIENCE, () -> lines("durable-ran").size() == 1, () -> "a durable start once the disk works");
        host.flushState().get(10, TimeUnit.SECONDS);
        assertThat(StateOnDisk.read(data).job(DURABLE).orElseThrow().runCount()).isEqualTo(1);
        assertThat(log.lines(Level.ERROR)).anyMatch(l -> l.contains("Input/output error"));
        host.close();
        host = null;
        assertThat(Journal.list(data.resolve("_system"))).as("segments left by a clean stop").isEmpty();
    }

    @Test
    void shouldRetryAFailingDiskAboutOnceASecondWhileJobsKeepChangingState() throws Exception {
        // docs/architecture.md: a failed write "is retried every second with the full state". Every state change
        // used to wake the writer from that pause, so a busy engine retried a failing disk at every commit interval.
        FaultyFileOps ops = new FaultyFileOps();
        host = Host.start(TestAccess.sidecarFileOps(HostConfig.builder()
                .dataDir(Files.createDirectories(root.resolve("data"))).pluginsDir(plugins)
                .pluginScanInterval(Duration.ZERO), ops).build());
        Eventually.await(PATIENCE, () -> host.job(BEAT).isPresent(), () -> "plugin " + PLUGIN + " attached");
        host.flushState().get(10, TimeUnit.SECONDS);
        // The journal's writes only: the run history's own log retries at its own pace and is not counted here.
        ops.failWhere(c -> c.step() == Step.WRITE_SEGMENT && c.file().getFileName().toString()
                .startsWith(Journal.SEGMENT_PREFIX), f -> new IOException("injected: write failed"));
        faultOn = new Fault() {
            @Override
            public void on() {
            }

            @Override
            public CompletableFuture<byte[]> off() {
                return ops.heal();
            }

            @Override
            public long attempts() {
                return ops.injected();
            }
        };
        Eventually.await(PATIENCE, () -> ops.injected() > 0, () -> "a failed journal write");
        long from = ops.injected();
        long beatsFrom = record(BEAT).runCount();
        Thread.sleep(3_000); // a real pause: the cadence of the writer's own retries is what is measured

        long retries = ops.injected() - from;
        long changes = record(BEAT).runCount() - beatsFrom;
        System.out.printf("[crash] failing disk: %d write attempts in 3 s while %d runs changed state%n", retries,
                changes);
        assertThat(changes).as("state changes during the window").isGreaterThan(10);
        assertThat(retries).as("write attempts on a failing disk in 3 s (retried every second)").isBetween(1L, 5L);
        assertThat(log.lines(Level.ERROR)).anyMatch(l -> l.contains("injected: write failed"));
    }

    @Test
    void shouldRecoverFromARealFullDiskWhenSpaceIsFreed() throws Exception {
        Path data = Files.createDirectories(root.resolve("tmpfs"));
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=4m,mode=700", "tmpfs", data.toString()),
                "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): real full-disk test skipped");
        mounted = data.toString();
        Path filler = data.resolve("filler");
        AdminProbe[] admin = new AdminProbe[1];
        Fault fault = new Fault() {
            @Override
            public void on() throws IOException {
                admin[0] = new AdminProbe(data);
                fill(filler);
            }

            @Override
            public CompletableFuture<byte[]> off() throws IOException {
                Files.delete(filler);
                return null;
            }

            @Override
            public long attempts() {
                return failures(admin[0]);
            }
        };
        scenario("real full disk (tmpfs)", data, SidecarFileOps.nio(), fault, "No space left on device", true, true);
    }

    @Test
    void shouldKeepEveryChangeWhileARealReadOnlyDirectoryStopsCheckpoints() throws Exception {
        Path data = Files.createDirectories(root.resolve("data"));
        Path system = data.resolve("_system");
        Fault fault = new Fault() {
            @Override
            public void on() {
                // A read-only bind mount of _system over itself: the host's open lock file and its open journal
                // segment stay on the writable mount below, every new file in _system meets a read-only file system.
                // One step (util-linux's new mount API): a bind and a separate read-only remount leave a moment in
                // which a roll opens its new segment on the new mount, and the remount is then refused as busy.
                assertThat(run("mount", "--bind", "-o", "ro", system.toString(), system.toString())).isTrue();
                mounted = system.toString();
            }

            @Override
            public CompletableFuture<byte[]> off() {
                assertThat(run("umount", system.toString())).isTrue();
                mounted = null;
                return null;
            }

            @Override
            public long attempts() {
                return log.lines(Level.ERROR).stream().filter(l -> l.contains("Read-only file system")).count();
            }
        };
        Path probe = Files.createDirectories(root.resolve("probe"));
        boolean canMount = run("mount", "--bind", probe.toString(), probe.toString());
        if (canMount) {
            run("umount", probe.toString());
        }
        Assumptions.assumeTrue(canMount, "cannot bind-mount here (needs root or CAP_SYS_ADMIN): real read-only"
                + " directory test skipped");
        scenario("real read-only directory (read-only bind mount)", data, SidecarFileOps.nio(), fault,
                "Read-only file system", false, true);
    }

    private Host startHost(Path data, SidecarFileOps ops) {
        return Host.start(TestAccess.checkpointEvery(TestAccess.sidecarFileOps(HostConfig.builder().dataDir(data)
                .pluginsDir(plugins).module(AdminModule.onPort(AdminModule.ANY_FREE_PORT))
                .pluginScanInterval(Duration.ZERO).commitInterval(Duration.ofMillis(10)), ops), 1).build());
    }

    private void scenario(String label, Path data, SidecarFileOps ops, Fault fault, String expectedError,
                          boolean journal, boolean mainUntouched) throws Exception {
        host = startHost(data, ops);
        Eventually.await(PATIENCE, () -> host.job(RESUMABLE).isPresent(), () -> "plugin " + PLUGIN + " attached");
        host.pause(RESUMABLE);
        host.flushState().get(10, TimeUnit.SECONDS);
        AdminProbe admin = new AdminProbe(data);
        // A checkpoint at least, so there is a .bak to keep intact too (the noise jobs make more).
        Eventually.await(PATIENCE, () -> Files.exists(StateFiles.backup(data)), () -> label + ": a .bak");
        long beatsBefore = record(BEAT).runCount();

        faultOn = fault;
        fault.on();
        long attemptsBefore = fault.attempts();
        Eventually.await(PATIENCE, () -> fault.attempts() > attemptsBefore, () -> label + ": a failed attempt");
        if (journal) {
            // The retry a second later waits for any checkpoint under way, so from here on the sidecar files are
            // what the fault must keep.
            long first = fault.attempts();
            Eventually.await(PATIENCE, () -> fault.attempts() > first, () -> label + ": a second failed attempt");
        }
        byte[] mainBefore = Files.readAllBytes(StateFiles.main(data));
        byte[] backupBefore = Files.readAllBytes(StateFiles.backup(data));
        host.trigger(MANUAL);
        host.trigger(CHECKPOINTER);
        host.trigger(DURABLE);
        host.pause(PAUSABLE);
        host.cancel(CANCELLABLE);
        host.resume(RESUMABLE);
        // While the journal fails, the durable-start trigger is not a run (its start cannot reach the disk): it is
        // refused with a WARN and tried again; with only checkpoints failing it runs.
        Eventually.await(PATIENCE, () -> record(MANUAL).runCount() == 1 && record(CHECKPOINTER).checkpoint()
                        .isPresent() && (journal ? log.lines(Level.WARN).stream().anyMatch(l -> l.contains(
                        DURABLE.toString()) && l.contains("could not be made durable"))
                        : record(DURABLE).lastOutcome().isPresent()) && host.job(MANUAL).orElseThrow()
                        .running().isEmpty(), () -> label + ": triggered runs end while the fault is on");
        long beatsAfterChanges = record(BEAT).runCount();
        Map<QName, String> changed = essentials(TestAccess.records(host));
        // Two more failed attempts: the later one surely came after the last change.
        long attemptsAfterChanges = fault.attempts();
        Eventually.await(PATIENCE, () -> fault.attempts() >= attemptsAfterChanges + 2,
                () -> label + ": the store keeps trying");

        JsonNode health = admin.sidecarHealth();
        assertThat(log.lines(Level.ERROR)).as("%s: the failure is logged", label)
                .anyMatch(l -> l.contains(expectedError));
        byte[] mainDuring = Files.readAllBytes(StateFiles.main(data));
        SidecarDocument sidecarDuring = CODEC.decode(mainDuring, "main during the fault");
        CODEC.decode(Files.readAllBytes(StateFiles.backup(data)), ".bak during the fault");
        if (mainUntouched) {
            assertThat(Arrays.equals(mainDuring, mainBefore)).as("%s: main file unchanged, byte for byte", label)
                    .isTrue();
            if (journal) {
                assertThat(Arrays.equals(Files.readAllBytes(StateFiles.backup(data)), backupBefore))
                        .as("%s: .bak unchanged, byte for byte", label).isTrue();
            }
        } else {
            assertThat(sidecarDuring.jobs()).as("%s: main file parses and holds every job", label)
                    .hasSize(QUIET.size() + NOISE + 2);
        }
        SidecarDocument loadable = StateOnDisk.read(data);
        JobRecord durable = record(DURABLE);
        if (journal) {
            assertThat(health.get("healthy").asBoolean()).as("%s: /health sidecar.healthy", label).isFalse();
            assertThat(health.get("last_error").asText()).as("%s: /health sidecar.last_error", label)
                    .contains(expectedError);
            assertThat(admin.metric("belfry_sidecar_healthy")).as("%s: belfry_sidecar_healthy", label).hasValue(0.0);
            assertThat(admin.metric("belfry_sidecar_commit_failures_total").orElseThrow())
                    .as("%s: belfry_sidecar_commit_failures_total", label).isPositive();
            // Its start may be in flight again (tried every second), but none ever ends: no failure, no outcome.
            assertThat(durable.failureCount()).as("%s: durable-start trigger counted as a failure", label).isZero();
            assertThat(durable.lastOutcome()).as("%s: durable-start trigger ended as a run", label).isEmpty();
            assertThat(loadable.job(DURABLE).orElseThrow().runCount()).as("%s: durable-start run on disk", label)
                    .isZero();
            assertThat(lines("durable-ran")).as("%s: a durable-start job's code never runs without its start on"
                    + " disk", label).isEmpty();
            assertThat(loadable.job(MANUAL).orElseThrow().runCount()).as("%s: nothing of the fault is on disk",
                    label).isZero();
        } else {
            // The journal holds every change: acknowledged, durable, and what a start would load right now.
            assertThat(health.get("healthy").asBoolean()).as("%s: /health sidecar.healthy (the journal works)",
                    label).isTrue();
            assertThat(durable.lastOutcome().orElseThrow().success()).as("%s: durable-start run", label).isTrue();
            assertThat(lines("durable-ran")).as("%s: the durable-start job ran", label).hasSize(1);
            assertThat(essentials(loadable.jobs())).as("%s: what a start loads during the fault", label)
                    .containsAllEntriesOf(changed);
        }

        // The engine went on: the periodic job fired throughout, the triggered runs completed in memory.
        Eventually.await(PATIENCE, () -> record(BEAT).runCount() >= beatsBefore + 10,
                () -> label + ": " + BEAT + " keeps firing while the fault is on");
        assertThat(record(MANUAL).lastOutcome().orElseThrow().success()).as("%s: manual run", label).isTrue();

        Map<QName, String> expected = new java.util.HashMap<>(essentials(TestAccess.records(host)));
        if (journal) {
            expected.remove(DURABLE); // its refused start runs once the fault is off, checked below
        }
        long checkpointsBefore = sidecarFigure(admin, "checkpoints");
        CompletableFuture<byte[]> firstCheckpoint = fault.off();
        faultOn = null;
        Eventually.await(PATIENCE, () -> healthy(admin), () -> label + ": healthy once the fault is off");
        Eventually.await(PATIENCE, () -> sidecarFigure(admin, "checkpoints") > checkpointsBefore,
                () -> label + ": a checkpoint once the fault is off");
        byte[] committed = firstCheckpoint != null ? firstCheckpoint.get(10, TimeUnit.SECONDS)
                : Files.readAllBytes(StateFiles.main(data));
        SidecarDocument after = CODEC.decode(committed, "first checkpoint after the fault");
        assertThat(essentials(after.jobs())).as("%s: the first checkpoint after the fault", label)
                .containsAllEntriesOf(expected);
        assertThat(after.job(BEAT).orElseThrow().runCount()).as("%s: %s runs in the first checkpoint", label, BEAT)
                .isGreaterThanOrEqualTo(beatsAfterChanges);
        assertThat(admin.metric("belfry_sidecar_healthy")).as("%s: belfry_sidecar_healthy after", label)
                .hasValue(1.0);
        Eventually.await(PATIENCE, () -> lines("durable-ran").size() == 1,
                () -> label + ": the durable-start trigger ran once, after the fault if it was refused");
        long failures = failures(admin);
        host.close();
        host = null;
        assertThat(essentials(StateOnDisk.read(data).jobs())).as("%s: what the next start loads", label)
                .containsAllEntriesOf(expected);
        assertThat(Journal.list(data.resolve("_system"))).as("%s: segments left by a clean stop", label).isEmpty();
        System.out.printf("[crash] state fault %s: %d failures reported, every change of the fault in the first"
                + " checkpoint after it%n", label, failures);
    }

    /** @return the lines a job appended to {@code file} (one per run of its code) */
    private List<String> lines(String file) {
        Path p = root.resolve(file);
        try {
            return Files.exists(p) ? Files.readAllLines(p, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<QName, String> essentials(List<JobRecord> jobs) {
        Map<QName, String> out = new HashMap<>();
        for (JobRecord r : jobs) {
            if (QUIET.contains(r.qname())) {
                out.put(r.qname(), essentials(r));
            }
        }
        return out;
    }

    private static String essentials(JobRecord r) {
        return "runs=" + r.runCount() + " failures=" + r.failureCount() + " paused="
                + r.paused() + " checkpoint=" + r.checkpoint().orElse("-") + " outcome=" + r.lastOutcome()
                .map(o -> o.success() + ":" + o.message()).orElse("-");
    }

    private JobRecord record(QName q) {
        return TestAccess.record(host, q);
    }

    private static long failures(AdminProbe admin) {
        return sidecarFigure(admin, "failures");
    }

    private static long sidecarFigure(AdminProbe admin, String name) {
        try {
            return admin.sidecarHealth().get(name).asLong();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static boolean healthy(AdminProbe admin) {
        try {
            return admin.sidecarHealth().get("healthy").asBoolean();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Fills the file system until a write fails for want of space. */
    static void fill(Path filler) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
                out.flush();
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
    }

    static boolean run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
