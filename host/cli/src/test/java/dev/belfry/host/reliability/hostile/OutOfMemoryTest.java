package dev.belfry.host.reliability.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin that allocates without bound, in a child JVM with a 128 MiB heap so that it cannot take the test JVM
 * down. The host must survive an OutOfMemoryError in a plugin thread as well as it can: the run is recorded as
 * failed, the canary keeps firing, and a plugin that leaked into a static field gives its memory back once it is
 * removed. What happens in between is printed for docs/reliability.md.
 */
class OutOfMemoryTest {
    @TempDir
    Path data;
    @TempDir
    Path plugins;
    @TempDir
    Path logs;

    @Test
    void shouldSurviveAPluginThatExhaustsTheHeapAndGetTheMemoryBackWhenItIsRemoved() throws Exception {
        HostilePlugins.canary().writeTo(plugins, "canary.jar");
        HostilePlugins.hogger().writeTo(plugins, "hostile-hog.jar");
        Path out = logs.resolve("child.out");
        Path err = logs.resolve("child.err");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                OutOfMemoryChild.class.getName(), data.toString(), plugins.toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        boolean ended = child.waitFor(90, TimeUnit.SECONDS);
        if (!ended) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        Map<String, String> r = results(out);
        r.forEach((k, v) -> HostileRuns.report("out of memory (child, -Xmx128m): " + k + " = " + v));

        assertThat(ended).as("child ended; results %s; stderr tail %s", r, tail(err)).isTrue();
        assertThat(r).as("stderr tail %s", tail(err)).containsEntry("done", "yes");
        assertThat(child.exitValue()).isZero();
        assertThat(r.get("hog-outcome")).isEqualTo("1 failure(s); java.lang.OutOfMemoryError: Java heap space");
        assertThat(Integer.parseInt(r.get("canary-fires-3s-after-hog"))).isGreaterThanOrEqualTo(20);
        assertThat(r.get("leak-outcome")).startsWith("1 failure(s); java.lang.OutOfMemoryError");
        assertThat(r.get("plugins-after-removal")).isEqualTo("canary");
        assertThat(Long.parseLong(r.get("used-heap-mb-after-removal"))).isLessThan(64);
        assertThat(Integer.parseInt(r.get("canary-fires-3s-after-removal"))).isGreaterThanOrEqualTo(20);
        assertThat(r).containsEntry("timer-thread-alive", "true");
    }

    private static Map<String, String> results(Path out) throws IOException {
        Map<String, String> r = new LinkedHashMap<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            if (line.startsWith("RESULT ")) {
                String[] parts = line.split(" ", 3);
                r.put(parts[1], parts.length > 2 ? parts[2] : "");
            }
        }
        return r;
    }

    private static List<String> tail(Path err) throws IOException {
        List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
        return lines.subList(Math.max(0, lines.size() - 30), lines.size());
    }
}
