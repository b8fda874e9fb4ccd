package dev.belfry.host.reliability.hostile;

import static dev.belfry.host.reliability.hostile.HostilePlugins.lifecycle;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.Host;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plugin whose {@code Plugin.start} takes its time holds up neither the start-up nor the other plugins' fires. */
class SlowPluginStartTest {
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
        Probe.release();
        if (host != null) {
            host.close();
        }
    }

    @Test
    void shouldFireTheCanaryWhileAPluginScannedAfterItIsStillStarting() throws Exception {
        HostilePlugins.canary().writeTo(plugins, "canary.jar");
        // Plugins start in id order: this one after the canary. Its start returns once the test releases it.
        lifecycle("zz-slow-start", "start", "while (!dev.belfry.host.reliability.hostile.Probe.released()) {\n"
                + "  try { Thread.sleep(10); } catch (InterruptedException e) { return; }\n}")
                .writeTo(plugins, "zz-slow-start.jar");

        CompletableFuture<Host> starting = CompletableFuture.supplyAsync(() -> HostileFixture.start(data, plugins,
                Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1)));
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (Probe.canaryLags().size() < 3 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }

        assertThat(Probe.canaryLags()).as("canary fires while zz-slow-start is in its start()").hasSizeGreaterThan(2);
        assertThat(starting).as("the host is still starting").isNotDone();
        Probe.release();
        host = starting.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(host.plugins()).contains("canary", "zz-slow-start");
    }
}
