package dev.belfry.host.reliability.hostile;

import static dev.belfry.host.reliability.hostile.HostileFixture.lastMessage;
import static dev.belfry.host.reliability.hostile.HostileFixture.record;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.host.Host;
import dev.belfry.host.reliability.Depth;
import dev.belfry.host.reliability.hostile.HostileFixture.Lag;
import dev.belfry.host.reliability.hostile.HostileFixture.LogCapture;
import dev.belfry.host.reliability.hostile.HostileFixture.StdSink;
import dev.belfry.host.testing.Eventually;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One host, one healthy canary plugin, and every kind of hostile plugin at once: jobs that throw everything, hang,
 * ignore interrupts, spin, call System.exit, flood standard out and error, schedule thousands of dynamic jobs and
 * reach for another plugin's jobs. The canary must keep firing on time, every failure must be recorded against its
 * own job, and close() must return within its bound. Figures are printed for docs/reliability.md.
 */
class HostilePluginsTest {
    /** A survival bound for a shared 2-core CI machine, not a latency target: the idle p99 is a few milliseconds. */
    private static final double CANARY_P99_LIMIT_MS = 250;
    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path data;
    @TempDir
    Path plugins;

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
        HostileRuns.releaseAbandoned();
    }

    @Test
    void shouldKeepTheCanaryOnTimeAndRecordEveryFailureAgainstItsOwnJobWhileHostilePluginsRun() throws Exception {
        // given every hostile plugin beside the canary
        int dynamicJobs = Depth.pick(2_000, 10_000);
        Duration window = Duration.ofSeconds(Depth.pick(20, 120));
        int deafRuns = Depth.pick(3, 12);
        int spinRuns = Depth.pick(1, 3); // each spins for good on one of the machine's cores
        System.setProperty("belfry.test.dynCount", Integer.toString(dynamicJobs));
        HostilePlugins.canary().writeTo(plugins, "canary.jar");
        HostilePlugins.thrower().writeTo(plugins, "hostile-throw.jar");
        HostilePlugins.hanger().writeTo(plugins, "hostile-hang.jar");
        HostilePlugins.exiter().writeTo(plugins, "hostile-exit.jar");
        HostilePlugins.flooder(1).writeTo(plugins, "hostile-flood.jar");
        HostilePlugins.spawner().writeTo(plugins, "hostile-dyn.jar");
        HostilePlugins.intruder().writeTo(plugins, "hostile-cross.jar");

        try (StdSink std = new StdSink(0); LogCapture logs = new LogCapture(); Closer closer = new Closer()) {
            host = HostileFixture.start(data, plugins, Duration.ofMillis(200), GRACE, Duration.ofSeconds(1));
            assertThat(host.plugins()).containsExactlyInAnyOrder("canary", "hostile-throw", "hostile-hang",
                    "hostile-exit", "hostile-flood", "hostile-dyn", "hostile-cross");
            int declaredJobs = host.jobs().size();

            // when they run for the window, with the manual ones triggered along the way
            long start = System.nanoTime();
            int lagsBefore = Probe.canaryLags().size();
            trigger("hostile-dyn.spawn");
            trigger("hostile-cross.intrude");
            trigger("hostile-exit.exit");
            trigger("hostile-exit.halt");
            trigger("hostile-exit.exit-thread");
            int deafDone = 0;
            int spinDone = 0;
            boolean reaped = false;
            long peakJobs = 0;
            int ticks = 0;
            while (System.nanoTime() - start < window.toNanos()) {
                double done = (System.nanoTime() - start) / (double) window.toNanos();
                if (deafDone < deafRuns && done >= deafDone / (double) deafRuns) {
                    trigger("hostile-hang.deaf");
                    deafDone++;
                }
                if (spinDone < spinRuns && done >= 0.1 + spinDone * 0.8 / spinRuns) {
                    trigger("hostile-hang.spinner");
                    spinDone++;
                }
                if (ticks++ % 10 == 0) { // jobs() copies thousands of jobs under the engine's lock: not too often
                    peakJobs = Math.max(peakJobs, host.jobs().size());
                }
                if (!reaped && done >= 0.7 && Probe.counted("dyn.spawned") == 1) {
                    trigger("hostile-dyn.reap");
                    reaped = true;
                }
                Thread.sleep(100);
            }
            List<Long> lags = Probe.canaryLags();
            Lag lag = Lag.of(lags.subList(lagsBefore, lags.size()));

            // then the canary kept its pace
            long expectedFires = window.toMillis() / 100;
            report("canary under load: " + lag + " (expected about " + expectedFires + " fires)");
            assertThat(lag.samples()).as("canary fires in %s", window).isGreaterThanOrEqualTo((int) (expectedFires * 0.8));
            assertThat(lag.p99()).as("canary p99 fire lag (ms): %s", lag).isLessThan(CANARY_P99_LIMIT_MS);
            JobRecord canary = record(host, "canary.tick");
            assertThat(canary.failureCount()).isZero();
            assertThat(canary.status()).isIn(JobStatus.SCHEDULED, JobStatus.RUNNING);

            // and every failure is on its own job, with its own message
            assertFailing("hostile-throw.checked", "java.io.IOException: checked boom", 3);
            assertFailing("hostile-throw.unchecked", "java.lang.IllegalStateException: unchecked boom", 3);
            assertFailing("hostile-throw.error", "p.hthrow.PluginError: error boom", 3);
            assertFailing("hostile-throw.overflow", "java.lang.StackOverflowError", 3);
            assertFailing("hostile-throw.bad-init", "java.lang.NoClassDefFoundError: Could not initialize class "
                    + "p.hthrow.Bad", 3);
            assertFailing("hostile-hang.sleeper", "timed out after PT0.3S", 3);
            assertFailing("hostile-hang.polite", "timed out after PT0.2S", 3);
            assertFailing("hostile-hang.deaf", "timed out after PT0.3S", deafRuns);
            assertFailing("hostile-hang.spinner", "timed out after PT0.5S", spinRuns);
            assertThat(record(host, "hostile-hang.deaf").failureCount()).isEqualTo(deafRuns);
            assertThat(Probe.counted("polite.stopped")).as("cooperative runs end on cancel").isPositive();
            assertThat(Probe.counted("deaf.ignored")).as("interrupts the deaf job swallowed").isPositive();
            assertFailing("hostile-exit.exit", "java.lang.SecurityException: plugin called System.exit(3); refused "
                    + "(from p.hexit.Exit)", 1);
            assertFailing("hostile-exit.halt", "java.lang.SecurityException: plugin called Runtime.halt(4); refused "
                    + "(from p.hexit.Halt)", 1);
            assertFailing("hostile-exit.exit-thread", "java.lang.IllegalStateException: own thread: plugin called "
                    + "System.exit(5); refused (from p.hexit.ExitThread", 1);

            JobRecord flood = record(host, "hostile-flood.flood");
            assertThat(flood.runCount()).isGreaterThanOrEqualTo(5);
            assertThat(flood.failureCount()).isZero();
            assertThat(std.bytes.get()).as("bytes written to stdout and stderr")
                    .isGreaterThanOrEqualTo(Probe.counted("flood.runs") * 2 * 1024 * 1024);

            // dynamic jobs: thousands registered in their own namespace, a duplicate refused, all reaped again
            assertThat(peakJobs).isGreaterThanOrEqualTo(declaredJobs + dynamicJobs);
            assertThat(Probe.notes()).anyMatch(n -> n.startsWith("dyn: duplicate refused: job hostile-dyn.d-0 already"));
            Eventually.await(PATIENCE, () -> Probe.notes().contains("dyn: reaped " + dynamicJobs),
                    () -> "reap notes: " + Probe.notes());
            assertThat(host.jobs().stream().filter(j -> j.qname().name().startsWith("d-"))).isEmpty();

            // cross-namespace: refused or confined to the plugin's own namespace
            assertThat(Probe.notes()).contains("cross: namespace hostile-cross", "cross: cancel(tick) returned false",
                    "cross: sees [hostile-cross.intrude]", "cross: added hostile-cross.tick");
            assertThat(Probe.notes()).anyMatch(n -> n.startsWith("cross: cancel(canary.tick) refused: invalid job"
                    + " name \"canary.tick\""));

            // and close() returns within its bound while abandoned threads are still running
            trigger("hostile-hang.deaf");
            trigger("hostile-hang.spinner");
            Eventually.await(PATIENCE, () -> Probe.counted("spinner.started") == spinRuns + 1, () -> "last spinner");
            long runs = host.jobs().stream().mapToLong(j -> j.runCount()).sum();
            long failures = host.jobs().stream().mapToLong(j -> j.failureCount()).sum();
            long t0 = System.nanoTime();
            host.close();
            Duration closing = Duration.ofNanos(System.nanoTime() - t0);
            host = null;
            report("hostile run: " + window.toSeconds() + " s, 7 plugins, " + runs + " runs of which " + failures
                    + " failed, " + dynamicJobs + " dynamic jobs (" + Probe.counted("dyn.ran") + " dynamic runs), "
                    + (std.bytes.get() >> 20) + " MiB to stdout/stderr, " + (deafRuns + 1) + " deaf and "
                    + (spinRuns + 1) + " spinning threads abandoned; close() took " + closing.toMillis() + " ms"
                    + " (grace " + GRACE.toMillis() + " ms); WARN/ERROR log lines: " + logs.lines().size());
            assertThat(closing).as("close() with abandoned threads still running")
                    .isLessThan(HostileRuns.closeBound(GRACE));
            assertThat(logs.containing("ClassNotFoundException", "NoClassDefFoundError").stream()
                    .filter(l -> !l.contains("p.hthrow.Bad"))).as("class loading failures").isEmpty();
        }
    }

    /** Closes the host before the sinks are taken away, so a flooding plugin never reaches the build log. */
    private final class Closer implements AutoCloseable {
        @Override
        public void close() {
            if (host != null) {
                host.close();
                host = null;
            }
        }
    }

    private void trigger(String qname) {
        host.trigger(QName.parse(qname));
    }

    private void assertFailing(String qname, String messageStart, int atLeast) {
        Eventually.await(PATIENCE, () -> record(host, qname).failureCount() >= atLeast,
                () -> qname + " has failed " + atLeast + " time(s); last: " + lastMessage(host, qname));
        JobRecord r = record(host, qname);
        assertThat(r.lastOutcome()).as(qname).hasValueSatisfying(o -> {
            assertThat(o.success()).isFalse();
            assertThat(o.message()).startsWith(messageStart);
        });
        assertThat(r.consecutiveFailures()).as(qname + " consecutive failures").isPositive();
    }

    private static void report(String line) {
        HostileRuns.report(line);
    }
}
