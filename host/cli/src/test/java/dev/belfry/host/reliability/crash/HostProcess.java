package dev.belfry.host.reliability.crash;

import dev.belfry.host.reliability.Depth;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real host in a child JVM ({@code belfry run} through {@link ChildHost}, the test's class path), with standard
 * output and error in files.
 * It uses the product's own {@code logback.xml} (the test class path would otherwise pick the quiet test config),
 * so the log has the production format and its UTC timestamps can be read back.
 */
final class HostProcess implements AutoCloseable {
    static final String ARMED = "Belfry started";
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX");

    private final Process process;
    private final Path stderr;
    private final Instant launchedAt;
    private final long launchedNanos;

    private HostProcess(Process process, Path stderr, Instant launchedAt, long launchedNanos) {
        this.process = process;
        this.stderr = stderr;
        this.launchedAt = launchedAt;
        this.launchedNanos = launchedNanos;
    }

    /**
     * @param data     data directory
     * @param plugins  plugins folder
     * @param logDir   where the plugin's jobs write their logs (passed as a system property)
     * @param stdout   file for standard output
     * @param stderr   file for standard error (the host's log)
     * @return the started process
     */
    static HostProcess launch(Path data, Path plugins, Path logDir, Path stdout, Path stderr) throws IOException {
        return launch(data, plugins, logDir, stdout, stderr, 0);
    }

    /**
     * @param checkpointBytes a journal segment this large is checkpointed (through {@link ChildHost}); 0 for the
     *                        product's default
     * @return the started process
     */
    static HostProcess launch(Path data, Path plugins, Path logDir, Path stdout, Path stderr, long checkpointBytes)
            throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Xmx384m"));
        if (!Depth.isLong()) {
            // The bounded run restarts 50 times on a busy CI machine: C1 only roughly halves JVM start-up there. The
            // long run keeps the JVM's defaults, so its restart figures are the ones a real deployment sees.
            cmd.add("-XX:TieredStopAtLevel=1");
        }
        if (checkpointBytes > 0) {
            cmd.add("-D" + ChildHost.CHECKPOINT_BYTES + "=" + checkpointBytes);
        }
        cmd.addAll(List.of("-Dlogback.configurationFile=logback.xml", "-D" + ChurnPlugin.DIR_PROPERTY + "=" + logDir,
                "-cp", System.getProperty("java.class.path"),
                ChildHost.class.getName(), "run", "--data", data.toString(),
                "--plugins", plugins.toString(), "--graph", "off", "--admin-port", "0"));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        pb.environment().put("BELFRY_LOG_LEVEL", "INFO");
        Instant at = Instant.now();
        long nanos = System.nanoTime();
        return new HostProcess(pb.start(), stderr, at, nanos);
    }

    /**
     * Waits for {@value #ARMED} in the log.
     *
     * @param limit how long to wait
     * @return the time from launch until the test saw the line
     * @throws IllegalStateException if the process ends first or the limit passes
     */
    Duration awaitArmed(Duration limit) throws IOException, InterruptedException {
        long deadline = launchedNanos + limit.toNanos();
        while (true) {
            if (log().contains(ARMED)) {
                return Duration.ofNanos(System.nanoTime() - launchedNanos);
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("host exited with " + process.exitValue() + " before it was armed; "
                        + "log tail:\n" + tail(40));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("host not armed within " + limit + "; log tail:\n" + tail(40));
            }
            Thread.sleep(5);
        }
    }

    /**
     * @return the host's own view from its log timestamps: from launch to the {@value #ARMED} line, and from its
     *         first log line ("Belfry x starting") to it; empty if the lines are not (yet) there
     */
    Optional<LogTimes> logTimes() throws IOException {
        Instant first = null;
        Instant armed = null;
        for (String line : log().split("\n")) {
            Optional<Instant> t = timestamp(line);
            if (t.isEmpty()) {
                continue;
            }
            if (first == null && line.contains(" starting: data ")) {
                first = t.get();
            }
            if (line.contains(ARMED)) {
                armed = t.get();
                break;
            }
        }
        if (first == null || armed == null) {
            return Optional.empty();
        }
        return Optional.of(new LogTimes(Duration.between(launchedAt, armed), Duration.between(first, armed)));
    }

    private static Optional<Instant> timestamp(String line) {
        int space = line.indexOf(' ');
        if (space < 20) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(line.substring(0, space), LOG_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    String log() throws IOException {
        return Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.UTF_8) : "";
    }

    String tail(int lines) {
        try {
            String[] all = log().split("\n");
            return String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Sends SIGKILL and waits for the process to be gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("host process " + process.pid() + " survived SIGKILL for 30 s");
        }
    }

    /**
     * Sends SIGTERM and waits for the graceful shutdown.
     *
     * @return the exit code (143 after a clean shutdown on SIGTERM)
     */
    int terminate(Duration limit) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new IllegalStateException("host did not stop within " + limit + " after SIGTERM; log tail:\n"
                    + tail(40));
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    /**
     * @param launchToArmed from the test's launch instant to the host's own timestamp of {@value #ARMED}
     * @param startToArmed  from the host's first log line to its {@value #ARMED} line
     */
    record LogTimes(Duration launchToArmed, Duration startToArmed) {
    }
}
