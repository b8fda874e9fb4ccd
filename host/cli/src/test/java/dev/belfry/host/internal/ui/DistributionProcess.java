package dev.belfry.host.internal.ui;

import dev.belfry.host.internal.cli.BelfryCli;
import dev.belfry.host.testing.Eventually;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code belfry run} with the example plugins in a child JVM, as the distribution starts it (its logback.xml, the
 * graph off so that it starts in seconds), and the {@code belfry} commands a user types against it.
 */
final class DistributionProcess implements AutoCloseable {
    private static final Path EXAMPLES = Path.of(System.getProperty("belfry.examplePlugins", "target/example-plugins"));
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private final Process process;
    private final Path data;
    private final Path stderr;

    private DistributionProcess(Process process, Path data, Path stderr) {
        this.process = process;
        this.data = data;
        this.stderr = stderr;
    }

    static DistributionProcess runWithExamplePlugins(Path dir) throws IOException {
        Path data = dir.resolve("data");
        Path stderr = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-Dlogback.configurationFile=logback.xml", "-cp", System.getProperty("java.class.path"),
                BelfryCli.class.getName(), "run", "--data", data.toString(), "--plugins", EXAMPLES.toString(),
                "--admin-port", "0", "--graph", "off"))
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(stderr.toFile()).start();
        DistributionProcess host = new DistributionProcess(p, data, stderr);
        Eventually.await(PATIENCE, () -> host.log().contains("Belfry started") || !p.isAlive(),
                () -> "belfry run to start; stderr:\n" + host.log());
        if (!p.isAlive()) {
            throw new IllegalStateException("belfry run exited: " + host.log());
        }
        return host;
    }

    Path dataDir() {
        return data;
    }

    URI adminUrl() throws IOException {
        return URI.create(Files.readString(data.resolve("admin.url")).strip());
    }

    /** Runs a {@code belfry} command in this JVM, as a user would in a shell. */
    String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), args);
        if (status != 0) {
            throw new AssertionError("belfry " + String.join(" ", args) + " exited " + status + ": " + err);
        }
        return out.toString();
    }

    String log() {
        try {
            return Files.exists(stderr) ? Files.readString(stderr) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
