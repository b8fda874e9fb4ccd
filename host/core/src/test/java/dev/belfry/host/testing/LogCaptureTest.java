package dev.belfry.host.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogCaptureTest {
    private static final org.slf4j.Logger log = LoggerFactory.getLogger("dev.belfry.host.testing.Faulty");

    @Test
    void shouldKeepCapturedLinesOffTheConsoleAndAssertThem() {
        String console = stderrOf(() -> {
            try (LogCapture capture = LogCapture.ofNames("dev.belfry.host.testing").start()) {
                log.error("job failed: boom", new IllegalStateException("disk full"));
                log.warn("retrying");
                capture.assertLogged(Level.ERROR, "job failed: boom")
                        .assertLogged(Level.ERROR, "IllegalStateException: disk full")
                        .assertLogged(Level.WARN, "retrying")
                        .assertNotLogged(Level.ERROR, "retrying");
                assertThat(capture.count(Level.ERROR)).isEqualTo(1);
            }
        });
        assertThat(console).doesNotContain("boom").doesNotContain("retrying");
    }

    @Test
    void shouldRestoreTheConsoleWhenClosed() {
        Logger logger = (Logger) LoggerFactory.getLogger("dev.belfry.host.testing.Faulty");
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        boolean additive = logger.isAdditive();
        int rootAppenders = countAppenders(root);
        try (LogCapture all = LogCapture.all().start(); LogCapture one = LogCapture.of(LogCaptureTest.class).start()) {
            assertThat(countAppenders(root)).isEqualTo(1);
        }
        assertThat(logger.isAdditive()).isEqualTo(additive);
        assertThat(countAppenders(root)).isEqualTo(rootAppenders);
    }

    @Test
    void shouldNameTheMissingLineAndWhatWasCaughtWhenAssertionFails() {
        try (LogCapture capture = LogCapture.ofNames("dev.belfry.host.testing").atLevel(Level.INFO).start()) {
            log.info("started");
            assertThatThrownBy(() -> capture.assertLogged(Level.ERROR, "boom"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("expected a line at ERROR containing \"boom\"")
                    .hasMessageContaining("INFO Faulty - started");
        }
    }

    private static int countAppenders(Logger logger) {
        int n = 0;
        for (var it = logger.iteratorForAppenders(); it.hasNext(); it.next()) {
            n++;
        }
        return n;
    }

    private static String stderrOf(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
