package dev.belfry.host;

import dev.belfry.host.admin.AdminModule;
import static dev.belfry.host.testing.PluginJarBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.testing.Eventually;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole host given instants centuries in the past, by a plugin and by its state file. */
class HostExtremeInstantsTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final String YEAR_1700 = "1700-01-01T00:00:00Z";

    @TempDir
    Path data;
    @TempDir
    Path plugins;

    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private Host start() {
        host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO)
                .shutdownGrace(Duration.ofSeconds(5)).build());
        return host;
    }

    private static String job(String cls, String name, String scheduleJava) {
        return "package p.old;\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.Schedule;\n"
                + "import java.time.*;\n"
                + "public class " + cls + " implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"" + name + "\", " + scheduleJava + ").build(); }\n"
                + "  public void run(JobContext c) { }\n"
                + "}\n";
    }

    private Path sidecar() {
        return data.resolve("_system").resolve(SidecarStore.FILE_NAME);
    }

    private JobRecord onDisk(String qname) throws IOException {
        SidecarDocument doc = new SidecarCodec().decode(Files.readAllBytes(sidecar()), sidecar().toString());
        return doc.jobs().stream().filter(j -> j.qname().toString().equals(qname)).findFirst().orElseThrow();
    }

    private JobRecord live(String qname) {
        return TestAccess.record(host, QName.parse(qname));
    }

    @Test
    void shouldCompleteAOnceJobOf1700AndKeepItCompletedAcrossARestart() throws IOException {
        plugin("old").extension("p.old.Ancient", job("Ancient", "ancient",
                "Schedule.once(Instant.parse(\"" + YEAR_1700 + "\"))")).writeTo(plugins, "old.jar");

        start();
        Eventually.await(PATIENCE, () -> live("old.ancient").status() == JobStatus.COMPLETED,
                () -> "old.ancient to complete, but it is " + live("old.ancient").status());
        host.close();
        host = null;
        assertThat(onDisk("old.ancient").status()).isEqualTo(JobStatus.COMPLETED);

        start();
        JobRecord again = live("old.ancient");
        assertThat(again.status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(again.runCount()).isEqualTo(1);
        assertThat(again.lastOutcome()).hasValueSatisfying(o -> assertThat(o.success()).isTrue());
    }

    @Test
    void shouldStartEveryJobOfAPluginWhenItsPeriodicJobWasDueIn1700() throws IOException {
        JobRecord due1700 = JobRecord.pending(QName.parse("old.tick"), "old", Schedule.every(Duration.ofHours(1)))
                .withEngineState(JobStatus.SCHEDULED, Optional.of(Instant.parse(YEAR_1700)), false, Optional.empty(),
                        false, 1);
        Files.createDirectories(sidecar().getParent());
        Files.write(sidecar(), new SidecarCodec().encode(SidecarDocument.of(Instant.now(), List.of(due1700))));
        plugin("old").extension("p.old.Tick", job("Tick", "tick", "Schedule.every(Duration.ofHours(1))"))
                .extension("p.old.Other", job("Other", "other", "Schedule.manual()")).writeTo(plugins, "old.jar");

        start();

        assertThat(host.plugins()).containsExactly("old");
        assertThat(live("old.other").status()).isEqualTo(JobStatus.IDLE);
        Eventually.await(PATIENCE, () -> live("old.tick").runCount() == 1
                && live("old.tick").status() == JobStatus.SCHEDULED, () -> "old.tick to run its missed fire once");
        assertThat(live("old.tick").nextFireAt()).hasValueSatisfying(next -> assertThat(next).isAfter(Instant.now()));
    }
}
