package dev.belfry.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.Seams;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.module.ChangeFanOut;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.PluginJarBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an embedding application does with the public API: register its own jobs, listen to events, operate on
 * them; driven step by step (the stepped host belfry-test's ManualHost uses), so nothing sleeps.
 */
class HostEmbeddingTest {
    @TempDir
    Path data;
    @TempDir
    Path plugins;
    @RegisterExtension
    final LogCapture log = LogCapture.ofNames(ChangeFanOut.class.getName(), PluginSupervisor.class.getName(),
            Engine.class.getName(), "org.pf4j").atLevel(Level.INFO);
    /** What a plugin's job logs through SLF4J. */
    @RegisterExtension
    final LogCapture pluginLog = LogCapture.ofNames("p.tick.Beat").atLevel(Level.INFO);

    private final FakeClock clock = FakeClock.at("2026-01-01T00:00:00Z");
    private final Deque<Runnable> runs = new ArrayDeque<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private Host start(HostConfig.Builder config) {
        host = Seams.steppedHosts().start(config.dataDir(data).clock(clock).pluginScanInterval(Duration.ZERO)
                .listener(recorder()).build(), runs::addLast);
        return host;
    }

    private void step() {
        Seams.steppedHosts().runDue(host);
        while (!runs.isEmpty()) {
            runs.pollFirst().run();
        }
    }

    private HostListener recorder() {
        return new HostListener() {
            @Override
            public void jobScheduled(JobView job, Instant fireAt) {
                events.add("scheduled " + job.qname() + " " + fireAt);
            }

            @Override
            public void runStarted(JobView job) {
                events.add("started " + job.qname());
            }

            @Override
            public void runFinished(RunView run) {
                events.add("finished " + run.job() + " " + run.outcome() + run.error().map(e -> " " + e).orElse(""));
            }

            @Override
            public void jobMisfired(QName job, Instant firstMissed, long missed, int runNow) {
                events.add("misfired " + job + " " + missed + " since " + firstMissed + ", " + runNow + " run now");
            }

            @Override
            public void jobOrphaned(JobView job) {
                events.add("orphaned " + job.qname());
            }

            @Override
            public void pluginLoaded(PluginView plugin) {
                events.add("loaded " + plugin.id());
            }

            @Override
            public void pluginRefused(PluginProblemView problem) {
                events.add("refused " + problem.line());
            }
        };
    }

    private static BackgroundJob job(String name, Schedule schedule, boolean fails) {
        return new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return JobSpec.builder(name, schedule).build();
            }

            @Override
            public void run(JobContext context) {
                context.saveCheckpoint("ran for " + context.scheduledFor());
                if (fails) {
                    throw new IllegalStateException("no invoices today");
                }
            }
        };
    }

    @Test
    void shouldFireRegisteredJobsAndTellListenersInOrder() {
        start(HostConfig.builder().register("billing",
                job("invoices", Schedule.every(Duration.ofMinutes(10)), false),
                job("reminders", Schedule.manual(), true)));

        step();
        host.trigger("billing.reminders");
        step();
        assertThat(host.job("billing.invoices")).isEqualTo(host.job(QName.parse("billing.invoices")));
        assertThatThrownBy(() -> host.job("invoices")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invoices");

        assertThat(host.job(QName.parse("billing.invoices")).orElseThrow().checkpoint())
                .contains("ran for 2026-01-01T00:00:00Z");
        assertThat(host.job(QName.parse("billing.reminders")).orElseThrow().lastRun())
                .hasValueSatisfying(r -> assertThat(r.message()).contains("no invoices today"));
        // A fixed-rate job's next fire is set as its run is dispatched, before the run starts.
        assertThat(events).containsSubsequence("scheduled billing.invoices 2026-01-01T00:00:00Z",
                "scheduled billing.invoices 2026-01-01T00:10:00Z", "started billing.invoices",
                "finished billing.invoices SUCCEEDED");
        assertThat(events).containsSubsequence("started billing.reminders",
                "finished billing.reminders FAILED java.lang.IllegalStateException: no invoices today");
        assertThat(events).noneMatch(e -> e.startsWith("orphaned"));
        assertThat(log.messages(Engine.class, Level.WARN)).containsExactly("WARN run 2 of job billing.reminders"
                + " (attempt 1) failed: java.lang.IllegalStateException: no invoices today");
    }

    @Test
    void shouldTellListenersOfMissedFiresAndHowManyThePolicyRuns() {
        start(HostConfig.builder().register("billing",
                job("invoices", Schedule.every(Duration.ofMinutes(10)), false)));
        step();

        clock.advance(Duration.ofMinutes(35)); // the host was stuck: the fires at 10, 20 and 30 were missed
        step();

        assertThat(events).contains("misfired billing.invoices 3 since 2026-01-01T00:10:00Z, 1 run now");
        assertThat(host.job(QName.parse("billing.invoices")).orElseThrow().runCount()).isEqualTo(2);
    }

    @Test
    void shouldOrphanUnregisteredJobsAndCarryOnWhenTheyAreRegisteredAgain() {
        start(HostConfig.builder());
        host.register("billing", job("invoices", Schedule.every(Duration.ofMinutes(10)), false));
        step();
        assertThat(host.unregister("billing")).isTrue();
        assertThat(host.unregister("billing")).as("nothing left to take back").isFalse();

        JobView orphan = host.job(QName.parse("billing.invoices")).orElseThrow();
        assertThat(orphan.status()).isEqualTo(JobView.Status.ORPHANED);
        assertThat(events).contains("orphaned billing.invoices");

        host.register("billing", job("invoices", Schedule.every(Duration.ofMinutes(10)), false));
        JobView back = host.job(QName.parse("billing.invoices")).orElseThrow();
        assertThat(back.status()).isEqualTo(JobView.Status.SCHEDULED);
        assertThat(back.runCount()).isEqualTo(1);
        assertThat(back.checkpoint()).contains("ran for 2026-01-01T00:00:00Z");
    }

    @Test
    void shouldRefuseBadRegistrationsNamingTheNamespaceOrJobAndRegisterNothing() {
        start(HostConfig.builder());

        assertThatThrownBy(() -> host.register("Billing!", job("a", Schedule.manual(), false)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot register jobs under namespace 'Billing!': ");
        assertThatThrownBy(() -> host.register("billing", job("a", Schedule.manual(), false),
                job("a", Schedule.manual(), false)))
                .hasMessage("cannot register job 'billing.a': two jobs have that name");
        assertThatThrownBy(() -> host.register("billing", job("a", Schedule.cron("61 * * * *"), false)))
                .isInstanceOf(InvalidScheduleException.class).hasMessageContaining("billing.a");
        assertThat(host.jobs()).isEmpty();
    }

    @Test
    void shouldPutTheRunsIdsInTheMdcOfAPluginsLogLinesEvenWhenThePluginBundlesItsOwnSlf4j() throws Exception {
        // given: a plugin built with SLF4J's API shaded in, whose job logs a line
        Path slf4j = Path.of(org.slf4j.LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        PluginJarBuilder.plugin("tick").bundle(slf4j).extension("p.tick.Beat", "package p.tick;\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.Schedule;\n"
                + "public class Beat implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"beat\", Schedule.manual()).build(); }\n"
                + "  public void run(JobContext c) {\n"
                + "    org.slf4j.LoggerFactory.getLogger(\"p.tick.Beat\").info(\"beating\");\n"
                + "  }\n"
                + "}\n").writeTo(plugins, "tick.jar");
        start(HostConfig.builder().pluginsDir(plugins));

        // when: its job runs
        host.trigger("tick.beat");
        step();

        // then: the line reaches the host's log, carrying the job, the plugin and the run
        assertThat(pluginLog.events()).as("the plugin's log line").singleElement().satisfies(line -> {
            assertThat(line.getFormattedMessage()).isEqualTo("beating");
            assertThat(line.getMDCPropertyMap()).containsEntry("belfry.job", "tick.beat")
                    .containsEntry("belfry.plugin", "tick").containsEntry("belfry.attempt", "1")
                    .hasEntrySatisfying("belfry.run", run -> assertThat(Long.parseLong(run)).isPositive());
        });
        // and the worker (here the test's thread) is left without them
        assertThat(org.slf4j.MDC.get("belfry.job")).isNull();
    }

    @Test
    void shouldRefuseAPluginWhoseIdAnApplicationNamespaceHolds() {
        PluginJarBuilder.plugin("billing").extension("p.billing.Job", "package p.billing;\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.Schedule;\n"
                + "public class Job implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"invoices\", Schedule.manual()).build(); }\n"
                + "  public void run(JobContext c) { }\n"
                + "}\n").writeTo(plugins, "billing.jar");

        start(HostConfig.builder().pluginsDir(plugins)
                .register("billing", job("invoices", Schedule.every(Duration.ofMinutes(10)), false)));

        assertThat(host.plugins()).isEmpty();
        assertThat(host.pluginProblems()).extracting(PluginProblemView::line).containsExactly("billing.jar: plugin"
                + " billing: the application registers its own jobs under namespace billing, so no plugin may have"
                + " that id");
        assertThat(events).contains("refused billing.jar: plugin billing: the application registers its own jobs"
                + " under namespace billing, so no plugin may have that id");
        assertThat(host.job(QName.parse("billing.invoices")).orElseThrow().dynamic()).isFalse();
        assertThat(log.messages(PluginSupervisor.class, Level.ERROR)).hasSize(1);
    }

    @Test
    void shouldLogAThrowingListenerAndGoOn() {
        host = Seams.steppedHosts().start(HostConfig.builder().dataDir(data).clock(clock)
                .listener(new HostListener() {
                    @Override
                    public void runFinished(RunView run) {
                        throw new IllegalStateException("listener bug");
                    }
                })
                .register("billing", job("invoices", Schedule.every(Duration.ofMinutes(10)), false)).build(),
                runs::addLast);

        step();
        clock.advance(Duration.ofMinutes(10));
        step();

        assertThat(host.job(QName.parse("billing.invoices")).orElseThrow().runCount()).isEqualTo(2);
        assertThat(log.messages(ChangeFanOut.class, Level.WARN)).hasSize(2).allMatch(m -> m.matches(
                "WARN listener .*HostEmbeddingTest\\$\\d+ failed on runFinished: java.lang.IllegalStateException:"
                        + " listener bug"));
    }

    @Test
    void shouldRefuseAnInvalidRegisteredJobInTheBuilderAndReleaseTheDirectoryOfARefusedStart() throws Exception {
        assertThatThrownBy(() -> HostConfig.builder().register("billing", job("a", Schedule.cron("0 25 * * *"), false)))
                .isInstanceOf(InvalidScheduleException.class).hasMessageContaining("billing.a");

        Path file = java.nio.file.Files.writeString(plugins.resolve("file"), "x");
        assertThatThrownBy(() -> Host.start(HostConfig.builder().dataDir(data).pluginsDir(file).build()))
                .isInstanceOf(HostStartException.class);
        host = Host.start(HostConfig.builder().dataDir(data).build()); // the directory was released
        assertThat(host.jobs()).isEmpty();
    }

    @Test
    void shouldRefuseAModuleThatDidNotComeFromABelfryModule() {
        HostConfig config = HostConfig.builder().dataDir(data).module(() -> "graph").build();

        assertThatThrownBy(() -> Host.start(config)).isInstanceOf(HostStartException.class)
                .hasMessageStartingWith("module 'graph' (").hasMessageEndingWith(") is not a Belfry module: take"
                        + " modules from belfry-graph or belfry-admin");
    }

    @Test
    void shouldRefuseBadSettingsNamingTheSettingAndTheValue() {
        assertThatThrownBy(() -> HostConfig.builder().maxConcurrentRuns(0))
                .hasMessage("maxConcurrentRuns must be at least 1, not '0'");
        assertThatThrownBy(() -> HostConfig.builder().misfireThreshold(Duration.ZERO))
                .hasMessage("misfireThreshold must be positive, not 'PT0S'");
        assertThatThrownBy(() -> HostConfig.builder().shutdownGrace(Duration.ofSeconds(-1)))
                .hasMessage("shutdownGrace must not be negative, not 'PT-1S'");
        assertThatThrownBy(() -> HostConfig.builder().dataDir(null)).hasMessage("dataDir must not be null");
        assertThatThrownBy(() -> HostConfig.builder().module(() -> "admin").module(() -> "admin"))
                .hasMessage("module 'admin' is already added");
        assertThatThrownBy(() -> HostConfig.builder().shutdownGrace(Duration.ofDays(365 * 300)))
                .hasMessage("shutdownGrace must be at most PT24H, not 'PT2628000H'");
    }

    @Test
    @SuppressWarnings("removal") // the exit guard is a security manager
    void shouldRunJobsOnTheApplicationsThreadsAndLeaveTheJvmsSecurityManagerAlone() throws Exception {
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CompletableFuture<String> ranOn = new java.util.concurrent.CompletableFuture<>();
        host = Host.start(HostConfig.builder().dataDir(data).runThreadFactory(r -> {
            Thread t = new Thread(r, "app-worker-" + made.incrementAndGet());
            t.setDaemon(true);
            return t;
        }).register("billing", new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return JobSpec.builder("where", Schedule.manual()).build();
            }

            @Override
            public void run(JobContext context) {
                ranOn.complete(Thread.currentThread().getName());
            }
        }).build());

        assertThat(System.getSecurityManager()).as("the exit guard is off unless asked for").isNull();
        host.trigger(QName.parse("billing.where"));
        assertThat(ranOn.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("app-worker-1");
    }

    @Test
    void shouldRunOnCancelCallbacksOutsideTheEngineLockSoTheyCannotDeadlockIt() throws Exception {
        Object monitor = new Object();
        java.util.concurrent.CountDownLatch inRun = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<String> ended = new java.util.concurrent.CompletableFuture<>();
        host = Host.start(HostConfig.builder().dataDir(data).register("billing", new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return JobSpec.builder("export", Schedule.manual()).build();
            }

            @Override
            public void run(JobContext context) {
                context.onCancel(() -> {
                    synchronized (monitor) { // waits for the run to let go of the monitor
                        ended.complete("callback ran");
                    }
                });
                synchronized (monitor) {
                    inRun.countDown();
                    while (!context.isCancelled()) {
                        Thread.onSpinWait();
                    }
                    context.saveCheckpoint("stopped cleanly"); // takes the engine lock while holding the monitor
                    context.throwIfCancelled();
                }
            }
        }).build());
        host.trigger(QName.parse("billing.export"));
        assertThat(inRun.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> host.cancel(QName.parse("billing.export")), "cancel deadlocked on the job's onCancel callback");

        assertThat(ended.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("callback ran");
        dev.belfry.host.testing.Eventually.await(Duration.ofSeconds(10), () -> host.job(QName.parse("billing.export"))
                .orElseThrow().running().isEmpty(), () -> "the cancelled run ended");
        JobView export = host.job(QName.parse("billing.export")).orElseThrow();
        assertThat(export.checkpoint()).contains("stopped cleanly");
        assertThat(export.lastRun()).hasValueSatisfying(r ->
                assertThat(r.message()).isEqualTo("cancelled: job cancelled by an operator"));
        assertThat(export.failureCount()).as("an operator's cancel is not the job's failure").isZero();
        // The run's thread writes its line once it has let go of the engine lock, just after the run is off the job.
        dev.belfry.host.testing.Eventually.await(Duration.ofSeconds(10), () -> log.messages(Engine.class, Level.INFO)
                .contains("INFO run 1 of job billing.export (attempt 1) cancelled: job cancelled by an operator"),
                () -> "the cancel logged at INFO: " + log.lines(Level.INFO));
        assertThat(log.messages(Engine.class, Level.WARN)).isEmpty();
    }

    @Test
    void shouldReplaceANamespacesJobsWhenRegisteredAgainOrphaningThoseLeftOut() {
        start(HostConfig.builder().register("billing",
                job("invoices", Schedule.every(Duration.ofMinutes(10)), false),
                job("reminders", Schedule.every(Duration.ofMinutes(10)), false)));
        step();

        host.register("billing", job("invoices", Schedule.every(Duration.ofMinutes(10)), false));
        clock.advance(Duration.ofMinutes(10));
        step();

        assertThat(host.job(QName.parse("billing.invoices")).orElseThrow().runCount()).isEqualTo(2);
        JobView dropped = host.job(QName.parse("billing.reminders")).orElseThrow();
        assertThat(dropped.status()).isEqualTo(JobView.Status.ORPHANED);
        assertThat(dropped.runCount()).as("fires no more").isEqualTo(1);
        assertThat(events).contains("orphaned billing.reminders").doesNotContain("orphaned billing.invoices");
    }

    @Test
    void shouldRefuseOperationsOnAClosedHostAndACloseFromInsideARun() throws Exception {
        java.util.concurrent.CompletableFuture<Throwable> fromRun = new java.util.concurrent.CompletableFuture<>();
        Host[] self = new Host[1];
        host = Host.start(HostConfig.builder().dataDir(data).register("billing", new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return JobSpec.builder("stopper", Schedule.manual()).build();
            }

            @Override
            public void run(JobContext context) {
                try {
                    self[0].close();
                    fromRun.complete(null);
                } catch (IllegalStateException e) {
                    fromRun.complete(e);
                }
            }
        }).build());
        self[0] = host;
        host.trigger(QName.parse("billing.stopper"));
        assertThat(fromRun.get(10, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                .hasMessage("close() was called from inside a run of this host; close the host from a thread of"
                        + " the application's own");

        host.close();
        assertThatThrownBy(() -> host.trigger(QName.parse("billing.stopper"))).isInstanceOf(IllegalStateException.class)
                .hasMessage("this host (data " + data + ") is closed");
        assertThatThrownBy(() -> host.register("more", job("a", Schedule.manual(), false)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldRefuseBadRegistrationsInTheBuilderAtOnceAndAPluginsFolderThatIsAFile() throws Exception {
        assertThatThrownBy(() -> HostConfig.builder().register("billing", job("a", Schedule.manual(), false),
                job("a", Schedule.manual(), false))).hasMessage("cannot register job 'billing.a': two jobs have that"
                        + " name");
        assertThatThrownBy(() -> HostConfig.builder().register("bad ns", job("a", Schedule.manual(), false)))
                .hasMessageStartingWith("cannot register jobs under namespace 'bad ns': ");
        assertThatThrownBy(() -> HostConfig.builder().register("billing", (BackgroundJob[]) null))
                .hasMessage("jobs must not be null");
        assertThatThrownBy(() -> HostConfig.builder().register("billing"))
                .hasMessage("cannot register namespace 'billing': no jobs (to take a namespace's jobs back, unregister"
                        + " it)");
        BackgroundJob broken = new BackgroundJob() {
            @Override
            public JobSpec spec() {
                throw new IllegalStateException("no config\nloaded");
            }

            @Override
            public void run(JobContext context) {
            }
        };
        assertThatThrownBy(() -> HostConfig.builder().register("billing", broken))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("cannot register a job under"
                        + " 'billing': ").hasMessageEndingWith(".spec() threw java.lang.IllegalStateException: no config"
                        + " loaded");

        Path file = java.nio.file.Files.writeString(plugins.resolve("not-a-folder"), "x");
        HostConfig config = HostConfig.builder().dataDir(data).pluginsDir(file).build();
        assertThatThrownBy(() -> Host.start(config)).isInstanceOf(HostStartException.class)
                .hasMessage("plugins folder " + file + " is not a directory");
    }

    @Test
    void shouldRefuseAPluginsFolderOrJarThatOthersMayWrite() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(plugins.getFileSystem().supportedFileAttributeViews()
                .contains("posix"), "POSIX modes");
        Path jar = PluginJarBuilder.plugin("planted").extension("p.planted.Job", "package p.planted;\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.Schedule;\n"
                + "public class Job implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"job\", Schedule.manual()).build(); }\n"
                + "  public void run(JobContext c) { }\n"
                + "}\n").writeTo(plugins, "planted.jar");
        java.nio.file.Files.setPosixFilePermissions(plugins,
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(() -> Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).build()))
                .isInstanceOf(HostStartException.class)
                .hasMessage("plugins folder " + plugins + " is writable by group or others (rwxrwxrwx): chmod go-w"
                        + " it; anyone who can write there runs code as this host");

        java.nio.file.Files.setPosixFilePermissions(plugins,
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        java.nio.file.Files.setPosixFilePermissions(jar,
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        start(HostConfig.builder().pluginsDir(plugins));

        assertThat(host.plugins()).isEmpty();
        assertThat(host.pluginProblems()).extracting(PluginProblemView::line).containsExactly("planted.jar: the file"
                + " is writable by group or others (rw-rw-rw-): chmod go-w it; anyone who can write a plugin runs code"
                + " as this host");
    }

    @Test
    void shouldRefuseAnExplodedPluginWithAFileInsideThatOthersMayWrite() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(plugins.getFileSystem().supportedFileAttributeViews()
                .contains("posix"), "POSIX modes");
        Path jar = PluginJarBuilder.plugin("exploded").extension("p.exploded.Job", "package p.exploded;\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.Schedule;\n"
                + "public class Job implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"job\", Schedule.manual()).build(); }\n"
                + "  public void run(JobContext c) { }\n"
                + "}\n").writeTo(java.nio.file.Files.createDirectories(data.resolve("build")), "exploded.jar");
        Path folder = plugins.resolve("exploded");
        Path classes = java.nio.file.Files.createDirectories(folder.resolve("classes"));
        String pluginClass;
        try (java.util.jar.JarFile in = new java.util.jar.JarFile(jar.toFile())) {
            pluginClass = in.getManifest().getMainAttributes().getValue("Plugin-Class");
            for (var e : java.util.Collections.list(in.entries())) {
                if (e.isDirectory() || e.getName().startsWith("META-INF/MANIFEST")) {
                    continue;
                }
                Path target = classes.resolve(e.getName());
                java.nio.file.Files.createDirectories(target.getParent());
                try (var bytes = in.getInputStream(e)) {
                    java.nio.file.Files.copy(bytes, target);
                }
            }
        }
        java.nio.file.Files.writeString(folder.resolve("plugin.properties"), "plugin.id=exploded\n"
                + "plugin.version=1.0.0\n" + (pluginClass == null ? "" : "plugin.class=" + pluginClass + "\n"));
        Path classFile = classes.resolve("p/exploded/Job.class");
        java.nio.file.Files.setPosixFilePermissions(classFile,
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));

        start(HostConfig.builder().pluginsDir(plugins));

        assertThat(host.plugins()).isEmpty();
        assertThat(host.pluginProblems()).extracting(PluginProblemView::line).containsExactly("exploded: plugin"
                + " exploded: classes/p/exploded/Job.class in it is writable by group or others (rw-rw-rw-): chmod"
                + " go-w it; anyone who can write a plugin runs code as this host");
    }
}
