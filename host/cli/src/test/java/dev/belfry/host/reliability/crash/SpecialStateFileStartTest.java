package dev.belfry.host.reliability.crash;

import dev.belfry.host.admin.AdminModule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A whole host started on a state file that is no file at all: a named pipe blocked the start before its first log
 * line, and a 3 GiB sparse file ended it with {@code OutOfMemoryError}. The host now starts from the {@code .bak},
 * and the log names the state file and what stood in its place.
 */
class SpecialStateFileStartTest {
    private static final QName KEPT = QName.parse("gone.kept");

    @TempDir
    Path data;
    @TempDir
    Path plugins;

    private Host host;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final List<Logger> loggers = List.of((Logger) LoggerFactory.getLogger("dev.belfry.host.internal.state.StateLoader"),
            (Logger) LoggerFactory.getLogger("dev.belfry.sidecar.SidecarStore"));

    @BeforeEach
    void captureLog() throws Exception {
        log.start();
        for (Logger l : loggers) {
            l.addAppender(log);
            l.setAdditive(false); // the damaged file is the point of the test: its errors are asserted, not printed
        }
        Path system = Files.createDirectories(data.resolve("_system"));
        SidecarDocument backup = SidecarDocument.of(Instant.parse("2027-01-04T12:00:00Z"),
                List.of(JobRecord.pending(KEPT, "gone", Schedule.manual()).withRunCount(41)));
        Files.write(system.resolve("background_jobs.json.bak"), new SidecarCodec().encode(backup));
    }

    @AfterEach
    void tearDown() {
        try {
            if (host != null) {
                host.close();
            }
        } finally {
            for (Logger l : loggers) {
                l.detachAppender(log);
                l.setAdditive(true);
            }
        }
    }

    private void startFromTheBackup(String problem) {
        host = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Host.start(HostConfig.builder().dataDir(data)
                .pluginsDir(plugins).module(AdminModule.onPort(AdminModule.ANY_FREE_PORT))
                .pluginScanInterval(Duration.ZERO).build()));

        assertThat(host.job(KEPT)).as("the job of the .bak").hasValueSatisfying(j ->
                assertThat(j.runCount()).isEqualTo(41));
        Path main = StateFiles.main(data);
        assertThat(log.list).filteredOn(e -> e.getLevel() == Level.ERROR).map(ILoggingEvent::getFormattedMessage)
                .anySatisfy(m -> assertThat(m).startsWith("state file " + main + " was unusable and moved to " + main
                        + ".corrupt-").contains(problem));
    }

    @Test
    void shouldStartFromTheBackupWhenTheStateFileIsANamedPipe() throws Exception {
        Process mkfifo = new ProcessBuilder("mkfifo", StateFiles.main(data).toString()).start();
        Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is not available here");

        startFromTheBackup("is a named pipe (FIFO), not a regular file");
    }

    @Test
    void shouldStartFromTheBackupWhenTheStateFileIsAHugeSparseFile() throws Exception {
        try (RandomAccessFile sparse = new RandomAccessFile(StateFiles.main(data).toFile(), "rw")) {
            sparse.setLength(3L << 30);
        }

        startFromTheBackup("the file is 3221225472 bytes, more than the 1073741824 (1 GiB) a state file may have");
    }
}
