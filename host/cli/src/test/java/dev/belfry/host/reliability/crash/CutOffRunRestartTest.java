package dev.belfry.host.reliability.crash;

import dev.belfry.host.TestAccess;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.PluginJarBuilder;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Once run cut off by a crash must end FAILED (no retries) even if the host stops again before the job's plugin
 * is back: the kill loop found such a job IDLE after a second kill during start-up (fixed in the engine: the failed
 * fire is now decided from what is on disk).
 */
class CutOffRunRestartTest {
    private static final QName ONCE = QName.parse("relic.once");

    @TempDir
    Path data;
    @TempDir
    Path plugins;

    /** The cut-off run is logged when it is recorded as failed: asserted below, kept off the console. */
    @RegisterExtension
    final LogCapture log = LogCapture.of(Engine.class);

    @Test
    void shouldRecordACutOffOnceRunAsFailedWhenTheHostStopsAgainBeforeThePluginIsBack() throws Exception {
        // given: the state a kill leaves when a durable-start Once job was running
        Instant at = Instant.now().minusSeconds(60);
        JobRecord running = JobRecord.pending(ONCE, "relic", Schedule.once(at)).withStatus(JobStatus.RUNNING)
                .withRunCount(1).withLastStartedAt(Optional.of(at)).withVersion(3);
        new SidecarStore(data, Clock.systemUTC()).write(SidecarDocument.of(Instant.now(), List.of(running)));

        // when: a start without the plugin (as a second kill during start-up would leave it), then one with it
        try (Host host = start()) {
            assertThat(host.job(ONCE).orElseThrow().failureCount()).isEqualTo(1);
        }
        log.assertLogged(Level.WARN, "job relic.once was running when the host stopped; recorded as a failed run");
        PluginJarBuilder.plugin("relic").extension("relic.Once", "package relic;\nimport dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.*;\npublic class Once implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"once\", Schedule.once(java.time.Instant"
                + ".ofEpochMilli(" + at.toEpochMilli() + "L))).build(); }\n"
                + "  public void run(JobContext c) { throw new IllegalStateException(\"fired again\"); }\n}\n")
                .writeTo(plugins, "relic.jar");

        // then: the job is FAILED, with the one failure of its cut-off run, and never fires again
        try (Host host = start()) {
            Eventually.await(Duration.ofSeconds(20), () -> TestAccess.record(host, ONCE).status()
                    != JobStatus.ORPHANED, () -> "plugin relic attached");
            JobRecord after = TestAccess.record(host, ONCE);
            assertThat(after.runCount()).isEqualTo(1);
            assertThat(after.failureCount()).isEqualTo(1);
            assertThat(after.status()).isEqualTo(JobStatus.FAILED);
        }
    }

    private Host start() {
        return Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).pluginScanInterval(Duration.ZERO).build());
    }
}
