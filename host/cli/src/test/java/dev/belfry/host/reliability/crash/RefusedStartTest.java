package dev.belfry.host.reliability.crash;

import dev.belfry.host.TestAccess;
import dev.belfry.host.admin.AdminModule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.belfry.api.QName;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.HostStartException;
import dev.belfry.host.reliability.crash.FaultyFileOps.Step;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.PluginJarBuilder;
import dev.belfry.host.testing.StateOnDisk;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarFileOps;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A start that is refused is refused before any job fires, names its real cause, and leaves nothing running (the
 * data directory can be used again at once); a shutdown on a full disk keeps the writer's retry pause and ends
 * within the shutdown grace, logging how many changes did not reach the disk.
 */
class RefusedStartTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final String PLUGIN = "eager";
    private static final QName TICK = QName.parse("eager.tick");
    private static final QName MANUAL = QName.parse("eager.manual");

    @TempDir
    static Path plugins;
    @TempDir
    Path root;

    private Path data;
    private Path fired;
    private Host host;
    private final ListAppender<ILoggingEvent> writerLog = new ListAppender<>();
    private Logger writerLogger;

    @BeforeAll
    static void buildPlugin() {
        PluginJarBuilder.plugin(PLUGIN)
                .extension("eager.Tick", job("Tick", "tick", "Schedule.every(Duration.ofMillis(20))",
                        "java.nio.file.Files.writeString(java.nio.file.Path.of(System.getProperty(\""
                                + ChurnPlugin.DIR_PROPERTY + "\"), \"fired\"), \"fired\");"))
                .extension("eager.Manual", job("Manual", "manual", "Schedule.manual()", ""))
                .writeTo(plugins, PLUGIN + ".jar");
    }

    private static String job(String cls, String name, String schedule, String body) {
        return "package eager;\nimport dev.belfry.api.*;\nimport dev.belfry.api.schedule.*;\n"
                + "import java.time.Duration;\n"
                + "public class " + cls + " implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"" + name + "\", " + schedule + ").build(); }\n"
                + "  public void run(JobContext c) throws Exception { " + body + " }\n}\n";
    }

    @BeforeEach
    void setUp() throws IOException {
        data = Files.createDirectories(root.resolve("data"));
        fired = root.resolve("fired");
        System.setProperty(ChurnPlugin.DIR_PROPERTY, root.toString());
        writerLogger = (Logger) LoggerFactory.getLogger("dev.belfry.host.internal.state.JournalStore");
        writerLog.start();
        writerLogger.addAppender(writerLog);
        writerLogger.setAdditive(false); // the injected failures are asserted, not printed
    }

    @AfterEach
    void tearDown() {
        try {
            if (host != null) {
                host.close();
            }
        } finally {
            writerLogger.detachAppender(writerLog);
            writerLogger.setAdditive(true);
        }
    }

    private HostConfig.Builder config(SidecarFileOps ops) {
        return TestAccess.sidecarFileOps(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .pluginScanInterval(Duration.ZERO), ops);
    }

    /** @return the host's threads alive now that were not alive in {@code before} */
    private static Set<String> newHostThreads(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !before.contains(t) && t.getName().startsWith("belfry-"))
                .map(Thread::getName).collect(Collectors.toSet());
    }

    @Test
    void shouldRefuseToStartOnAFullDiskBeforeAnyPluginLoadsAndFreeTheDataDirectory() throws Exception {
        FaultyFileOps ops = new FaultyFileOps();
        // A full disk fails every write: on a new data directory the first is the start's checkpoint.
        ops.failWhere(c -> c.step() == Step.WRITE || c.step() == Step.WRITE_SEGMENT,
                f -> new IOException("No space left on device"));
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());

        HostStartException e = catchThrowableOfType(HostStartException.class,
                () -> host = Host.start(config(ops).module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).build()));

        assertThat(e).as("a start on a full disk is refused").isNotNull();
        assertThat(e.getMessage()).startsWith("the job state cannot be written, so the host does not start: could"
                + " not write " + StateFiles.main(data)).endsWith("No space left on device").doesNotContain("admin");
        assertThat(fired).as("no job ran").doesNotExist();
        assertThat(newHostThreads(before)).as("threads left running by the refused start").isEmpty();
        assertThat(data.resolve("admin.url")).as("no admin API was opened").doesNotExist();

        ops.heal();
        host = Host.start(config(ops).module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).build());
        Eventually.await(PATIENCE, () -> Files.exists(fired), () -> "the job runs once the disk has room");
    }

    @Test
    void shouldRefuseToStartOnARealFullDiskBeforeAnyJobFires() throws Exception {
        Path tmpfs = Files.createDirectories(root.resolve("tmpfs"));
        Assumptions.assumeTrue(SidecarFaultTest.run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs",
                tmpfs.toString()), "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): real full disk skipped");
        try {
            data = tmpfs;
            host = Host.start(config(SidecarFileOps.nio()).module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).build());
            Eventually.await(PATIENCE, () -> host.job(TICK).isPresent(), () -> "plugin " + PLUGIN + " attached");
            host.close();
            host = null;
            Files.deleteIfExists(fired);
            SidecarFaultTest.fill(tmpfs.resolve("filler"));
            byte[] before = Files.readAllBytes(StateFiles.main(data));

            HostStartException e = catchThrowableOfType(HostStartException.class,
                    () -> host = Host.start(config(SidecarFileOps.nio()).module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).build()));

            assertThat(e).as("a start on a full disk is refused").isNotNull();
            // The state was checkpointed at the clean stop: the start's first write is the next journal segment.
            assertThat(e.getMessage()).startsWith("the job state cannot be written, so the host does not start:"
                    + " could not create journal segment " + data.resolve("_system").resolve(Journal.SEGMENT_PREFIX))
                    .endsWith("No space left on device");
            assertThat(fired).as("no job ran").doesNotExist();
            assertThat(Files.readAllBytes(StateFiles.main(data))).as("the state file is unchanged").isEqualTo(before);
            assertThat(Journal.list(data.resolve("_system"))).as("no segment left by the refused start").isEmpty();
            assertThat(StateOnDisk.read(data).jobs()).as("what the next start loads")
                    .isEqualTo(new SidecarCodec().decode(before, "before").jobs());
        } finally {
            if (host != null) {
                host.close();
                host = null;
            }
            SidecarFaultTest.run("umount", tmpfs.toString());
        }
    }

    @Test
    void shouldNameTheFileInTheWayWhenSystemIsAFileNotADirectory() throws Exception {
        Path system = data.resolve("_system");
        Files.writeString(system, "not a directory");

        HostStartException e = catchThrowableOfType(HostStartException.class,
                () -> host = Host.start(config(SidecarFileOps.nio()).module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).build()));

        assertThat(e.getMessage()).isEqualTo("cannot use data directory " + data + ": " + system
                + ": is in the way (it exists, and is not a directory)");
    }

    @Test
    void shouldNameTheTokenFileNotThePortWhenTheAdminFilesCannotBeWritten() throws Exception {
        // A directory in the token file's place: the write fails as on a read-only (chattr +i) data directory, even
        // for root, who may write through mode bits.
        Path token = data.resolve("admin.token");
        Files.createDirectories(token.resolve("in-the-way"));

        HostStartException e = catchThrowableOfType(HostStartException.class,
                () -> host = Host.start(config(SidecarFileOps.nio()).module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).build()));

        assertThat(e).as("a start that cannot write the token file is refused").isNotNull();
        assertThat(e.getMessage()).startsWith("admin API cannot start: cannot write " + token + ": ")
                .doesNotContain("cannot listen").doesNotContain("--admin-port");
        assertThat(fired).as("no job ran").doesNotExist();
    }

    @Test
    void shouldRefuseToStartWhenTheAdminPortIsTakenBeforeAnyJobFiresAndStopWhatItStarted() throws Exception {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            HostStartException e = catchThrowableOfType(HostStartException.class,
                    () -> host = Host.start(config(SidecarFileOps.nio()).module(AdminModule.onPort(taken.getLocalPort())).build()));

            assertThat(e).as("a start whose admin port is taken is refused").isNotNull();
            assertThat(e.getMessage()).startsWith("admin API cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
        assertThat(fired).as("no job ran").doesNotExist();
        assertThat(new SidecarCodec().decode(Files.readAllBytes(StateFiles.main(data)), "state").jobs())
                .as("no plugin was loaded, so no job was attached").isEmpty();
        assertThat(newHostThreads(before)).as("threads left running by the refused start").isEmpty();

        host = Host.start(config(SidecarFileOps.nio()).module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).build());
        Eventually.await(PATIENCE, () -> Files.exists(fired), () -> "the job runs in a start that succeeds");
    }

    @Test
    void shouldRetryOnceASecondAndEndWithinTheGraceWhenStoppingOnAFullDisk() throws Exception {
        FaultyFileOps ops = new FaultyFileOps();
        Duration grace = Duration.ofSeconds(3);
        host = Host.start(config(ops).module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).shutdownGrace(grace).build());
        Eventually.await(PATIENCE, () -> host.job(MANUAL).isPresent(), () -> "plugin " + PLUGIN + " attached");
        host.flushState().get(10, TimeUnit.SECONDS);
        // A full disk fails the journal's writes and the checkpoint's (the store's last try at close is a
        // checkpoint alone). The run history's own log, which retries at its own pace, is left out of the count.
        ops.failWhere(c -> (c.step() == Step.WRITE_SEGMENT && c.file().getFileName().toString()
                .startsWith(Journal.SEGMENT_PREFIX)) || c.step() == Step.WRITE,
                f -> new IOException("No space left on device"));
        Eventually.await(PATIENCE, () -> ops.injected() > 0, () -> "a failed journal write");
        host.trigger(MANUAL);
        Eventually.await(PATIENCE, () -> host.job(MANUAL).orElseThrow().runCount() == 1,
                () -> "the manual run");

        long attemptsBefore = ops.injected();
        long started = System.nanoTime();
        assertThat(host.unsavedChanges()).as("before close").isZero();
        host.close();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        long attempts = ops.injected() - attemptsBefore;
        long unsaved = host.unsavedChanges();
        host = null;

        // A tight loop made 31,129 attempts in 30 s and the writer waited 30 s past the grace.
        assertThat(attempts).as("write attempts while stopping (once a second)").isBetween(1L, 5L);
        assertThat(took).as("close() on a full disk, grace %s", grace).isLessThan(grace.plusSeconds(2));
        List<String> errors = writerLog.list.stream().filter(ev -> ev.getLevel() == Level.ERROR)
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(errors).last().asString().matches("state store stopped with [1-9][0-9]* change\\(s\\) not on"
                + " disk \\(.*No space left on device\\); .* and its journal hold the last successful commit, of .*");
        assertThat(errors.get(errors.size() - 1)).as("the count belfry run exits 1 on")
                .startsWith("state store stopped with " + unsaved + " change(s)");
        assertThat(unsaved).isPositive();
    }
}
