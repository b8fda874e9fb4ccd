package dev.belfry.example;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.test.ManualHost;
import dev.belfry.test.SettableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How an embedding application tests its jobs: a ManualHost on a fake clock, nothing sleeps. */
class ExampleAppTest {
    @TempDir
    Path data;

    @Test
    void shouldSendADigestEveryTenSecondsNumberedAcrossRestarts() {
        try (ManualHost host = ManualHost.builder(data).register("example", new DigestJob()).start()) {
            host.advance(Duration.ofMinutes(1));
            assertThat(host.job("example.digest").runCount()).isEqualTo(7); // at 0 s, then every 10 s up to 60 s
            assertThat(host.job("example.digest").checkpoint()).contains("7");
        }
        try (ManualHost host = ManualHost.builder(data).register("example", new DigestJob()).start()) {
            host.trigger("example.digest");
            assertThat(host.job("example.digest").checkpoint()).contains("8");
        }
    }

    @Test
    void shouldCleanUpAtHalfPastThreeBerlinTimeAcrossTheSpringGap() {
        // 2026-03-29: Berlin skips from 02:00 to 03:00; 03:30 CEST is 01:30 UTC.
        SettableClock clock = SettableClock.at(Instant.parse("2026-03-28T12:00:00Z"));
        try (ManualHost host = ManualHost.builder(data).clock(clock)
                .register("example", new NightlyCleanupJob()).start()) {
            host.advance(Duration.ofHours(12));
            assertThat(host.job("example.nightly-cleanup").runCount()).isZero();
            assertThat(host.job("example.nightly-cleanup").nextFireAt())
                    .contains(Instant.parse("2026-03-29T01:30:00Z"));

            host.advance(Duration.ofHours(2));
            assertThat(host.job("example.nightly-cleanup").runCount()).isEqualTo(1);
            assertThat(host.job("example.nightly-cleanup").lastRun()).hasValueSatisfying(r ->
                    assertThat(r.succeeded()).isTrue());
        }
    }

    @Test
    void shouldRunTheApplicationsJobsBesideTheExamplePlugins() throws Exception {
        Path plugins = Path.of(System.getProperty("belfry.examplePlugins"));
        assertThat(Files.list(plugins)).isNotEmpty();
        HostConfig config = HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .register("example", new DigestJob(), new NightlyCleanupJob()).build();
        assertThat(ExampleApp.config(data, plugins).registrations().keySet()).containsExactly("example");
        try (Host host = Host.start(config)) {
            assertThat(host.plugins()).containsExactlyInAnyOrder("hello-jobs", "ingest-demo");
            assertThat(host.jobs()).extracting(j -> j.qname().toString())
                    .contains("example.digest", "example.nightly-cleanup", "hello-jobs.heartbeat");
            assertThat(host.pluginViews()).extracting(p -> p.file().getFileName().toString())
                    .containsExactlyInAnyOrder("hello-jobs.jar", "ingest-demo.jar");
        }
    }
}
