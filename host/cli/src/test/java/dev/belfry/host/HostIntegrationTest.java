package dev.belfry.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.StateOnDisk;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A real host on a temp data dir, loading the built example plugin jars from a temp plugins folder. */
class HostIntegrationTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final Path EXAMPLES = Path.of(System.getProperty("belfry.examplePlugins", "target/example-plugins"));

    @TempDir
    Path data;
    @TempDir
    Path plugins;

    /** The refused jar and the reset state are logged: asserted where a test causes them, kept off the console. */
    @RegisterExtension
    final LogCapture log = LogCapture.ofNames("dev.belfry.host", "dev.belfry.sidecar", "org.pf4j");

    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private Host start() {
        host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .pluginScanInterval(Duration.ofMillis(100)).shutdownGrace(Duration.ofSeconds(5)).build());
        return host;
    }

    private void deploy(String plugin) throws IOException {
        Path jar = EXAMPLES.resolve(plugin + ".jar");
        assertThat(jar).as("built example plugin (run the build first)").exists();
        Path tmp = plugins.resolve("." + plugin + ".jar.part");
        Files.copy(jar, tmp);
        Files.move(tmp, plugins.resolve(plugin + ".jar")); // appears whole, as a careful deployer does
    }

    private SidecarDocument sidecar() throws IOException {
        return StateOnDisk.read(data);
    }

    private Optional<JobRecord> persisted(String qname) {
        try {
            return sidecar().job(QName.parse(qname));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private JobView job(String qname) {
        return host.job(QName.parse(qname)).orElseThrow();
    }

    @Test
    void shouldFireTheExamplePluginsJobsPersistTheirStateAndRestoreItOnRestart() throws Exception {
        deploy("hello-jobs");
        deploy("ingest-demo");
        start();

        assertThat(host.plugins()).containsExactlyInAnyOrder("hello-jobs", "ingest-demo");
        assertThat(host.jobs()).extracting(j -> j.qname().toString()).contains("hello-jobs.greeting",
                "hello-jobs.heartbeat", "hello-jobs.say-hello", "ingest-demo.ingest", "ingest-demo.flaky-export");
        // heartbeat and ingest have no initial delay: they fire as soon as the host is up
        Eventually.await(PATIENCE, () -> persisted("hello-jobs.heartbeat").map(JobRecord::runCount).orElse(0L) >= 1
                        && persisted("ingest-demo.ingest").flatMap(JobRecord::checkpoint).isPresent(),
                () -> "first runs on disk");
        assertThat(host.trigger(QName.parse("hello-jobs.say-hello"))).isEqualTo(TriggerOutcome.STARTED);
        Eventually.await(PATIENCE, () -> job("hello-jobs.say-hello").runCount() == 1
                && job("hello-jobs.say-hello").status() == JobView.Status.IDLE, () -> "say-hello ran");
        host.flushState().get();
        host.close();

        JobRecord ingest = persisted("ingest-demo.ingest").orElseThrow();
        assertThat(ingest.checkpoint()).contains("{\"watermark\":100,\"batches\":1}");
        assertThat(persisted("hello-jobs.say-hello").orElseThrow().runCount()).isEqualTo(1);

        start();
        JobView restored = job("hello-jobs.say-hello");
        assertThat(restored.runCount()).isEqualTo(1);
        assertThat(restored.lastRun()).hasValueSatisfying(o -> assertThat(o.succeeded()).isTrue());
        assertThat(job("ingest-demo.ingest").checkpoint()).isPresent();
    }

    @Test
    void shouldLoadAJarDroppedInWhileRunningAndOrphanItsJobsWhenItIsRemoved() throws Exception {
        start();
        assertThat(host.jobs()).isEmpty();

        deploy("hello-jobs");
        Eventually.await(Duration.ofSeconds(2).plus(Duration.ofSeconds(3)), () -> host.plugins().contains("hello-jobs")
                && host.job(QName.parse("hello-jobs.heartbeat")).isPresent(), () -> "hello-jobs hot-deployed");
        Eventually.await(PATIENCE, () -> job("hello-jobs.heartbeat").runCount() >= 1, () -> "heartbeat ran");

        Files.delete(plugins.resolve("hello-jobs.jar"));
        Eventually.await(PATIENCE, () -> job("hello-jobs.heartbeat").status() == JobView.Status.ORPHANED,
                () -> "heartbeat orphaned");
        long runsBefore = job("hello-jobs.heartbeat").runCount();
        Optional<String> checkpoint = job("hello-jobs.heartbeat").checkpoint();

        deploy("hello-jobs");
        Eventually.await(PATIENCE, () -> job("hello-jobs.heartbeat").status() != JobView.Status.ORPHANED,
                () -> "heartbeat reattached");
        assertThat(job("hello-jobs.heartbeat").runCount()).isGreaterThanOrEqualTo(runsBefore);
        assertThat(checkpoint).isPresent();
        Eventually.await(PATIENCE, () -> job("hello-jobs.heartbeat").checkpoint()
                        .map(c -> Long.parseLong(c) > Long.parseLong(checkpoint.get())).orElse(false),
                () -> "heartbeat count continued from its checkpoint");
    }

    @Test
    void shouldKeepRunningTheOtherPluginsWhenAJarCannotBeLoaded() throws Exception {
        Files.writeString(plugins.resolve("broken.jar"), "this is not a zip file");
        deploy("hello-jobs");

        start();

        assertThat(host.plugins()).containsExactly("hello-jobs");
        assertThat(host.pluginProblems()).singleElement().asString().startsWith("broken.jar: ");
        log.assertLogged(Level.ERROR, "plugin refused: broken.jar: ");
        Eventually.await(PATIENCE, () -> job("hello-jobs.heartbeat").runCount() >= 1, () -> "heartbeat ran");
    }

    @Test
    void shouldRecordARunThatACrashCutOffWhenTheSidecarWasLeftRunning() throws Exception {
        // What a kill -9 in the middle of a run leaves behind: the job's last committed state is RUNNING.
        JobRecord cutOff = JobRecord.pending(QName.parse("hello-jobs.say-hello"), "hello-jobs",
                        Schedule.manual())
                .withStatus(JobStatus.RUNNING).withRunCount(1)
                .withLastStartedAt(Optional.of(Instant.parse("2027-01-04T11:59:00Z")));
        new SidecarStore(data, Clock.systemUTC())
                .write(SidecarDocument.of(Instant.parse("2027-01-04T11:59:01Z"), List.of(cutOff)));
        deploy("hello-jobs");

        start();

        JobView recovered = job("hello-jobs.say-hello");
        assertThat(recovered.status()).isEqualTo(JobView.Status.FAILED);
        assertThat(recovered.lastRun()).hasValueSatisfying(o -> {
            assertThat(o.succeeded()).isFalse();
            assertThat(o.message()).isEqualTo("host stopped during run");
        });
        assertThat(recovered.failureCount()).isEqualTo(1);
        assertThat(recovered.runCount()).isEqualTo(1);
        host.flushState().get();
        assertThat(persisted("hello-jobs.say-hello").orElseThrow().status()).isEqualTo(JobStatus.FAILED);
    }

    @Test
    void shouldRefuseASecondHostOnTheSameDataDirectory() {
        start();

        assertThatThrownBy(() -> Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).build()))
                .isInstanceOf(HostStartException.class)
                .hasMessageContaining("is in use by another Belfry host");
    }

    @Test
    void shouldRefuseToStartOnUnusableStateUnlessToldToReset() throws IOException {
        Path file = Files.createDirectories(data.resolve("_system")).resolve("background_jobs.json");
        Files.writeString(file, "{\"format\":\"belfry.background-jobs\",\"version\":1,\"jobs\":[{\"qname\":");

        assertThatThrownBy(this::start).isInstanceOf(HostStartException.class).hasMessageContaining("--reset-state");
        host = null;
        assertThat(file).exists(); // never silently replaced

        host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .resetState(true).build());
        assertThat(host.jobs()).isEmpty();
        try (var files = Files.list(data.resolve("_system"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.startsWith("background_jobs.json.corrupt-"));
        }
        log.assertLogged(Level.ERROR, "state file " + file + " was unusable and moved to " + file + ".corrupt-");
    }
}
