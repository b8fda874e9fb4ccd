package dev.belfry.host.reliability.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.TestAccess;
import dev.belfry.host.reliability.crash.FaultyFileOps.Call;
import dev.belfry.host.reliability.crash.FaultyFileOps.Step;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.PluginJarBuilder;
import dev.belfry.host.testing.StateOnDisk;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFileOps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A crash at every step of a checkpoint, of a segment roll and of a journal append, with a whole host running: the
 * files the crash leaves (every file operation from the crashing step on fails, a write is torn in half) load, both
 * read as a start would ({@link StateOnDisk}) and by a host started on a copy of them; every change acknowledged
 * before the crash is there, and the durable-start Once job that fired before the crash does not fire again.
 *
 * <p>Checkpoints come every few KiB of journal here ({@code TestAccess.checkpointEvery}), and nine 10 ms jobs with
 * a 10 ms commit interval write that much in well under a second, so each step is reached soon after the crash is
 * armed.
 */
class CheckpointCrashTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final String PLUGIN = "crashy";
    private static final String ONCE_AT = "belfry.crash.once-at";
    private static final QName BEAT = QName.parse("crashy.beat");
    private static final QName ONCE = QName.parse("crashy.once");
    private static final QName MANUAL = QName.parse("crashy.manual");
    private static final QName DURABLE = QName.parse("crashy.durable-manual");
    private static final QName CHECKPOINTER = QName.parse("crashy.checkpointer");
    private static final QName PAUSABLE = QName.parse("crashy.pausable");
    /** Jobs that only fill the journal, so a checkpoint is due every few hundred milliseconds. */
    private static final int NOISE = 8;
    /** The jobs that change only when the test changes them, so their acknowledged state can be compared exactly. */
    private static final List<QName> QUIET = List.of(ONCE, MANUAL, DURABLE, CHECKPOINTER, PAUSABLE);

    @TempDir
    static Path plugins;
    @TempDir
    Path root;

    @RegisterExtension
    final LogCapture log = LogCapture.ofNames("dev.belfry.host");

    private Host host;

    @BeforeAll
    static void buildPlugin() {
        String appendLine = "java.nio.file.Files.writeString(java.nio.file.Path.of(System.getProperty(\""
                + ChurnPlugin.DIR_PROPERTY + "\"), \"%s\"), c.scheduledFor() + \"\\n\", java.nio.file"
                + ".StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);";
        PluginJarBuilder jar = PluginJarBuilder.plugin(PLUGIN);
        for (int i = 0; i < NOISE; i++) {
            jar.extension("crashy.Noise" + i, job("Noise" + i, "noise-" + i, "Schedule.every(Duration.ofMillis(10))",
                    "", ""));
        }
        jar.extension("crashy.Beat", job("Beat", "beat", "Schedule.every(Duration.ofMillis(10))", "", ""))
                .extension("crashy.Once", job("Once", "once", "Schedule.once(java.time.Instant.ofEpochMilli(Long"
                        + ".getLong(\"" + ONCE_AT + "\")))", "", appendLine.formatted("once-ran")))
                .extension("crashy.Manual", job("Manual", "manual", "Schedule.manual()", "", ""))
                .extension("crashy.DurableManual", job("DurableManual", "durable-manual", "Schedule.manual()",
                        ".durableStart(true)", appendLine.formatted("durable-ran")))
                .extension("crashy.Checkpointer", job("Checkpointer", "checkpointer", "Schedule.manual()", "",
                        "c.saveCheckpoint(Long.toString(c.checkpoint().map(Long::parseLong).orElse(0L) + 1));"))
                .extension("crashy.Pausable", job("Pausable", "pausable", "Schedule.every(Duration.ofHours(1),"
                        + " PeriodicMode.FIXED_RATE, Duration.ofHours(1))", "", ""))
                .writeTo(plugins, PLUGIN + ".jar");
    }

    private static String job(String cls, String name, String schedule, String specExtra, String body) {
        return "package crashy;\nimport dev.belfry.api.*;\nimport dev.belfry.api.schedule.*;\n"
                + "import java.time.Duration;\npublic class " + cls + " implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"" + name + "\", " + schedule + ")" + specExtra
                + ".build(); }\n  public void run(JobContext c) throws Exception { " + body + " }\n}\n";
    }

    @BeforeEach
    void setUp() {
        System.setProperty(ChurnPlugin.DIR_PROPERTY, root.toString());
        System.setProperty(ONCE_AT, Long.toString(Instant.now().toEpochMilli()));
    }

    @AfterEach
    void tearDown() {
        if (host != null) {
            host.close();
        }
    }

    private static final Predicate<Call> ON_WRITER = c -> c.on(FaultyFileOps.WRITER_THREAD);
    private static final Predicate<Call> ON_CHECKPOINT = c -> c.on(FaultyFileOps.CHECKPOINT_THREAD);

    /** Where the crash happens: the call that does not complete, and from which on nothing reaches the disk. */
    enum CrashPoint {
        ROLL_CREATE_SEGMENT(ON_WRITER.and(c -> c.step() == Step.CREATE_SEGMENT)),
        ROLL_HEADER_WRITE(ON_WRITER.and(c -> c.step() == Step.WRITE_SEGMENT && c.header())),
        ROLL_HEADER_SYNC(ON_WRITER.and(c -> c.step() == Step.FORCE_SEGMENT && c.header())),
        ROLL_FORCE_DIRECTORY(ON_WRITER.and(c -> c.step() == Step.FORCE_DIRECTORY)),
        CHECKPOINT_CREATE_TEMP(ON_CHECKPOINT.and(c -> c.step() == Step.CREATE_TEMP)),
        CHECKPOINT_WRITE(ON_CHECKPOINT.and(c -> c.step() == Step.WRITE)),
        CHECKPOINT_FORCE(ON_CHECKPOINT.and(c -> c.step() == Step.FORCE && !name(c).endsWith(".bak.tmp"))),
        CHECKPOINT_COPY_BACKUP(ON_CHECKPOINT.and(c -> c.step() == Step.COPY_BACKUP)),
        CHECKPOINT_FORCE_BACKUP(ON_CHECKPOINT.and(c -> c.step() == Step.FORCE && name(c).endsWith(".bak.tmp"))),
        CHECKPOINT_MOVE_BACKUP(ON_CHECKPOINT.and(c -> c.step() == Step.MOVE_BACKUP)),
        CHECKPOINT_MOVE_MAIN(ON_CHECKPOINT.and(c -> c.step() == Step.MOVE_MAIN)),
        CHECKPOINT_FORCE_DIRECTORY(ON_CHECKPOINT.and(c -> c.step() == Step.FORCE_DIRECTORY
                && c.previous() == Step.MOVE_MAIN)),
        CHECKPOINT_DELETE_COVERED_SEGMENT(ON_CHECKPOINT.and(c -> c.step() == Step.DELETE
                && name(c).startsWith(Journal.SEGMENT_PREFIX))),
        CHECKPOINT_FORCE_DIRECTORY_AFTER_DELETE(ON_CHECKPOINT.and(c -> c.step() == Step.FORCE_DIRECTORY
                && c.previous() == Step.DELETE)),
        APPEND_WRITE(ON_WRITER.and(c -> c.step() == Step.WRITE_SEGMENT && !c.header())),
        APPEND_SYNC(ON_WRITER.and(c -> c.step() == Step.FORCE_SEGMENT && !c.header()));

        final Predicate<Call> where;

        CrashPoint(Predicate<Call> where) {
            this.where = where;
        }

        private static String name(Call c) {
            return String.valueOf(c.file().getFileName());
        }
    }

    private Host start(Path data, SidecarFileOps ops) {
        HostConfig.Builder b = HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .pluginScanInterval(Duration.ZERO).commitInterval(Duration.ofMillis(10))
                .misfireThreshold(Duration.ofMinutes(5))
                .shutdownGrace(Duration.ofMillis(500));
        return Host.start(TestAccess.checkpointEvery(TestAccess.sidecarFileOps(b, ops), 1).build());
    }

    @ParameterizedTest
    @EnumSource(CrashPoint.class)
    void shouldLoadEveryAcknowledgedChangeAndFireNoOnceJobTwiceAfterACrashAt(CrashPoint point) throws Exception {
        FaultyFileOps ops = new FaultyFileOps();
        Path data = Files.createDirectories(root.resolve("data"));
        host = start(data, ops);
        Eventually.await(PATIENCE, () -> host.job(PAUSABLE).isPresent() && record(ONCE).status()
                == JobStatus.COMPLETED, () -> "plugin attached and its Once job fired");
        host.trigger(MANUAL);
        host.trigger(CHECKPOINTER);
        host.trigger(DURABLE);
        host.pause(PAUSABLE);
        // Ended, not only started (the run count goes up at the start): a run ending after the state below is read
        // would write a newer outcome than the one the test takes as acknowledged.
        Eventually.await(PATIENCE, () -> record(MANUAL).lastOutcome().isPresent()
                && record(CHECKPOINTER).checkpoint().isPresent() && record(CHECKPOINTER).lastOutcome().isPresent()
                && record(DURABLE).lastOutcome().isPresent(), () -> "the triggered runs end");
        // Acknowledged once the flush completes: on disk from then on, whatever the crash below does. The 10 ms job's
        // count is read before the flush (after it, the count in memory may be ahead of the flushed one).
        long beatsAcknowledged = record(BEAT).runCount();
        host.flushState().get(10, TimeUnit.SECONDS);
        Map<QName, String> acknowledged = essentials(TestAccess.records(host));

        Call crash = ops.crashAt(point.where).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        Path crashed = Files.createDirectories(root.resolve("crashed"));
        copySystemDir(data, crashed);
        String leftBehind = listSystemDir(crashed);
        host.close(); // nothing it does now reaches the disk
        host = null;

        String where = point + " (" + crash.step() + " " + crash.file().getFileName() + "; files " + leftBehind + ")";
        SidecarDocument onDisk = StateOnDisk.read(crashed);
        assertThat(essentials(onDisk.jobs())).as("what a start loads after a crash at %s", where)
                .containsAllEntriesOf(acknowledged);
        assertThat(onDisk.job(BEAT).orElseThrow().runCount()).as("%s runs after a crash at %s", BEAT, where)
                .isGreaterThanOrEqualTo(beatsAcknowledged);

        // The restarted host crashes too, at its first journal append: what it made of the first crash's files
        // (a torn tail cut, a half-made segment deleted, the next segment opened) must load again.
        FaultyFileOps again = new FaultyFileOps();
        host = start(crashed, again);
        Eventually.await(PATIENCE, () -> host.job(PAUSABLE).isPresent(), () -> "plugin attached after the crash");
        host.flushState().get(10, TimeUnit.SECONDS);
        assertThat(essentials(TestAccess.records(host))).as("the restarted host's jobs after a crash at %s", where)
                .containsAllEntriesOf(acknowledged);
        assertThat(record(ONCE).status()).as("the Once job after a crash at %s", where).isEqualTo(JobStatus.COMPLETED);
        Map<QName, String> acknowledgedAgain = essentials(TestAccess.records(host));
        again.crashAt(CrashPoint.APPEND_SYNC.where).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        Path crashedAgain = Files.createDirectories(root.resolve("crashed-again"));
        copySystemDir(crashed, crashedAgain);
        String leftAgain = listSystemDir(crashedAgain);
        host.close();
        host = null;
        assertThat(essentials(StateOnDisk.read(crashedAgain).jobs()))
                .as("what a start loads after a crash at %s and a second one at the restarted host's first append"
                        + " (files %s)", where, leftAgain).containsAllEntriesOf(acknowledgedAgain);

        host = start(crashedAgain, SidecarFileOps.nio());
        Eventually.await(PATIENCE, () -> host.job(PAUSABLE).isPresent(), () -> "plugin attached after two crashes");
        host.flushState().get(10, TimeUnit.SECONDS);
        assertThat(essentials(TestAccess.records(host))).as("the jobs after two crashes, the first at %s", where)
                .containsAllEntriesOf(acknowledgedAgain);
        host.close();
        host = null;

        assertThat(lines("once-ran")).as("fires of the durable-start Once job, crash at %s", where).hasSize(1);
        assertThat(lines("durable-ran")).as("runs of the durable-start manual job, crash at %s", where).hasSize(1);
        assertThat(essentials(StateOnDisk.read(crashedAgain).jobs())).as("after a clean stop, crash at %s", where)
                .containsAllEntriesOf(acknowledgedAgain);
        assertThat(Journal.list(crashedAgain.resolve("_system"))).as("segments left by a clean stop").isEmpty();
        assertThat(log.lines(ch.qos.logback.classic.Level.ERROR)).as("errors logged, crash at %s", where)
                .allMatch(l -> l.contains("injected"));
        System.out.printf("[crash] crash at %s: every acknowledged change loaded, Once job fired once%n", where);
    }

    private JobRecord record(QName q) {
        return TestAccess.record(host, q);
    }

    private static Map<QName, String> essentials(List<JobRecord> jobs) {
        Map<QName, String> out = new HashMap<>();
        for (JobRecord r : jobs) {
            if (QUIET.contains(r.qname())) {
                out.put(r.qname(), "runs=" + r.runCount() + " failures=" + r.failureCount() + " paused=" + r.paused()
                        + " checkpoint=" + r.checkpoint().orElse("-") + " outcome=" + r.lastOutcome()
                        .map(o -> o.success() + ":" + o.message()).orElse("-"));
            }
        }
        return out;
    }

    private List<String> lines(String file) throws IOException {
        Path p = root.resolve(file);
        return Files.exists(p) ? Files.readAllLines(p, StandardCharsets.UTF_8) : List.of();
    }

    /** The state files as the crash left them (the lock file stays: the copy is locked afresh by its own host). */
    private static void copySystemDir(Path data, Path to) throws IOException {
        Path from = data.resolve("_system");
        Path target = Files.createDirectories(to.resolve("_system"));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(from)) {
            for (Path p : files) {
                if (Files.isRegularFile(p) && !p.getFileName().toString().equals("host.lock")) {
                    Files.copy(p, target.resolve(p.getFileName()));
                }
            }
        }
    }

    private static String listSystemDir(Path data) throws IOException {
        try (var files = Files.list(data.resolve("_system"))) {
            return files.map(p -> {
                try {
                    return p.getFileName() + "(" + Files.size(p) + ")";
                } catch (IOException e) {
                    return p.getFileName() + "(?)";
                }
            }).sorted().toList().toString();
        }
    }
}
