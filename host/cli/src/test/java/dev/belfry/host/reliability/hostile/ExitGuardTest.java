package dev.belfry.host.reliability.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.host.Host;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.plugins.ExitGuard;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.LogCapture;
import java.io.FilePermission;
import java.nio.file.Path;
import java.security.Permission;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** System.exit from plugin code is refused and recorded; the guard changes nothing else and cleans up after itself. */
@SuppressWarnings("removal") // the guard is a SecurityManager: the only exit hook on Java 17-23
class ExitGuardTest {
    @TempDir
    Path data;
    @TempDir
    Path plugins;

    /** The refused exits fail their runs, which the engine logs: asserted below, kept off the console. */
    @RegisterExtension
    final LogCapture log = LogCapture.of(Engine.class);

    private Host host;

    @BeforeEach
    void reset() {
        HostileRuns.reset();
        assertThat(System.getSecurityManager()).as("no security manager before the test").isNull();
    }

    @AfterEach
    void cleanUp() {
        if (host != null) {
            host.close();
        }
    }

    @Test
    void shouldRecordAPluginsSystemExitAsAFailedRunAndKeepTheHostRunning() {
        // given a host with the exiting plugin and the canary
        HostilePlugins.canary().writeTo(plugins, "canary.jar");
        HostilePlugins.exiter().writeTo(plugins, "hostile-exit.jar");
        host = HostileFixture.start(data, plugins, Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertThat(System.getSecurityManager()).as("the host's exit guard").isNotNull();

        // when the plugin calls System.exit(3) and Runtime.halt(4)
        host.trigger(QName.parse("hostile-exit.exit"));
        host.trigger(QName.parse("hostile-exit.halt"));

        // then both runs failed with a clear message, and the host (we are still here) fires on
        Eventually.await(Duration.ofSeconds(10), () -> HostileFixture.record(host, "hostile-exit.exit").failureCount()
                == 1 && HostileFixture.record(host, "hostile-exit.halt").failureCount() == 1, () -> "runs recorded");
        assertThat(HostileFixture.lastMessage(host, "hostile-exit.exit"))
                .isEqualTo("java.lang.SecurityException: plugin called System.exit(3); refused (from p.hexit.Exit)");
        assertThat(HostileFixture.lastMessage(host, "hostile-exit.halt"))
                .isEqualTo("java.lang.SecurityException: plugin called Runtime.halt(4); refused (from p.hexit.Halt)");
        Eventually.await(Duration.ofSeconds(10), () -> log.matching(Level.WARN, "plugin called System.exit(3); refused")
                .size() == 1 && log.matching(Level.WARN, "plugin called Runtime.halt(4); refused").size() == 1,
                () -> "both refused exits logged once, caught: " + log.lines(Level.WARN));
        int fired = Probe.canaryLags().size();
        Eventually.await(Duration.ofSeconds(10), () -> Probe.canaryLags().size() > fired + 3, () -> "canary fires on");

        // and closing the host removes the guard again
        host.close();
        host = null;
        assertThat(System.getSecurityManager()).isNull();
    }

    @Test
    void shouldPermitExitAndEverythingElseToCodeThatIsNotAPlugins() {
        try (ExitGuard guard = ExitGuard.acquire()) {
            assertThat(guard.protecting()).as("Java 17 allows a security manager at run time").isTrue();
            SecurityManager sm = System.getSecurityManager();
            // no plugin class on this stack: checkExit must let System.exit through (called directly here)
            assertThatCode(() -> sm.checkExit(0)).doesNotThrowAnyException();
            assertThatCode(() -> {
                sm.checkPermission(new FilePermission("/", "read,write,delete,execute"));
                sm.checkPermission(new RuntimePermission("setSecurityManager"), null);
                sm.checkRead("/etc/passwd");
                sm.checkConnect("localhost", 80);
                sm.checkPropertiesAccess();
                Thread t = new Thread(() -> { });
                t.start();
                t.join();
            }).doesNotThrowAnyException();
        }
        assertThat(System.getSecurityManager()).isNull();
    }

    @Test
    void shouldShareOneGuardBetweenHostsAndRemoveItWithTheLast() {
        ExitGuard first = ExitGuard.acquire();
        SecurityManager installed = System.getSecurityManager();
        ExitGuard second = ExitGuard.acquire();
        assertThat(System.getSecurityManager()).isSameAs(installed);

        first.close();
        first.close(); // twice changes nothing
        assertThat(System.getSecurityManager()).as("still held by the second").isSameAs(installed);
        second.close();
        assertThat(System.getSecurityManager()).isNull();
    }

    @Test
    void shouldLeaveASecurityManagerItDidNotInstallAlone() {
        SecurityManager foreign = new SecurityManager() {
            @Override
            public void checkPermission(Permission perm) {
            }
        };
        System.setSecurityManager(foreign);
        try {
            try (ExitGuard guard = ExitGuard.acquire()) {
                assertThat(guard.protecting()).isFalse();
            }
            assertThat(System.getSecurityManager()).isSameAs(foreign);
        } finally {
            System.setSecurityManager(null);
        }
    }
}
