package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** How {@code belfry jobs list/show} word a job's last outcome. */
class JobsOutcomeTextTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldShowARunCancelledByItsPluginStoppingAsCancelledNotFailed() throws IOException {
        assertThat(JobsCommand.outcome(JSON.readTree("{\"last_outcome\": {\"success\": false,"
                + " \"message\": \"cancelled: plugin my-jobs is stopping\"}}")))
                .isEqualTo("cancelled: plugin my-jobs is stopping");
        assertThat(JobsCommand.outcome(JSON.readTree("{\"last_outcome\": {\"success\": false,"
                + " \"message\": \"java.io.IOException: disk full\"}}")))
                .isEqualTo("failed: java.io.IOException: disk full");
        assertThat(JobsCommand.outcome(JSON.readTree("{\"last_outcome\": {\"success\": true, \"message\": \"\"}}")))
                .isEqualTo("ok");
    }

    @Test
    void shouldShowTerminalCodesInAFailureMessageEscapedNotRaw() throws IOException {
        String json = JSON.writeValueAsString(java.util.Map.of("last_outcome", java.util.Map.of("success", false,
                "message", "java.lang.IllegalStateException: \u001b[31mred\nnext")));

        assertThat(JobsCommand.outcome(JSON.readTree(json)))
                .isEqualTo("failed: java.lang.IllegalStateException: \\u001b[31mred\\nnext");
    }
}
