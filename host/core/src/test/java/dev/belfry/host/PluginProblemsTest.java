package dev.belfry.host;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.host.internal.plugins.PluginProblem;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.PluginJarBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin problems {@code belfry status} lists are those that still hold: a problem goes when its file is removed
 * or loads, and a new verdict on a file replaces the old one (issue 15, item 16).
 */
class PluginProblemsTest {
    @TempDir
    Path data;
    @TempDir
    Path plugins;
    @RegisterExtension
    final LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j");

    private Host host;

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    private void start() {
        host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).pluginScanInterval(Duration.ZERO).build());
    }

    /** Scans twice: a new or changed file is acted on once it looked the same on two scans. */
    private void rescan() {
        host.rescanPlugins();
        host.rescanPlugins();
    }

    private List<String> problems() {
        return host.pluginProblems().stream().map(PluginProblemView::toString).toList();
    }

    private static PluginJarBuilder plugin(String id, String cron) {
        String pkg = "p." + id;
        return PluginJarBuilder.plugin(id).extension(pkg + ".Job", "package " + pkg + ";\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.Schedule;\n"
                + "public class Job implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"job\", "
                + (cron == null ? "Schedule.manual()" : "Schedule.cron(\"" + cron + "\")") + ").build(); }\n"
                + "  public void run(JobContext c) { }\n"
                + "}\n");
    }

    @Test
    void shouldDropTheDuplicateJarsProblemOnceItIsRemoved() throws IOException {
        plugin("dup", null).writeTo(plugins, "a.jar");
        plugin("dup", null).writeTo(plugins, "b.jar"); // the same id and version: the first by name is used
        start();
        assertThat(problems()).singleElement().asString().startsWith("b.jar: plugin dup: ");

        Files.delete(plugins.resolve("b.jar"));
        rescan();

        assertThat(problems()).isEmpty();
        assertThat(host.plugins()).containsExactly("dup");
    }

    @Test
    void shouldDropAWaitingPluginsProblemOnceItLoads() {
        plugin("needy", null).dependencies("base").writeTo(plugins, "needy.jar");
        start();
        assertThat(problems()).singleElement().asString().startsWith("needy.jar: plugin needy: depends on plugin base");

        plugin("base", null).writeTo(plugins, "base.jar");
        rescan();

        assertThat(host.plugins()).containsExactlyInAnyOrder("base", "needy");
        assertThat(problems()).isEmpty();
    }

    @Test
    void shouldKeepOnlyTheProblemsOfTheVersionOfAJarThatIsThereNow() {
        plugin("cronny", "0 25 * * *").writeTo(plugins, "cronny.jar");
        start();
        assertThat(problems()).singleElement().asString().startsWith("cronny.jar: plugin cronny");

        plugin("cronny", "0 5 * * *").version("1.0.1").writeTo(plugins, "cronny.jar");
        rescan();
        assertThat(host.job(dev.belfry.api.QName.parse("cronny.job"))).isPresent();
        assertThat(problems()).as("fixed in the new version").isEmpty();

        plugin("cronny", "0 99 * * *").version("1.0.22").writeTo(plugins, "cronny.jar");
        rescan();
        assertThat(problems()).as("broken again: the new version's own problem").singleElement().asString()
                .startsWith("cronny.jar: plugin cronny").contains("99");
    }

    @Test
    void shouldReplaceARefusedFilesOldReasonWithItsNewOne() {
        PluginJarBuilder.plugin("bad").requires(">=99.0.0").writeTo(plugins, "bad.jar");
        start();
        assertThat(problems()).singleElement().asString().contains("requires host version >=99.0.0");

        PluginJarBuilder.plugin("bad").requires(">=98.0.0").version("1.0.10").writeTo(plugins, "bad.jar");
        rescan();

        assertThat(problems()).singleElement().asString().contains("requires host version >=98.0.0");
        log.assertLogged(Level.ERROR, "plugin refused: bad.jar: plugin bad: requires host version >=99.0.0")
                .assertLogged(Level.ERROR, "plugin refused: bad.jar: plugin bad: requires host version >=98.0.0");
    }
}
