package dev.belfry.host.reliability.crash;

import dev.belfry.host.TestAccess;
import dev.belfry.host.admin.AdminModule;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.belfry.api.QName;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.reliability.crash.FaultyFileOps.Step;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.PluginJarBuilder;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFileOps;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/**
 * I/O faults at every step of the durable write, with a whole host running: while the fault is on, the previous
 * file stays intact and parseable, the failure shows in the log, {@code GET /health} and {@code GET /metrics}, and
 * the engine keeps firing; once it is off, the next successful commit holds every change made during the fault.
 * Simulated faults go through {@code HostConfig.sidecarFileOps}; a real full disk (a small tmpfs) and a real read-only
 * directory (a read-only bind mount) run where the machine lets the test mount, and are skipped otherwise.
 */
class SidecarFaultTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final String PLUGIN = "steady";
    private static final QName BEAT = QName.parse("steady.beat");
    private static final QName MANUAL = QName.parse("steady.manual");
    private static final QName DURABLE = QName.parse("steady.durable-manual");
    private static final QName CHECKPOINTER = QName.parse("steady.checkpointer");
    private static final QName PAUSABLE = QName.parse("steady.pausable");
    private static final QName CANCELLABLE = QName.parse("steady.cancellable");
    private static final QName RESUMABLE = QName.parse("steady.resumable");
    /**
     * The jobs that change only when the test changes them, so their state on disk can be compared exactly. Not the
     * durable-start job: its fire is tried again once a second, so it runs as soon as the disk takes writes again.
     */
    private static final List<QName> QUIET = List.of(MANUAL, CHECKPOINTER, PAUSABLE, CANCELLABLE, RESUMABLE);
    private static final String NOT_DURABLE = "job " + DURABLE + ": its start could not be made durable";
    private static final SidecarCodec CODEC = new SidecarCodec();

    @TempDir
    static Path plugins;
    @TempDir
    Path root;

    @RegisterExtension
    final LogCapture engineLog = LogCapture.of(Engine.class);

    private Host host;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private Logger writerLog;
    private String mounted;
    private Fault faultOn;

    @BeforeAll
    static void buildPlugin() {
        PluginJarBuilder.plugin(PLUGIN)
                .extension("steady.Beat", job("Beat", "beat", "Schedule.every(Duration.ofMillis(50))", "", ""))
                .extension("steady.Manual", job("Manual", "manual", "Schedule.manual()", "", ""))
                .extension("steady.DurableManual", job("DurableManual", "durable-manual", "Schedule.manual()",
                        ".durableStart(true)", "java.nio.file.Files.writeString(java.nio.file.Path.of(System"
                                + ".getProperty(\"belfry.crash.dir\"), \"durable-ran\"), \"ran\");"))
                .extension("steady.Checkpointer", job("Checkpointer", "checkpointer", "Schedule.manual()", "",
                        "c.saveCheckpoint(Long.toString(c.checkpoint().map(Long::parseLong).orElse(0L) + 1));"))
                .extension("steady.Pausable", job("Pausable", "pausable", HOURLY, "", ""))
                .extension("steady.Cancellable", job("Cancellable", "cancellable", HOURLY, "", ""))
                .extension("steady.Resumable", job("Resumable", "resumable", HOURLY, "", ""))
                .writeTo(plugins, PLUGIN + ".jar");
    }

    private static final String HOURLY = "Schedule.every(Duration.ofHours(1), PeriodicMode.FIXED_RATE, "
            + "Duration.ofHours(1))";

    private static String job(String cls, String name, String schedule, String specExtra, String body) {
        return "package steady;\nimport dev.belfry.api.*;\nimport dev.belfry.api.schedule.*;\nimport java.time.Duration;\n"
                + "public class " + cls + " implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"" + name + "\", " + schedule + ")" + specExtra
                + ".build(); }\n"
                + "  public void run(JobContext c) throws Exception { " + body + " }\n}\n";
    }

    @BeforeEach
    void captureLog() {
        writerLog = (Logger) LoggerFactory.getLogger("dev.belfry.host.internal.state.JournalStore");
        log.start();
        writerLog.addAppender(log);
        writerLog.setAdditive(false); // the injected failures are asserted below, not printed
        System.setProperty(ChurnPlugin.DIR_PROPERTY, root.toString());
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
            writerLog.detachAppender(log);
            writerLog.setAdditive(true);
            if (mounted != null) {
                run("umount", mounted);
            }
        }
    }

    /** A simulated fault: one step of the write fails with the given error. */
    enum Simulated {
        WRITE(Step.WRITE, f -> new IOException("injected: write failed"), "injected: write failed", true),
        FORCE(Step.FORCE, f -> new IOException("injected: fsync failed"), "injected: fsync failed", true),
        COPY_BACKUP(Step.COPY_BACKUP, f -> new IOException("injected: copy failed"), "injected: copy failed", true),
        MOVE_BACKUP(Step.MOVE_BACKUP, f -> new IOException("injected: rename failed"), "injected: rename failed",
                true),
        MOVE_MAIN(Step.MOVE_MAIN, f -> new IOException("injected: rename failed"), "injected: rename failed", true),
        /** The new content is already in place when the directory flush fails: the file changes, and parses. */
        FORCE_DIRECTORY(Step.FORCE_DIRECTORY, f -> new IOException("injected: directory fsync failed"),
                "injected: directory fsync failed", false),
        DISK_FULL(Step.WRITE, f -> new IOException("No space left on device"), "No space left on device", true),
        READ_ONLY_DIRECTORY(Step.CREATE_TEMP, f -> new FileSystemException(f.toString(), null,
                "Read-only file system"), "Read-only file system", true);

        final Step step;
        final java.util.function.Function<Path, IOException> error;
        final String message;
        final boolean mainUntouched;

        Simulated(Step step, java.util.function.Function<Path, IOException> error, String message,
                  boolean mainUntouched) {
            this.step = step;
            this.error = error;
            this.message = message;
            this.mainUntouched = mainUntouched;
        }
    }

    /** Turns a fault on and off; {@link #off()} returns the first commit after it, if it can tell. */
    private interface Fault {
        void on() throws Exception;

        CompletableFuture<byte[]> off() throws Exception;
    }

    @ParameterizedTest
    @EnumSource(Simulated.class)
    void shouldKeepTheFileReportTheFaultKeepFiringAndCommitEverythingWhenTheFaultClears(Simulated kind)
            throws Exception {
        FaultyFileOps ops = new FaultyFileOps();
        Path data = Files.createDirectories(root.resolve("data"));
        Fault fault = new Fault() {
            @Override
            public void on() {
                ops.failAt(kind.step, kind.error);
            }

            @Override
            public CompletableFuture<byte[]> off() {
                return ops.heal();
            }
        };
        scenario(kind.name(), data, ops, fault, kind.message, kind.mainUntouched);
        System.out.printf("[crash] sidecar fault %s: %d failing calls injected%n", kind, ops.injected());
        assertThat(ops.injected()).isPositive();
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
        ops.failAt(Step.WRITE, f -> new IOException("injected: write failed"));
        faultOn = new Fault() {
            @Override
            public void on() {
            }

            @Override
            public CompletableFuture<byte[]> off() {
                return ops.heal();
            }
        };
        Eventually.await(PATIENCE, () -> ops.injected() > 0, () -> "a failed write");
        long from = ops.injected();
        long beatsFrom = record(BEAT).runCount();
        Thread.sleep(3_000); // a real pause: the cadence of the writer's own retries is what is measured

        long retries = ops.injected() - from;
        long changes = record(BEAT).runCount() - beatsFrom;
        System.out.printf("[crash] failing disk: %d write attempts in 3 s while %d runs changed state%n", retries,
                changes);
        assertThat(changes).as("state changes during the window").isGreaterThan(10);
        assertThat(retries).as("write attempts on a failing disk in 3 s (retried every second)").isBetween(1L, 5L);
    }

    @Test
    void shouldRecoverFromARealFullDiskWhenSpaceIsFreed() throws Exception {
        Path data = Files.createDirectories(root.resolve("tmpfs"));
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=4m,mode=700", "tmpfs", data.toString()),
                "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): real full-disk test skipped");
        mounted = data.toString();
        Path filler = data.resolve("filler");
        Fault fault = new Fault() {
            @Override
            public void on() throws IOException {
                fill(filler);
            }

            @Override
            public CompletableFuture<byte[]> off() throws IOException {
                Files.delete(filler);
                return null;
            }
        };
        scenario("real full disk (tmpfs)", data, SidecarFileOps.nio(), fault, "No space left on device", true);
    }

    @Test
    void shouldRecoverFromARealReadOnlyDirectoryWhenItIsWritableAgain() throws Exception {
        Path data = Files.createDirectories(root.resolve("data"));
        Path system = data.resolve("_system");
        Fault fault = new Fault() {
            @Override
            public void on() {
                // A read-only bind mount of _system over itself: the host's open lock file stays on the writable
                // mount below, every new file operation in _system meets a read-only file system.
                assertThat(run("mount", "--bind", system.toString(), system.toString())).isTrue();
                mounted = system.toString();
                assertThat(run("mount", "-o", "remount,bind,ro", system.toString())).isTrue();
            }

            @Override
            public CompletableFuture<byte[]> off() {
                assertThat(run("umount", system.toString())).isTrue();
                mounted = null;
                return null;
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
                "Read-only file system", true);
    }

    private void scenario(String label, Path data, SidecarFileOps ops, Fault fault, String expectedError,
                          boolean mainUntouched) throws Exception {
        host = Host.start(TestAccess.sidecarFileOps(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO), ops).build());
        Eventually.await(PATIENCE, () -> host.job(RESUMABLE).isPresent(), () -> "plugin " + PLUGIN + " attached");
        host.pause(RESUMABLE);
        host.flushState().get(10, TimeUnit.SECONDS);
        // A second generation at least, so there is a .bak to keep intact too (the periodic job makes more).
        Eventually.await(PATIENCE, () -> Files.exists(StateFiles.backup(data)), () -> label + ": a .bak");
        AdminProbe admin = new AdminProbe(data);
        long failuresBefore = failures(admin);
        long beatsBefore = record(BEAT).runCount();

        faultOn = fault;
        fault.on();
        // A write already past the failing step when the fault came on may still land; the one writer thread
        // makes no other, so once a failure is seen the files are what the fault must keep.
        Eventually.await(PATIENCE, () -> failures(admin) > failuresBefore, () -> label + ": a failed write");
        byte[] mainBefore = Files.readAllBytes(StateFiles.main(data));
        byte[] backupBefore = Files.readAllBytes(StateFiles.backup(data));
        host.trigger(MANUAL);
        host.trigger(CHECKPOINTER);
        host.trigger(DURABLE);
        host.pause(PAUSABLE);
        host.cancel(CANCELLABLE);
        host.resume(RESUMABLE);
        Eventually.await(PATIENCE, () -> record(MANUAL).runCount() == 1 && record(CHECKPOINTER).checkpoint()
                        .isPresent() && !engineLog.matching(Level.WARN, NOT_DURABLE).isEmpty()
                        && host.job(MANUAL).orElseThrow()
                        .running().isEmpty(), () -> label + ": triggered runs end while the disk fails");
        long beatsAfterChanges = record(BEAT).runCount();
        long failuresAfterChanges = admin.sidecarHealth().get("failures").asLong();
        // Two more failed attempts: the later one surely took its snapshot after the last change.
        Eventually.await(PATIENCE, () -> failures(admin) >= failuresAfterChanges + 2,
                () -> label + ": the writer keeps retrying");

        JsonNode health = admin.sidecarHealth();
        assertThat(health.get("healthy").asBoolean()).as("%s: /health sidecar.healthy", label).isFalse();
        assertThat(health.get("last_error").asText()).as("%s: /health sidecar.last_error", label)
                .contains(expectedError);
        assertThat(admin.metric("belfry_sidecar_healthy")).as("%s: belfry_sidecar_healthy", label).hasValue(0.0);
        assertThat(admin.metric("belfry_sidecar_commit_failures_total").orElseThrow())
                .as("%s: belfry_sidecar_commit_failures_total", label).isPositive();
        assertThat(log.list).as("%s: the failure is logged", label).anyMatch(e -> e.getLevel() == Level.ERROR
                && e.getFormattedMessage().contains(expectedError));

        byte[] mainDuring = Files.readAllBytes(StateFiles.main(data));
        SidecarDocument onDisk = CODEC.decode(mainDuring, "main during the fault");
        if (mainUntouched) {
            assertThat(Arrays.equals(mainDuring, mainBefore)).as("%s: main file unchanged, byte for byte", label)
                    .isTrue();
            // A failed rename of the new file comes after the .bak was refreshed from the (unchanged) main file.
            byte[] backupExpected = label.equals(Simulated.MOVE_MAIN.name()) ? mainBefore : backupBefore;
            assertThat(Arrays.equals(Files.readAllBytes(StateFiles.backup(data)), backupExpected))
                    .as("%s: .bak unchanged, byte for byte", label).isTrue();
        } else {
            assertThat(onDisk.jobs()).as("%s: main file parses and holds every job", label).hasSize(7);
        }
        CODEC.decode(Files.readAllBytes(StateFiles.backup(data)), ".bak during the fault");

        // The engine went on: the periodic job fired throughout, the triggered runs completed in memory.
        Eventually.await(PATIENCE, () -> record(BEAT).runCount() >= beatsBefore + 10,
                () -> label + ": " + BEAT + " keeps firing while the disk fails");
        assertThat(record(MANUAL).lastOutcome().orElseThrow().success()).as("%s: manual run", label).isTrue();
        // A start that could not be made durable is not a run: nothing counted, one line for the whole fault.
        JobRecord durable = record(DURABLE);
        assertThat(durable.runCount()).as("%s: durable-start runs counted", label).isZero();
        assertThat(durable.failureCount()).as("%s: durable-start failures counted", label).isZero();
        assertThat(durable.lastOutcome()).as("%s: durable-start outcome", label).isEmpty();
        assertThat(engineLog.matching(Level.WARN, NOT_DURABLE)).as("%s: the refused durable start is logged once",
                label).hasSize(1);
        assertThat(root.resolve("durable-ran")).as("%s: a durable-start job's code never runs without its start"
                + " on disk", label).doesNotExist();

        Map<QName, String> expected = new HashMap<>();
        for (QName q : QUIET) {
            expected.put(q, essentials(record(q)));
        }
        CompletableFuture<byte[]> firstCommit = fault.off();
        faultOn = null;
        Eventually.await(PATIENCE, () -> healthy(admin), () -> label + ": healthy again once the fault is off");
        byte[] committed = firstCommit != null ? firstCommit.get(10, TimeUnit.SECONDS)
                : Files.readAllBytes(StateFiles.main(data));
        SidecarDocument after = CODEC.decode(committed, "first commit after the fault");
        for (QName q : QUIET) {
            assertThat(after.job(q).map(SidecarFaultTest::essentials)).as("%s: %s in the first commit after the"
                    + " fault", label, q).contains(expected.get(q));
        }
        assertThat(after.job(BEAT).orElseThrow().runCount()).as("%s: %s runs in the first commit", label, BEAT)
                .isGreaterThanOrEqualTo(beatsAfterChanges);
        assertThat(admin.metric("belfry_sidecar_healthy")).as("%s: belfry_sidecar_healthy after", label)
                .hasValue(1.0);
        Eventually.await(PATIENCE, () -> Files.exists(root.resolve("durable-ran"))
                        && record(DURABLE).lastOutcome().map(o -> o.success()).orElse(false),
                () -> label + ": the durable-start fire runs once the disk takes writes again");
        assertThat(record(DURABLE).runCount()).as("%s: durable-start runs after the fault", label).isEqualTo(1);
        assertThat(record(DURABLE).failureCount()).as("%s: durable-start failures after the fault", label).isZero();
        System.out.printf("[crash] sidecar fault %s: %d failed commits reported, every change of the fault in the"
                + " first commit after it%n", label, failures(admin));
    }

    private static String essentials(JobRecord r) {
        return "status=" + r.status() + " runs=" + r.runCount() + " failures=" + r.failureCount() + " paused="
                + r.paused() + " checkpoint=" + r.checkpoint().orElse("-") + " outcome=" + r.lastOutcome()
                .map(o -> o.success() + ":" + o.message()).orElse("-") + " version=" + r.version();
    }

    private JobRecord record(QName q) {
        return TestAccess.record(host, q);
    }

    private static long failures(AdminProbe admin) {
        try {
            return admin.sidecarHealth().get("failures").asLong();
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
