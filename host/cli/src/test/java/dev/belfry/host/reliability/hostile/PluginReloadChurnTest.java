package dev.belfry.host.reliability.hostile;

import static dev.belfry.host.reliability.hostile.HostilePlugins.job;
import static dev.belfry.host.testing.PluginJarBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.Host;
import dev.belfry.host.reliability.Depth;
import dev.belfry.host.reliability.hostile.HostileFixture.Lag;
import dev.belfry.host.reliability.hostile.HostileFixture.LogCapture;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.PluginJarBuilder;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.RunOutcome;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replaces a plugin's jar over and over while its jobs and the canary run: no class-loading failure may reach the
 * engine, the old class loaders must become unreachable, and open files must come back to where they were.
 */
class PluginReloadChurnTest {
    @TempDir
    Path data;
    @TempDir
    Path plugins;
    @TempDir
    Path builds;

    private Host host;

    @BeforeEach
    void reset() {
        HostileRuns.reset();
    }

    @AfterEach
    void cleanUp() {
        if (host != null) {
            host.close();
        }
    }

    /** The churned plugin: a fast job that loads a helper class and reads a resource, and a slow cancellable one. */
    private static PluginJarBuilder churn(String version) {
        String pkg = "p.churn";
        return plugin("churn").version(version)
                .extension(pkg + ".Work", job(pkg, "Work",
                        "JobSpec.builder(\"work\", Schedule.every(Duration.ofMillis(20))).build()",
                        "Probe.loaderSeen(getClass().getClassLoader());\n"
                                + "new Helper().touch();\n"
                                + "try (java.io.InputStream in = getClass().getResourceAsStream(\"/META-INF/extensions.idx\")) {\n"
                                + "  if (in == null || in.readAllBytes().length == 0) { throw new IllegalStateException(\"resource gone\"); }\n"
                                + "}"))
                .source(pkg + ".Helper", "package " + pkg + ";\n"
                        + "public class Helper { public int touch() { return 1; } }\n")
                .extension(pkg + ".Slow", job(pkg, "Slow",
                        "JobSpec.builder(\"slow\", Schedule.every(Duration.ofMillis(50)))"
                                + ".timeout(Duration.ofSeconds(30)).build()",
                        "for (int i = 0; i < 6; i++) {\n"
                                + "  if (ctx.isCancelled()) { new OnCancel().note(); return; }\n"
                                + "  try { Thread.sleep(5); } catch (InterruptedException e) { new OnCancel().note(); return; }\n"
                                + "}"))
                .source(pkg + ".OnCancel", "package " + pkg + ";\n"
                        + "public class OnCancel { public void note() {"
                        + " dev.belfry.host.reliability.hostile.Probe.count(\"churn.cancelled\"); } }\n");
    }

    @Test
    void shouldReloadAPluginManyTimesUnderLoadWithoutLeakingLoadersOrFiles() throws Exception {
        int cycles = Depth.pick(100, 500);
        Path[] variants = {churn("1.0.0").writeTo(builds, "churn-a.jar"), churn("1.0.10").writeTo(builds,
                "churn-b.jar")};
        HostilePlugins.canary().writeTo(plugins, "canary.jar");
        plugin("busy").extension("p.busy.Busy", job("p.busy", "Busy",
                "JobSpec.builder(\"busy\", Schedule.every(Duration.ofMillis(10))).build()",
                "long x = 0; for (int i = 0; i < 200_000; i++) { x += i * 31L; } if (x == 42) { throw new Error(); }"))
                .writeTo(plugins, "busy.jar");
        deploy(variants[0], 0);

        try (LogCapture logs = new LogCapture()) {
            host = HostileFixture.start(data, plugins, Duration.ZERO, Duration.ofSeconds(2), Duration.ofSeconds(2));
            Eventually.await(Duration.ofSeconds(10), () -> Probe.loaders().size() == 1, () -> "first churn run");
            // warm up: the first reloads load JDK and PF4J classes and open files that stay open for good
            for (int i = 1; i <= 3; i++) {
                reload(variants[i % 2], i);
            }
            long filesBefore = HostileFixture.openFiles();
            int lagsBefore = Probe.canaryLags().size();

            long t0 = System.nanoTime();
            for (int i = 4; i < 4 + cycles; i++) {
                reload(variants[i % 2], i);
            }
            Duration churning = Duration.ofNanos(System.nanoTime() - t0);
            List<Long> lags = Probe.canaryLags();
            Lag lag = Lag.of(lags.subList(lagsBefore, lags.size()));

            // the churned jobs kept their history, and none failed for a class-loading reason
            JobRecord work = HostileFixture.record(host, "churn.work");
            JobRecord slow = HostileFixture.record(host, "churn.slow");
            assertThat(work.runCount()).isGreaterThanOrEqualTo(cycles);
            // a run in flight when its plugin stops is cancelled, which is not a failure (logged at INFO)
            assertThat(logs.containing("of job churn.")).as("failed churn runs").isEmpty();
            assertThat(slow.failureCount()).as("failures of the job the reloads cut").isZero();
            assertThat(logs.containing("ClassNotFoundException", "NoClassDefFoundError", "resource gone"))
                    .as("class-loading failures in the log").isEmpty();
            assertThat(slow.lastOutcome().map(RunOutcome::message).orElse(""))
                    .doesNotContain("ClassNotFound", "NoClassDefFound");

            // remove the plugin for good: its jobs are orphaned, and every loader it ever had must be collectable
            Files.delete(plugins.resolve("churn.jar"));
            host.rescanPlugins();
            assertThat(HostileFixture.record(host, "churn.work").status()).isEqualTo(JobStatus.ORPHANED);
            List<WeakReference<ClassLoader>> loaders = Probe.loaders();
            assertThat(loaders).hasSize(cycles + 4);
            long gcStart = System.nanoTime();
            Eventually.await(Duration.ofSeconds(20), () -> {
                System.gc();
                return loaders.stream().allMatch(r -> r.get() == null);
            }, () -> loaders.stream().filter(r -> r.get() != null).count() + " of " + loaders.size()
                    + " plugin class loaders still reachable");
            long gcMillis = (System.nanoTime() - gcStart) / 1_000_000;
            long filesAfter = HostileFixture.openFiles();
            HostileRuns.report("reload churn: " + cycles + " reloads in " + churning.toMillis() + " ms ("
                    + churning.toMillis() / cycles + " ms each), churn.work " + work.runCount() + " runs, churn.slow "
                    + slow.runCount() + " runs, " + (work.failureCount() + slow.failureCount()) + " runs cancelled by a reload, "
                    + loaders.size() + " loaders all collected within " + gcMillis + " ms, open files " + filesBefore
                    + " -> " + filesAfter + "; canary " + lag);
            assertThat(filesAfter).as("open files after %s reloads (before: %s)", cycles, filesBefore)
                    .isLessThanOrEqualTo(filesBefore + 5);
            assertThat(lag.p99()).as("canary p99 fire lag (ms) during reloads: %s", lag).isLessThan(250);
        }
    }

    private void deploy(Path variant, int cycle) throws Exception {
        Path tmp = plugins.resolve(".churn.jar.tmp");
        Files.copy(variant, tmp, StandardCopyOption.REPLACE_EXISTING);
        // a distinct modification time per cycle, so the folder scan sees a change even between equal sizes
        Files.setLastModifiedTime(tmp, FileTime.fromMillis(1_600_000_000_000L + cycle * 1_000L));
        Files.move(tmp, plugins.resolve("churn.jar"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** Replaces the jar, scans twice (the first sees the change and stops the old one, the second loads it). */
    private void reload(Path variant, int cycle) throws Exception {
        int seen = Probe.loaders().size();
        deploy(variant, cycle);
        host.rescanPlugins();
        host.rescanPlugins();
        Eventually.await(Duration.ofSeconds(10), () -> Probe.loaders().size() == seen + 1,
                () -> "cycle " + cycle + ": churn.work ran on the new loader; problems " + host.pluginProblems());
    }
}
