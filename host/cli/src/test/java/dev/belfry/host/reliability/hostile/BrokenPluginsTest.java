package dev.belfry.host.reliability.hostile;

import dev.belfry.host.PluginProblemView;
import static dev.belfry.host.reliability.hostile.HostilePlugins.lifecycle;
import static dev.belfry.host.testing.PluginJarBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.host.Host;
import dev.belfry.host.reliability.hostile.HostileFixture.Lag;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.internal.plugins.PluginProblem;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.JobStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins that cannot even start properly: broken manifests and jars, and {@code Plugin.start}/{@code stop} that
 * throw exceptions and Errors or call System.exit. Each is refused (or stopped) with a reason naming its file, and
 * the host starts, keeps the canary firing, hot-deploys after them, and closes within its bound.
 */
class BrokenPluginsTest {
    private static final Duration GRACE = Duration.ofSeconds(1);
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @TempDir
    Path data;
    @TempDir
    Path plugins;

    /** Each refusal and failed stop is logged: asserted below, kept off the console. */
    @RegisterExtension
    final LogCapture log = LogCapture.ofNames("dev.belfry.host", "org.pf4j");

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

    @Test
    void shouldRefuseEachBrokenPluginWithItsReasonAndStillStartFireAndHotDeploy() throws Exception {
        // given a folder of broken plugins beside the canary
        HostilePlugins.canary().writeTo(plugins, "canary.jar");
        String ok = "p.broken.Job";
        String okJob = HostilePlugins.job("p.broken", "Job", "JobSpec.builder(\"job\", Schedule.manual()).build()", "");
        plugin("no-id").extension(ok, okJob).withoutPluginId().writeTo(plugins, "no-id.jar");
        plugin("bad-id").extension(ok, okJob).manifestEntry("Plugin-Id", "bad id/..").writeTo(plugins, "bad-id.jar");
        plugin("no-class").extension(ok, okJob).pluginClass("p.broken.Missing").writeTo(plugins, "no-class.jar");
        plugin("not-a-plugin").extension(ok, okJob).pluginClass(ok).writeTo(plugins, "not-a-plugin.jar");
        plugin("bad-requires").extension(ok, okJob).requires(">=x.y!!").writeTo(plugins, "bad-requires.jar");
        plugin("bad-deps").extension(ok, okJob).dependencies("@@@").writeTo(plugins, "bad-deps.jar");
        plugin("bad-version").extension(ok, okJob).version("").writeTo(plugins, "bad-version.jar");
        plugin("ghost-job").extension(ok, okJob).indexOnly("p.broken.Ghost").writeTo(plugins, "ghost-job.jar");
        byte[] noise = new byte[4096];
        new Random(42).nextBytes(noise);
        Files.write(plugins.resolve("noise.jar"), noise);
        Files.write(plugins.resolve("empty.jar"), new byte[0]);
        lifecycle("start-throws", "start", "throw new IllegalStateException(\"database is down\");")
                .writeTo(plugins, "start-throws.jar");
        lifecycle("start-exits", "start", "System.exit(7);").writeTo(plugins, "start-exits.jar");
        lifecycle("start-error", "start", "throw new AssertionError(\"start invariant broken\");")
                .writeTo(plugins, "start-error.jar");
        lifecycle("start-overflow", "start", "deeper(0);").writeTo(plugins, "start-overflow.jar");
        lifecycle("stop-throws", "stop", "throw new IllegalStateException(\"cannot flush\");")
                .writeTo(plugins, "stop-throws.jar");
        lifecycle("stop-error", "stop", "throw new AssertionError(\"stop invariant broken\");")
                .writeTo(plugins, "stop-error.jar");
        lifecycle("stop-exits", "stop", "System.exit(8);").writeTo(plugins, "stop-exits.jar");

        // when the host starts on that folder
        host = HostileFixture.start(data, plugins, Duration.ofMillis(100), GRACE, GRACE);
        // fires due while the start-up scan was still loading plugins are late by design: count from here
        int lagsFrom = Probe.canaryLags().size();

        // then every broken one is refused with a reason naming its file, and the others run
        List<String> problems = host.pluginProblems().stream().map(PluginProblemView::toString).toList();
        HostileRuns.report("broken plugins: " + problems.size() + " problem(s)");
        problems.forEach(p -> HostileRuns.report("  " + p));
        assertThat(host.plugins()).containsExactlyInAnyOrder("canary", "ghost-job", "stop-throws", "stop-error",
                "stop-exits");
        assertThat(problems).anyMatch(p -> p.startsWith("no-id.jar: no usable plugin descriptor"))
                .anyMatch(p -> p.startsWith("bad-id.jar: no usable plugin descriptor"))
                .anyMatch(p -> p.startsWith("no-class.jar: plugin no-class: Plugin-Class")
                        && p.contains("cannot be loaded from the plugin"))
                .anyMatch(p -> p.startsWith("not-a-plugin.jar: plugin not-a-plugin: Plugin-Class")
                        && p.contains("does not extend org.pf4j.Plugin"))
                .anyMatch(p -> p.startsWith("bad-requires.jar: plugin bad-requires: unusable Plugin-Requires"))
                .anyMatch(p -> p.startsWith("bad-deps.jar:"))
                .anyMatch(p -> p.startsWith("bad-version.jar: no usable plugin descriptor"))
                .anyMatch(p -> p.startsWith("ghost-job.jar: plugin ghost-job: job class p.broken.Ghost refused"))
                .anyMatch(p -> p.startsWith("noise.jar: no usable plugin descriptor"))
                .anyMatch(p -> p.startsWith("empty.jar: no usable plugin descriptor"))
                .anyMatch(p -> p.startsWith("start-throws.jar: plugin start-throws: failed to start")
                        && p.contains("database is down"))
                .anyMatch(p -> p.startsWith("start-exits.jar: plugin start-exits: failed to start")
                        && p.contains("plugin called System.exit(7); refused"))
                .anyMatch(p -> p.startsWith("start-error.jar: plugin start-error: failed to start")
                        && p.contains("AssertionError: start invariant broken"))
                .anyMatch(p -> p.startsWith("start-overflow.jar: plugin start-overflow: failed to start")
                        && p.contains("StackOverflowError"));
        // one line each, with the plugin's own exception (PF4J's stack trace and a wrapper left out)
        assertThat(log.matching(Level.ERROR, "start-throws")).containsExactly("ERROR PluginSupervisor - plugin"
                + " refused: start-throws.jar: plugin start-throws: failed to start: IllegalStateException: database"
                + " is down");
        assertThat(log.matching(Level.ERROR, "start-exits")).containsExactly("ERROR PluginSupervisor - plugin"
                + " refused: start-exits.jar: plugin start-exits: failed to start: SecurityException: plugin called"
                + " System.exit(7); refused (from p.start_exits.Lifecycle)");
        log.assertNotLogged(Level.ERROR, "Unable to start plugin");
        for (String refused : List.of("no-id", "bad-id", "no-class", "not-a-plugin", "bad-requires", "bad-deps",
                "bad-version", "noise", "empty", "start-throws", "start-exits", "start-error", "start-overflow")) {
            log.assertLogged(Level.ERROR, "plugin refused: " + refused + ".jar: ");
        }
        Eventually.await(PATIENCE, () -> Probe.canaryLags().size() >= 10, () -> "canary firing");

        // and a plugin deployed afterwards still loads (the folder watch survived every refusal)
        HostilePlugins.lifecycle("late", "start", "").writeTo(plugins, "late.jar");
        Eventually.await(PATIENCE, () -> host.plugins().contains("late"), () -> "late plugin hot-deployed");

        // and a plugin whose stop() throws is still stopped and its jobs orphaned when its jar goes
        Files.delete(plugins.resolve("stop-error.jar"));
        Files.delete(plugins.resolve("stop-throws.jar"));
        Files.delete(plugins.resolve("stop-exits.jar"));
        Eventually.await(PATIENCE, () -> !host.plugins().contains("stop-error") && !host.plugins().contains(
                "stop-throws") && !host.plugins().contains("stop-exits"), () -> "stop-failing plugins removed");
        for (String id : List.of("stop-error", "stop-throws", "stop-exits")) {
            assertThat(HostileFixture.record(host, id + ".job").status()).isEqualTo(JobStatus.ORPHANED);
        }
        Eventually.await(PATIENCE, () -> !log.matching(Level.WARN, "plugin stop-error did not stop cleanly: "
                + "AssertionError: stop invariant broken").isEmpty(), () -> "the failed stop logged");
        HostilePlugins.lifecycle("stop-error", "stop", "throw new AssertionError(\"stop invariant broken\");")
                .version("1.0.1").writeTo(plugins, "stop-error-2.jar");
        Eventually.await(PATIENCE, () -> host.plugins().contains("stop-error"), () -> "stop-error back");
        int canaryBefore = Probe.canaryLags().size();
        Eventually.await(PATIENCE, () -> Probe.canaryLags().size() >= canaryBefore + 5, () -> "canary still firing");
        List<Long> lags = Probe.canaryLags();
        Lag lag = Lag.of(lags.subList(lagsFrom, lags.size()));
        HostileRuns.report("canary beside broken plugins, hot deploys and removals: " + lag);
        // no lag bound here: this test compiles plugin jars in its own JVM meanwhile; HostilePluginsTest bounds it

        // and close() completes (plugins whose stop() throws included) and releases the data directory
        long t0 = System.nanoTime();
        host.close();
        Duration closing = Duration.ofNanos(System.nanoTime() - t0);
        host = null;
        HostileRuns.report("close() with stop() throwing an Error: " + closing.toMillis() + " ms");
        assertThat(closing).isLessThan(HostileRuns.closeBound(GRACE));
        host = HostileFixture.start(data, plugins, Duration.ZERO, GRACE, GRACE);
        assertThat(host.job(QName.parse("canary.tick"))).isPresent();
    }

    @Test
    void shouldFireTheCanaryWhileAPluginScannedAfterItIsStillStarting() throws Exception {
        HostilePlugins.canary().writeTo(plugins, "canary.jar");
        // Plugins start in id order: this one after the canary. Its start returns once the test releases it.
        lifecycle("zz-slow-start", "start", "while (!dev.belfry.host.reliability.hostile.Probe.released()) {\n"
                + "  try { Thread.sleep(10); } catch (InterruptedException e) { return; }\n}")
                .writeTo(plugins, "zz-slow-start.jar");
        try {
            CompletableFuture<Host> starting = CompletableFuture.supplyAsync(() -> HostileFixture.start(data, plugins,
                    Duration.ZERO, GRACE, GRACE));
            Eventually.await(PATIENCE, () -> Probe.canaryLags().size() >= 3,
                    () -> "three canary fires while zz-slow-start is in its start(); fired "
                            + Probe.canaryLags().size());
            assertThat(starting).as("the host is still starting").isNotDone();
            Probe.release();
            host = starting.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(host.plugins()).contains("canary", "zz-slow-start");
        } finally {
            Probe.release(); // a failed assertion must not leave the starting thread looping
        }
    }
}
