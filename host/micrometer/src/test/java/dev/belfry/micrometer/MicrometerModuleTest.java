package dev.belfry.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.internal.Seams;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.host.testing.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An embedding application's registry gets the host's meters: runs by plugin, job and outcome, fire lag and run
 * duration as timers, the jobs by status and the engine's figures, the per-job bound, and nothing left behind when
 * the host closes. The host is stepped with a fake clock, so nothing sleeps.
 */
class MicrometerModuleTest {
    @TempDir
    Path data;

    private final FakeClock clock = FakeClock.at("2027-01-04T12:00:00Z");
    private final Deque<Runnable> runs = new ArrayDeque<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** The failing job's runs are logged: captured and asserted, not printed. */
    @RegisterExtension
    final LogCapture log = LogCapture.of(Engine.class).atLevel(Level.WARN);
    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private void start(int jobLabelLimit, BackgroundJob... jobs) {
        host = Seams.steppedHosts().start(HostConfig.builder().dataDir(data).clock(clock)
                .pluginScanInterval(Duration.ZERO).module(MicrometerModule.of(registry, jobLabelLimit))
                .register("billing", jobs).build(), runs::addLast);
    }

    private void step() {
        Seams.steppedHosts().runDue(host);
        while (!runs.isEmpty()) {
            runs.pollFirst().run();
        }
    }

    private static BackgroundJob job(String name, boolean fails) {
        return new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return JobSpec.builder(name, Schedule.every(Duration.ofMinutes(10))).build();
            }

            @Override
            public void run(JobContext context) {
                if (fails) {
                    throw new IllegalStateException("no invoices today");
                }
            }
        };
    }

    @Test
    void shouldCountEachJobsRunsByOutcomeAndTimeTheirLagAndDuration() {
        // given: a host with one job that succeeds and one that fails
        start(1_000, job("invoices", false), job("reminders", true));

        // when: both fire at noon, and again ten minutes later, one of them three seconds late
        step();
        clock.advance(Duration.ofMinutes(10).plusSeconds(3));
        step();

        // then: the registry has their runs by plugin, job and outcome
        assertThat(registry.get("belfry.runs").tags("plugin", "billing", "belfry.job", "billing.invoices", "outcome",
                "succeeded").counter().count()).isEqualTo(2);
        assertThat(registry.get("belfry.runs").tags("belfry.job", "billing.invoices", "outcome", "failed").counter()
                .count()).isZero();
        assertThat(registry.get("belfry.runs").tags("belfry.job", "billing.reminders", "outcome", "failed").counter()
                .count()).isEqualTo(2);
        // and each job's fire lag: one run on time, one three seconds late
        var lag = registry.get("belfry.fire.lag").tags("belfry.job", "billing.invoices").timer();
        assertThat(lag.count()).isEqualTo(2);
        assertThat(lag.max(TimeUnit.SECONDS)).isEqualTo(3.0);
        assertThat(registry.get("belfry.run.duration").tags("belfry.job", "billing.reminders").timer().count())
                .isEqualTo(2);
        // and the host-wide figures, read when published
        assertThat(registry.get("belfry.jobs").tag("status", "scheduled").gauge().value()).isEqualTo(2);
        assertThat(registry.get("belfry.jobs").tag("status", "paused").gauge().value()).isZero();
        assertThat(registry.get("belfry.fires").functionCounter().count()).isEqualTo(4);
        assertThat(registry.get("belfry.sidecar.healthy").gauge().value()).isEqualTo(1);
        assertThat(log.matching(Level.WARN, "of job billing.reminders (attempt 1) failed")).hasSize(2);
    }

    @Test
    void shouldCountJobsBeyondTheLabelLimitUnderOtherAndLeaveNoMeterBehindWhenTheHostCloses() {
        // given: a bound of one job with meters of its own, and three jobs
        start(1, job("a", false), job("b", false), job("c", false));

        // when: they all fire
        step();

        // then: one job has its own meters, the two others share their plugin's
        assertThat(registry.get("belfry.runs").tag("outcome", "succeeded").counters())
                .extracting(c -> c.getId().getTag("belfry.job") + "=" + (long) c.count())
                .containsExactlyInAnyOrder("billing.a=1", "_other=2");

        // when: the host closes
        host.close();
        host = null;

        // then: its meters are gone from the application's registry
        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void shouldRefuseANegativeLabelLimitNamingIt() {
        assertThatThrownBy(() -> MicrometerModule.of(registry, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the metrics' job label limit must be 0 or more, not -1");
    }
}
