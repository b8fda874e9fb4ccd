package dev.belfry.host.internal.plugins;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A plugin whose jobs cannot all be registered is refused, never counted as started. */
class PluginRegistrationFailureTest {
    @TempDir
    Path plugins;

    @Test
    void shouldRefuseAPluginWhoseJobsCannotBeRegisteredAndStillLoadTheOthers() {
        PluginSupervisorTest.Recorder recorder = new PluginSupervisorTest.Recorder();
        PluginListener failingForAlpha = new PluginListener() {
            @Override
            public void pluginStarted(LoadedPlugin plugin) {
                if (plugin.id().equals("alpha")) {
                    throw new ArithmeticException("long overflow");
                }
                recorder.pluginStarted(plugin);
            }

            @Override
            public void pluginStopping(String pluginId) {
                recorder.pluginStopping(pluginId);
            }

            @Override
            public void problem(PluginProblem problem) {
                recorder.problem(problem);
            }
        };
        PluginSupervisorTest.withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        PluginSupervisorTest.withJob("beta", "one").writeTo(plugins, "beta.jar");
        Logger logger = (Logger) LoggerFactory.getLogger(PluginSupervisor.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        boolean additive = logger.isAdditive();
        logger.setAdditive(false);
        try (PluginSupervisor supervisor = new PluginSupervisor(plugins, "1.0.0", failingForAlpha, schedule -> { })) {
            supervisor.scan();

            assertThat(supervisor.pluginIds()).containsExactly("beta");
            assertThat(recorder.stopOrder).containsExactly("alpha"); // what it did register is orphaned again
            assertThat(recorder.problemLines()).singleElement().asString()
                    .startsWith("alpha.jar: plugin alpha: registering its jobs failed")
                    .contains("long overflow");
            assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
                    .anyMatch(l -> l.startsWith("plugin refused: alpha.jar: plugin alpha: registering its jobs failed"));

            supervisor.scan(); // the refusal sticks until the jar changes
            assertThat(supervisor.pluginIds()).containsExactly("beta");
        } finally {
            logger.detachAppender(lines);
            logger.setAdditive(additive);
        }
    }
}
