package dev.belfry.test;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.OverlapPolicy;
import dev.belfry.api.RetryPolicy;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.HostListener;
import dev.belfry.host.JobView;
import dev.belfry.host.RunView;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManualHostTest {
    @TempDir
    Path data;

    /** Records the instants it was scheduled for; fails its first {@code failures} runs. */
    static final class Recording implements BackgroundJob {
        final JobSpec spec;
        final List<Instant> ranFor = new CopyOnWriteArrayList<>();
        final List<Integer> attempts = new CopyOnWriteArrayList<>();
        int failures;

        Recording(JobSpec spec) {
            this.spec = spec;
        }

        @Override
        public JobSpec spec() {
            return spec;
        }

        @Override
        public void run(JobContext context) {
            ranFor.add(context.scheduledFor());
            attempts.add(context.attempt());
            context.saveCheckpoint(Integer.toString(ranFor.size()));
            if (failures-- > 0) {
                throw new IllegalStateException("planned failure");
            }
        }
    }

    @Test
    void shouldFireACronJobAtEachScheduledInstantAsTheClockAdvances() {
        Recording hourly = new Recording(JobSpec.builder("hourly", Schedule.cron("0 * * * *", ZoneId.of("UTC")))
                .build());
        try (ManualHost host = ManualHost.builder(data).register("app", hourly).start()) {
            int ran = host.advance(Duration.ofHours(3).plusMinutes(30));

            assertThat(ran).isEqualTo(3);
            assertThat(hourly.ranFor).containsExactly(Instant.parse("2026-01-01T01:00:00Z"),
                    Instant.parse("2026-01-01T02:00:00Z"), Instant.parse("2026-01-01T03:00:00Z"));
            JobView job = host.job("app.hourly");
            assertThat(job.runCount()).isEqualTo(3);
            assertThat(job.nextFireAt()).contains(Instant.parse("2026-01-01T04:00:00Z"));
            assertThat(job.checkpoint()).contains("3");
        }
    }

    @Test
    void shouldRetryAFailedRunAfterItsBackoffWhenTheClockGetsThere() {
        Recording flaky = new Recording(JobSpec.builder("flaky", Schedule.manual())
                .retry(RetryPolicy.exponential(3, Duration.ofMinutes(1))).build());
        flaky.failures = 1;
        try (ManualHost host = ManualHost.builder(data).register("app", flaky).start()) {
            host.trigger("app.flaky");
            assertThat(host.job("app.flaky").status()).isEqualTo(JobView.Status.FAILED_RETRYING);
            assertThat(flaky.attempts).containsExactly(1);
            Instant failedAt = host.clock().instant();
            assertThat(host.job("app.flaky").nextRetryAt()).as("1 min backoff, 20 % jitter").hasValueSatisfying(at ->
                    assertThat(at).isBetween(failedAt.plusSeconds(48), failedAt.plusSeconds(72)));

            host.advance(Duration.ofSeconds(30));
            assertThat(flaky.attempts).as("not before the backoff").containsExactly(1);

            host.advance(Duration.ofMinutes(2));
            assertThat(flaky.attempts).containsExactly(1, 2);
            assertThat(host.job("app.flaky").nextRetryAt()).isEmpty();
            assertThat(host.job("app.flaky").failureCount()).isEqualTo(1);
            assertThat(host.job("app.flaky").lastRun()).hasValueSatisfying(r -> assertThat(r.succeeded()).isTrue());
        }
    }

    @Test
    void shouldShowAHeldRunAsRunningAndSkipAnOverlappingFire() {
        Recording minutely = new Recording(JobSpec.builder("minutely", Schedule.every(Duration.ofMinutes(1)))
                .overlap(OverlapPolicy.SKIP).build());
        try (ManualHost host = ManualHost.builder(data).register("app", minutely).holdRuns().start()) {
            host.advance(Duration.ofMinutes(3));

            assertThat(host.pendingRuns()).as("one run in flight; the fires during it are skipped").isEqualTo(1);
            assertThat(host.job("app.minutely").running()).hasSize(1);
            assertThat(host.job("app.minutely").status()).isEqualTo(JobView.Status.RUNNING);

            assertThat(host.runPending()).isEqualTo(1);
            assertThat(host.job("app.minutely").running()).isEmpty();
            assertThat(host.job("app.minutely").runCount()).isEqualTo(1);
        }
    }

    @Test
    void shouldCarryAJobsStateAcrossARestartWithoutShowingItAsAnOrphan() {
        List<String> events = new CopyOnWriteArrayList<>();
        HostListener listener = new HostListener() {
            @Override
            public void jobOrphaned(JobView job) {
                events.add("orphaned " + job.qname());
            }

            @Override
            public void runFinished(RunView run) {
                events.add("finished " + run.job() + " " + (run.succeeded() ? "ok" : run.error().orElseThrow()));
            }
        };
        SettableClock clock = SettableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
        try (ManualHost host = ManualHost.builder(data).clock(clock).listener(listener)
                .register("app", new Recording(JobSpec.builder("daily", Schedule.cron("0 6 * * *")).build())).start()) {
            host.advance(Duration.ofDays(2));
            assertThat(host.job("app.daily").runCount()).isEqualTo(2);
        }
        try (ManualHost host = ManualHost.builder(data).clock(clock).listener(listener)
                .register("app", new Recording(JobSpec.builder("daily", Schedule.cron("0 6 * * *")).build())).start()) {
            assertThat(host.job("app.daily").runCount()).isEqualTo(2);
            assertThat(host.job("app.daily").checkpoint()).contains("2");
            host.advance(Duration.ofDays(1));
            assertThat(host.job("app.daily").runCount()).isEqualTo(3);
        }
        assertThat(events).containsExactly("finished app.daily ok", "finished app.daily ok", "finished app.daily ok");
    }
}
