package dev.belfry.host.reliability.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.host.Host;
import dev.belfry.host.testing.Eventually;
import dev.belfry.sidecar.JobStatus;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A known limit, pinned down so that it is documented and a change to it is noticed: the namespace of
 * {@code JobScheduler} is an API boundary, not a security boundary. Plugins run in the host's JVM, in the same
 * (unnamed) module, with every permission, so reflection reaches the engine behind the scheduler and can cancel
 * another plugin's job. Only running plugins in another process (or the host as a named module that does not open
 * its internals) would stop that.
 */
class ReflectionLimitTest {
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
    }

    @Test
    void shouldNotStopReflectionFromReachingAnotherPluginsJobs() {
        HostilePlugins.canary().writeTo(plugins, "canary.jar");
        HostilePlugins.reflector("canary.tick").writeTo(plugins, "hostile-reflect.jar");
        host = HostileFixture.start(data, plugins, Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1));

        host.trigger(QName.parse("hostile-reflect.reflect"));

        Eventually.await(Duration.ofSeconds(10), () -> HostileFixture.record(host, "hostile-reflect.reflect")
                .runCount() == 1 && HostileFixture.record(host, "hostile-reflect.reflect").status()
                == JobStatus.IDLE, () -> "reflect ran");
        assertThat(HostileFixture.lastMessage(host, "hostile-reflect.reflect")).isEmpty();
        assertThat(Probe.notes()).containsExactly(
                "reflect: cancelled canary.tick through dev.belfry.host.internal.engine.Engine");
        assertThat(HostileFixture.record(host, "canary.tick").status()).isEqualTo(JobStatus.CANCELLED);
    }
}
