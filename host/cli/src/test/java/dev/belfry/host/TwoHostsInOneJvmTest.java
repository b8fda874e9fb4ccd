package dev.belfry.host;

import dev.belfry.host.admin.AdminModule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.QName;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.StateOnDisk;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hosts in one JVM, each on its own data directory and plugins folder: they fire, persist and answer on their
 * own, and closing one leaves the other running. What they do share (the exit guard) is shared on purpose.
 */
@SuppressWarnings("removal") // the exit guard is a SecurityManager: the only exit hook on Java 17-23
class TwoHostsInOneJvmTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final Path EXAMPLES = Path.of(System.getProperty("belfry.examplePlugins", "target/example-plugins"));
    private static final QName SAY_HELLO = QName.parse("hello-jobs.say-hello");

    @TempDir
    Path root;

    /** Both hosts' start and stop lines: kept off the console. */
    @RegisterExtension
    final LogCapture log = LogCapture.ofNames("dev.belfry.host", "dev.belfry.sidecar", "org.pf4j");

    private Host first;
    private Host second;

    @BeforeEach
    void noGuardYet() {
        assertThat(System.getSecurityManager()).as("no security manager before the test").isNull();
    }

    @AfterEach
    void stop() {
        if (first != null) {
            first.close();
        }
        if (second != null) {
            second.close();
        }
    }

    private Path data(String name) {
        return root.resolve(name).resolve("data");
    }

    private Host start(String name) throws IOException {
        Path plugins = Files.createDirectories(root.resolve(name).resolve("plugins"));
        Path jar = EXAMPLES.resolve("hello-jobs.jar");
        assertThat(jar).as("built example plugin (run the build first)").exists();
        Files.copy(jar, plugins.resolve("hello-jobs.jar"));
        return Host.start(HostConfig.builder().dataDir(data(name)).pluginsDir(plugins)
                .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO)
                .shutdownGrace(Duration.ofSeconds(5)).exitGuard(true).build()); // the guard belfry run has
    }

    /** Where the admin module says its API listens: the address the command line reads. */
    private static URI adminUrl(Host host) {
        try {
            return URI.create(Files.readString(host.config().dataDir().resolve("admin.url")).strip());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void triggerAndAwait(Host host, long runsAfter) {
        assertThat(host.trigger(SAY_HELLO)).isEqualTo(TriggerOutcome.STARTED);
        Eventually.await(PATIENCE, () -> {
            JobRecord r = TestAccess.record(host, SAY_HELLO);
            return r.runCount() == runsAfter && r.status() == JobStatus.IDLE;
        }, () -> "say-hello ran " + runsAfter + " time(s) on " + host.config().dataDir());
    }

    private long persistedRuns(String name) throws IOException {
        return StateOnDisk.read(data(name)).job(SAY_HELLO).orElseThrow().runCount();
    }

    private static Set<ObjectName> belfryMBeans() throws MalformedObjectNameException {
        return ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName("dev.belfry:type=Host,*"), null);
    }

    private static ObjectName mbeanOf(Path dataDir) throws MalformedObjectNameException {
        return new ObjectName("dev.belfry:type=Host,data=" + ObjectName.quote(dataDir.toAbsolutePath().toString()));
    }

    private static Object runsTotal(Path dataDir) throws Exception {
        return ManagementFactory.getPlatformMBeanServer().getAttribute(mbeanOf(dataDir), "RunsTotal");
    }

    private int healthStatus(Host host) throws IOException, InterruptedException {
        String token = Files.readString(host.config().dataDir().resolve("admin.token")).strip();
        HttpRequest request = HttpRequest.newBuilder(adminUrl(host).resolve("/health"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void shouldRunSideBySideOnTwoDataDirsAndKeepTheOtherRunningWhenOneCloses() throws Exception {
        // given two hosts in this JVM, each with its own data directory and plugins folder
        first = start("first");
        second = start("second");
        assertThat(first.plugins()).containsExactly("hello-jobs");
        assertThat(second.plugins()).containsExactly("hello-jobs");

        // when each fires its job, the first one twice
        triggerAndAwait(first, 1);
        triggerAndAwait(first, 2);
        triggerAndAwait(second, 1);
        first.flushState().get();
        second.flushState().get();

        // then each keeps its own state file
        assertThat(persistedRuns("first")).isEqualTo(2);
        assertThat(persistedRuns("second")).isEqualTo(1);

        // and each has its own admin API, URL file and JMX bean
        URI firstUrl = adminUrl(first);
        URI secondUrl = adminUrl(second);
        assertThat(firstUrl).isNotEqualTo(secondUrl);
        assertThat(Files.readString(data("first").resolve("admin.url")).strip()).isEqualTo(firstUrl.toString());
        assertThat(Files.readString(data("second").resolve("admin.url")).strip()).isEqualTo(secondUrl.toString());
        assertThat(healthStatus(first)).isEqualTo(200);
        assertThat(healthStatus(second)).isEqualTo(200);
        assertThat(belfryMBeans()).containsExactlyInAnyOrder(mbeanOf(data("first")), mbeanOf(data("second")));
        // (the heartbeat job fires by itself too, so each bean shows at least the runs triggered here)
        assertThat((Long) runsTotal(data("first"))).isGreaterThanOrEqualTo(2L);
        assertThat((Long) runsTotal(data("second"))).isGreaterThanOrEqualTo(1L);

        // and they share one exit guard, held while either runs
        SecurityManager guard = System.getSecurityManager();
        assertThat(guard).as("the hosts' exit guard").isNotNull();

        // when the first closes
        first.close();
        first = null;

        // then the second still fires, persists, answers and is guarded; only the first's bean is gone
        triggerAndAwait(second, 2);
        second.flushState().get();
        assertThat(persistedRuns("second")).isEqualTo(2);
        assertThat(persistedRuns("first")).isEqualTo(2);
        assertThat(healthStatus(second)).isEqualTo(200);
        assertThat(belfryMBeans()).containsExactly(mbeanOf(data("second")));
        assertThat((Long) runsTotal(data("second"))).isGreaterThanOrEqualTo(2L);
        assertThat(System.getSecurityManager()).as("still held by the second host").isSameAs(guard);

        // and closing the second too leaves nothing of either behind in the JVM
        second.close();
        second = null;
        assertThat(belfryMBeans()).isEmpty();
        assertThat(System.getSecurityManager()).isNull();
    }

    @Test
    void shouldRefuseHostsThatWantTheFirstsDataDirOrPortAndLeaveTheFirstAsItWas() throws Exception {
        // given a running host
        first = start("first");

        // when another host in this JVM asks for its data directory
        Path plugins = Files.createDirectories(root.resolve("other-plugins"));
        assertThatThrownBy(() -> Host.start(HostConfig.builder().dataDir(data("first")).pluginsDir(plugins).module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).exitGuard(true).build()))
                .isInstanceOf(HostStartException.class).hasMessageContaining("is in use by another Belfry host");
        // and another asks for its admin port, a refusal that comes after the exit guard was taken
        int firstPort = adminUrl(first).getPort();
        assertThatThrownBy(() -> Host.start(HostConfig.builder().dataDir(data("third")).pluginsDir(plugins).module(AdminModule.onPort(firstPort)).exitGuard(true).build()))
                .isInstanceOf(HostStartException.class).hasMessageContaining("admin API cannot listen");

        // then the first host still runs with its bean and its exit guard, and the refused starts held on to neither
        triggerAndAwait(first, 1);
        assertThat(belfryMBeans()).containsExactly(mbeanOf(data("first")));
        assertThat(System.getSecurityManager()).isNotNull();
        first.close();
        first = null;
        assertThat(System.getSecurityManager()).as("no guard left held by the refused start").isNull();
        assertThat(belfryMBeans()).isEmpty();
    }

    @Test
    void shouldIgnorePf4jSystemPropertiesMeantForAnotherPluginManagerInTheJvm() throws Exception {
        // given an application in the same JVM that runs PF4J in development mode, with its own plugin status files,
        // one of which disables a plugin that has the id of the host's example plugin
        Path appConfig = Files.createDirectories(root.resolve("app-pf4j"));
        Files.writeString(appConfig.resolve("disabled.txt"), "hello-jobs\n");
        String mode = System.setProperty("pf4j.mode", "development");
        String configDir = System.setProperty("pf4j.pluginsConfigDir", appConfig.toString());
        try {
            // when a host starts
            first = start("first");

            // then its plugin runs as it would without the application's settings
            assertThat(first.plugins()).containsExactly("hello-jobs");
            triggerAndAwait(first, 1);
        } finally {
            restore("pf4j.mode", mode);
            restore("pf4j.pluginsConfigDir", configDir);
        }
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }
}
