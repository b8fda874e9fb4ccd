package dev.belfry.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.Seams;
import dev.belfry.host.testing.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A library host (belfry-core only) keeps the last runs of its jobs across restarts. */
class HostRunHistoryTest {
    private static final QName INVOICES = QName.parse("billing.invoices");

    @TempDir
    Path data;
    @TempDir
    Path plugins;

    private final FakeClock clock = FakeClock.at("2026-01-01T00:00:00Z");
    private final Deque<Runnable> runs = new ArrayDeque<>();
    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private Host start(HostConfig.Builder config) {
        host = Seams.steppedHosts().start(config.dataDir(data).clock(clock).pluginScanInterval(Duration.ZERO)
                .build(), runs::addLast);
        return host;
    }

    private void restart(HostConfig.Builder config) {
        host.close();
        host = null;
        start(config);
    }

    private void step() {
        Seams.steppedHosts().runDue(host);
        while (!runs.isEmpty()) {
            runs.pollFirst().run();
        }
    }

    private static BackgroundJob job(String name, Schedule schedule, Consumer<JobContext> body) {
        return new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return JobSpec.builder(name, schedule).build();
            }

            @Override
            public void run(JobContext context) {
                body.accept(context);
            }
        };
    }

    private static HostConfig.Builder billing(int history) {
        return HostConfig.builder().runHistory(history).register("billing",
                job("invoices", Schedule.every(Duration.ofMinutes(10)), c -> {
                    if (c.scheduledFor().toString().endsWith(":20:00Z")) {
                        throw new IllegalStateException("no invoices today");
                    }
                }));
    }

    @Test
    void shouldShowTheLastRunsOfAJobAfterARestartNewestFirst() {
        start(billing(50));
        for (int i = 0; i < 3; i++) {
            step();
            clock.advance(Duration.ofMinutes(10));
        }
        assertThat(host.runs(INVOICES)).hasSize(3);

        restart(billing(50));

        assertThat(host.runs(INVOICES)).extracting(r -> r.scheduledFor().toString()).containsExactly(
                "2026-01-01T00:20:00Z", "2026-01-01T00:10:00Z", "2026-01-01T00:00:00Z");
        RunView failed = host.runs(INVOICES).get(0);
        assertThat(failed.outcome()).isEqualTo(RunView.Outcome.FAILED);
        assertThat(failed.error()).hasValueSatisfying(e -> assertThat(e).contains("no invoices today"));
        assertThat(host.runs(INVOICES).get(1).succeeded()).isTrue();
        step(); // the restored job fires again: its run joins the history of the earlier process
        assertThat(host.runs(INVOICES)).extracting(r -> r.scheduledFor().toString()).startsWith(
                "2026-01-01T00:30:00Z", "2026-01-01T00:20:00Z").hasSize(4);
    }

    @Test
    void shouldKeepAtMostTheConfiguredRunsPerJob() {
        start(billing(2));
        for (int i = 0; i < 5; i++) {
            step();
            clock.advance(Duration.ofMinutes(10));
        }

        assertThat(host.runs(INVOICES)).extracting(r -> r.scheduledFor().toString())
                .containsExactly("2026-01-01T00:40:00Z", "2026-01-01T00:30:00Z");
        restart(billing(2));
        assertThat(host.runs(INVOICES)).hasSize(2);
    }

    @Test
    void shouldKeepNoRunsWhenHistoryIsOff() {
        start(billing(0));
        step();

        assertThat(host.runs(INVOICES)).isEmpty();
        assertThat(data.resolve("_system").toFile().list((d, n) -> n.startsWith("background_jobs.runs."))).isEmpty();
    }

    @Test
    void shouldForgetTheRunsOfACancelledDynamicJobAcrossARestart() {
        HostConfig.Builder config = HostConfig.builder().register("billing",
                job("spawner", Schedule.manual(), c -> c.scheduler().add(job("export", Schedule.manual(), x -> {
                }))));
        start(config);
        host.trigger("billing.spawner");
        step();
        QName export = QName.parse("billing.export");
        host.trigger(export);
        step();
        assertThat(host.runs(export)).hasSize(1);

        host.cancel(export);

        assertThat(host.runs(export)).isEmpty();
        restart(config);
        assertThat(host.runs(export)).isEmpty();
        assertThat(host.runs(QName.parse("billing.spawner"))).hasSize(1);
    }

    @Test
    void shouldNotKeepTheRunOfADynamicJobThatEndsAfterTheJobWasCancelled() {
        HostConfig.Builder config = HostConfig.builder().register("billing",
                job("spawner", Schedule.manual(), c -> c.scheduler().add(job("export", Schedule.manual(), x -> {
                }))));
        start(config);
        host.trigger("billing.spawner");
        step();
        QName export = QName.parse("billing.export");
        host.trigger(export); // dispatched: its run is handed to the executor, not yet run

        host.cancel(export);
        step();

        assertThat(host.job(export)).isEmpty();
        assertThat(host.runs(export)).isEmpty();
        restart(config);
        assertThat(host.runs(export)).isEmpty();
    }

    @Test
    void shouldForgetTheRunsOfAPrunedOrphan() {
        // Orphans are pruned once the plugins folder has been scanned: the host needs one, empty here.
        HostConfig.Builder config = billing(50).pluginsDir(plugins).orphanRetention(Duration.ofMinutes(1));
        start(config);
        step();
        assertThat(host.runs(INVOICES)).hasSize(1);
        host.unregister("billing");

        clock.advance(Duration.ofHours(2));
        step();

        assertThat(host.job(INVOICES)).as("pruned").isEmpty();
        assertThat(host.runs(INVOICES)).isEmpty();
        restart(HostConfig.builder().pluginsDir(plugins));
        assertThat(host.runs(INVOICES)).isEmpty();
    }

    @Test
    void shouldRefuseARunHistoryOutOfBoundsAtOnce() {
        assertThatThrownBy(() -> HostConfig.builder().runHistory(-1))
                .hasMessage("runHistory must be 0 to 10000, not '-1'");
        assertThatThrownBy(() -> HostConfig.builder().runHistory(10_001))
                .hasMessage("runHistory must be 0 to 10000, not '10001'");
        assertThat(HostConfig.builder().build().runHistory()).isEqualTo(50);
    }
}
