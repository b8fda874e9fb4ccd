package dev.belfry.host.internal.plugins;

import ch.qos.logback.classic.Level;
import dev.belfry.host.testing.LogCapture;
import static dev.belfry.host.internal.plugins.PluginSupervisorTest.withJob;
import static dev.belfry.host.testing.PluginJarBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plugin metadata written to hurt or mislead: bombs, broken zips and manifests, hostile ids. */
class PluginMetadataTest {
    /** Far beyond the bound, cheap to write: 64 MiB of one byte deflates to about 64 KiB. */
    private static final long BOMB_BYTES = 64L << 20;

    @TempDir
    Path plugins;
    @TempDir
    Path scratch;

    private final PluginSupervisorTest.Recorder recorder = new PluginSupervisorTest.Recorder();
    private PluginSupervisor supervisor;
    private LogCapture log;

    @BeforeEach
    void captureLog() {
        log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start();
    }

    @AfterEach
    void stop() {
        if (supervisor != null) {
            supervisor.close();
        }
        log.close();
    }

    private PluginSupervisor supervisor() {
        supervisor = new PluginSupervisor(plugins, "1.0.0", recorder, schedule -> { });
        return supervisor;
    }

    @Test
    void shouldRefuseAnExtensionIndexThatInflatesBeyondTheBoundAndNeverReadItAgain() throws IOException {
        Path valid = withJob("bomb", "one").writeTo(scratch, "bomb.jar");
        replaceEntry(valid, plugins.resolve("bomb.jar"), "META-INF/extensions.idx", BOMB_BYTES);
        withJob("beta", "one").writeTo(plugins, "beta.jar");

        supervisor().scan();
        supervisor.scan();
        assertThat(supervisor.reload("beta").refusal()).isEmpty();
        supervisor.scan();

        assertThat(supervisor.pluginIds()).containsExactly("beta");
        assertThat(recorder.problemLines()).containsExactly(
                "bomb.jar: plugin bomb: META-INF/extensions.idx is larger than 1 MiB");
        assertThat(log.messages(PluginSupervisor.class, Level.WARN)).filteredOn(l -> l.contains("bomb")).containsExactly(
                "ERROR plugin refused: bomb.jar: plugin bomb: META-INF/extensions.idx is larger than 1 MiB");
    }

    @Test
    void shouldRefuseAManifestThatInflatesBeyondTheBound() throws IOException {
        Path valid = withJob("bomb", "one").writeTo(scratch, "bomb.jar");
        replaceEntry(valid, plugins.resolve("bomb.jar"), "META-INF/MANIFEST.MF", BOMB_BYTES);

        supervisor().scan();
        supervisor.scan();

        assertThat(recorder.started).isEmpty();
        assertThat(recorder.problemLines()).containsExactly(
                "bomb.jar: no usable plugin descriptor: META-INF/MANIFEST.MF is larger than 1 MiB");
    }

    @Test
    void shouldNameTheRealCauseOfABrokenJarInOneLine() throws IOException {
        Files.writeString(plugins.resolve("text.jar"), "this is not a jar\n");
        byte[] whole = Files.readAllBytes(withJob("cut", "one").writeTo(scratch, "cut.jar"));
        Files.write(plugins.resolve("truncated.jar"), Arrays.copyOf(whole, whole.length / 2));
        // cut off and unchanged for longer than a stalled copy is waited for
        Files.setLastModifiedTime(plugins.resolve("truncated.jar"), FileTime.from(Instant.now()
                .minus(PluginSupervisor.INCOMPLETE_COPY_WAIT).minusSeconds(1)));
        rawJar(plugins.resolve("no-manifest.jar"), null);
        rawJar(plugins.resolve("long-line.jar"), "Manifest-Version: 1.0\nPlugin-Id: long\nPlugin-Version: 1.0.0\n"
                + "Plugin-Description: " + "x".repeat(600) + "\n");
        rawJar(plugins.resolve("no-newline.jar"), "Manifest-Version: 1.0\nPlugin-Id: nonl\nPlugin-Version: 1.0.0");
        Files.createFile(plugins.resolve("empty.jar"));
        rawJar(plugins.resolve("blank-version.jar"), "Manifest-Version: 1.0\nPlugin-Id: blank\nPlugin-Version: \n");

        supervisor().scan();

        assertThat(recorder.problemLines()).containsExactlyInAnyOrder(
                "blank-version.jar: no usable plugin descriptor: META-INF/MANIFEST.MF has an empty Plugin-Version",
                "empty.jar: no usable plugin descriptor: not a jar: the file is empty",
                "long-line.jar: no usable plugin descriptor: META-INF/MANIFEST.MF line 4 is longer than 511 bytes"
                        + " (continue a long value on the next line, starting it with a space)",
                "no-manifest.jar: no usable plugin descriptor: the jar has no META-INF/MANIFEST.MF (a plugin jar"
                        + " needs one with Plugin-Id and Plugin-Version)",
                "no-newline.jar: no usable plugin descriptor: META-INF/MANIFEST.MF does not end with a line break,"
                        + " so its last line (line 3) would be ignored",
                "text.jar: no usable plugin descriptor: not a jar: the file is not a zip archive",
                "truncated.jar: no usable plugin descriptor: damaged or truncated jar: zip END header not found");
        assertThat(log.messages(PluginSupervisor.class, Level.WARN)).hasSize(7).allSatisfy(l -> assertThat(l).startsWith("ERROR plugin refused: ")
                .doesNotContain("PluginDescriptorFinder").doesNotContain("cannot be empty"));
    }

    @Test
    void shouldWaitForAJarCutOffMomentsAgoAndLoadItOnceTheCopyCompletes() throws IOException {
        byte[] whole = Files.readAllBytes(withJob("slow-copy", "one").writeTo(scratch, "slow-copy.jar"));
        Path jar = plugins.resolve("slow-copy.jar");
        Files.write(jar, Arrays.copyOf(whole, whole.length / 2)); // the copy stalls half-way

        try (LogCapture info = LogCapture.of(PluginSupervisor.class).atLevel(Level.INFO).start()) {
            supervisor().scan();
            supervisor.scan();
            supervisor.scan();

            // then it is not refused: one line says it waits, and status lists no problem
            assertThat(recorder.problemLines()).isEmpty();
            assertThat(info.messages(PluginSupervisor.class, Level.INFO)).containsExactly("INFO plugin waiting:"
                    + " slow-copy.jar: incomplete (still being copied?): damaged or truncated jar: zip END header not"
                    + " found; it is refused if it stays so for 30 s");

            // when the copy completes, it loads
            Files.write(jar, whole);
            supervisor.scan();
            supervisor.scan();
        }

        assertThat(supervisor.pluginIds()).containsExactly("slow-copy");
        assertThat(recorder.problemLines()).isEmpty();
    }

    @Test
    void shouldRefuseAPluginIdHeaderGivenTwiceInsteadOfLettingTheLastWin() throws IOException {
        rawJar(plugins.resolve("twice.jar"), "Manifest-Version: 1.0\nPlugin-Id: harmless\nPlugin-Version: 1.0.0\n"
                + "plugin-id: other\n");

        supervisor().scan();

        assertThat(recorder.started).isEmpty();
        assertThat(recorder.problemLines()).containsExactly("twice.jar: no usable plugin descriptor: plugin-id is"
                + " given twice in META-INF/MANIFEST.MF (lines 2 and 4)");
    }

    @Test
    void shouldRefuseAPluginIdGivenTwiceInAFoldersPluginProperties() throws IOException {
        Path dir = Files.createDirectories(plugins.resolve("twice/classes"));
        Files.writeString(dir.resolveSibling("plugin.properties"),
                "plugin.id=harmless\nplugin.version=1.0.0\nplugin.id=other\n");

        supervisor().scan();

        assertThat(recorder.started).isEmpty();
        assertThat(recorder.problemLines()).containsExactly(
                "twice: no usable plugin descriptor: plugin.id is given twice in plugin.properties");
    }

    @Test
    void shouldRefuseNonAsciiReservedAndDoubleDotIds() {
        for (String id : List.of("ünïcode", "CON", "lpt9", "Aux.jobs", "a..b", "tail.")) {
            withJob("x", "one").manifestEntry("Plugin-Id", id).writeTo(plugins, "id-" + Math.abs(id.hashCode())
                    + ".jar");
        }
        withJob("console", "one").writeTo(plugins, "console.jar");
        withJob("com10", "one").writeTo(plugins, "com10.jar");

        supervisor().scan();

        assertThat(supervisor.pluginIds()).containsExactlyInAnyOrder("console", "com10");
        assertThat(recorder.problems).hasSize(6).extracting(PluginProblem::message).containsExactlyInAnyOrder(
                "no usable plugin descriptor: invalid plugin id \"ünïcode\": character 'ü' at position 1 is not"
                        + " ASCII (use a-z, A-Z, 0-9, '_', '-' and '.')",
                "no usable plugin descriptor: invalid plugin id \"CON\": \"CON\" is a device name some operating"
                        + " systems reserve",
                "no usable plugin descriptor: invalid plugin id \"lpt9\": \"lpt9\" is a device name some operating"
                        + " systems reserve",
                "no usable plugin descriptor: invalid plugin id \"Aux.jobs\": \"Aux\" is a device name some"
                        + " operating systems reserve",
                "no usable plugin descriptor: invalid plugin id \"a..b\": two dots in a row and a dot at the end are"
                        + " not allowed",
                "no usable plugin descriptor: invalid plugin id \"tail.\": two dots in a row and a dot at the end"
                        + " are not allowed");
    }

    @Test
    void shouldListPluginsWhileASlowPluginStarts() throws Exception {
        withJob("quick", "one").writeTo(plugins, "quick.jar");
        supervisor().scan();
        Path entered = scratch.resolve("entered");
        Path release = scratch.resolve("release");
        plugin("slow").pluginClass("p.slow.SlowPlugin")
                .source("p.slow.SlowPlugin", "package p.slow;\n"
                        + "import java.nio.file.*;\n"
                        + "public class SlowPlugin extends org.pf4j.Plugin {\n"
                        + "  public void start() {\n"
                        + "    try {\n"
                        + "      Files.createFile(Path.of(\"" + escape(entered) + "\"));\n"
                        + "      while (!Files.exists(Path.of(\"" + escape(release) + "\"))) { Thread.sleep(5); }\n"
                        + "    } catch (Exception e) { throw new IllegalStateException(e); }\n"
                        + "  }\n"
                        + "}\n")
                .writeTo(plugins, "slow.jar");
        supervisor.scan(); // first sight of slow.jar: it must settle before it loads

        CompletableFuture<Void> scan = CompletableFuture.runAsync(supervisor::scan);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(entered) && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(entered).as("the slow plugin's start() began").exists();

            List<PluginSupervisor.RunningPlugin> listed = CompletableFuture.supplyAsync(supervisor::plugins)
                    .get(1, TimeUnit.SECONDS);

            assertThat(listed).extracting(PluginSupervisor.RunningPlugin::id).containsExactly("quick");
            assertThat(CompletableFuture.supplyAsync(supervisor::pluginIds).get(1, TimeUnit.SECONDS))
                    .containsExactly("quick");
        } finally {
            Files.createFile(release);
            scan.get(30, TimeUnit.SECONDS);
        }
        assertThat(supervisor.pluginIds()).containsExactly("quick", "slow");
    }

    private static String escape(Path p) {
        return p.toAbsolutePath().toString().replace("\\", "\\\\");
    }

    /** Copies a jar, putting {@code size} bytes of one repeated byte in place of one entry. */
    private static void replaceEntry(Path from, Path to, String name, long size) throws IOException {
        try (ZipFile in = new ZipFile(from.toFile());
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(to))) {
            for (Enumeration<? extends ZipEntry> en = in.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (e.getName().equals(name)) {
                    continue;
                }
                out.putNextEntry(new ZipEntry(e.getName()));
                try (InputStream data = in.getInputStream(e)) {
                    data.transferTo(out);
                }
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry(name));
            byte[] chunk = new byte[1 << 16];
            Arrays.fill(chunk, (byte) 'a');
            for (long written = 0; written < size; written += chunk.length) {
                out.write(chunk);
            }
            out.closeEntry();
        }
    }

    /** A zip with the given manifest text (none if null) and one unrelated entry. */
    private static void rawJar(Path target, String manifest) throws IOException {
        try (OutputStream file = Files.newOutputStream(target); ZipOutputStream out = new ZipOutputStream(file)) {
            if (manifest != null) {
                out.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
                out.write(manifest.getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry("readme.txt"));
            out.write("hello".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }

}
