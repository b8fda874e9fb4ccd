package dev.belfry.plugins.hello;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.test.ManualHost;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin's jobs on the real engine, their schedules driven by a fake clock: a minute passes in no time. */
class HelloJobsScheduleTest {
    @TempDir
    Path data;

    @Test
    void shouldGreetEveryMinuteAndBeatEveryTenSecondsAndSayHelloOnlyWhenTriggered() {
        try (ManualHost host = ManualHost.builder(data)
                .register("hello-jobs", new GreetingJob(), new HeartbeatJob(), new SayHelloJob()).start()) {
            host.advance(Duration.ofMinutes(2));

            assertThat(host.job("hello-jobs.greeting").runCount()).isEqualTo(2);
            assertThat(host.job("hello-jobs.greeting").nextFireAt()).contains(Instant.parse("2026-01-01T00:03:00Z"));
            assertThat(host.job("hello-jobs.heartbeat").checkpoint()).contains("13"); // at 0 s, then every 10 s
            assertThat(host.job("hello-jobs.say-hello").runCount()).isZero();

            host.trigger("hello-jobs.say-hello");
            assertThat(host.job("hello-jobs.say-hello").runCount()).isEqualTo(1);
        }
    }
}
