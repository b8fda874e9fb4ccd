package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.host.testing.LogCapture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code belfry run} must not exit 143 (success for systemd) after a shutdown that could not save the state. */
class RunShutdownStatusTest {
    @RegisterExtension
    final LogCapture log = LogCapture.of(RunCommand.class);

    private final List<Integer> halted = new ArrayList<>();

    @Test
    void shouldEndTheProcessWithStatusOneWhenChangesWereNotSaved() {
        RunCommand.exitFailedIfStateUnsaved(3, halted::add);

        assertThat(halted).containsExactly(1);
        assertThat(log.lines(Level.ERROR)).singleElement().asString()
                .contains("exiting with status 1: 3 state change(s) could not be saved");
    }

    @Test
    void shouldLeaveTheStatusToTheJvmWhenEverythingWasSaved() {
        RunCommand.exitFailedIfStateUnsaved(0, halted::add);

        assertThat(halted).isEmpty();
        assertThat(log.lines(Level.TRACE)).isEmpty();
    }
}
