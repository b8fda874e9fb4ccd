package dev.belfry.plugins.hello;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.test.FakeJobContext;
import org.junit.jupiter.api.Test;

class HeartbeatJobTest {

    @Test
    void shouldCountItsBeatsInItsCheckpointAcrossRuns() {
        FakeJobContext first = FakeJobContext.of("hello-jobs.heartbeat");
        new HeartbeatJob().run(first);
        assertThat(first.savedCheckpoints()).containsExactly("1");

        FakeJobContext afterRestart = FakeJobContext.of("hello-jobs.heartbeat").checkpoint("41");
        new HeartbeatJob().run(afterRestart);
        assertThat(afterRestart.savedCheckpoints()).containsExactly("42");
    }

    @Test
    void shouldReportItsGreetingForTheInstantItWasScheduledFor() {
        FakeJobContext context = FakeJobContext.of("hello-jobs.greeting")
                .scheduledFor(java.time.Instant.parse("2026-03-29T01:00:00Z"));
        new GreetingJob().run(context);
        assertThat(context.progressReports()).containsExactly(
                new FakeJobContext.Progress(1.0, "greeted for 2026-03-29T01:00:00Z"));
    }
}
