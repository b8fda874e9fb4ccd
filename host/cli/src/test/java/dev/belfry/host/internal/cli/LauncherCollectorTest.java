package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution's launcher picks the garbage collector unless the operator names one. Read by running
 * {@code bin/belfry} with a stand-in {@code java} that writes down the arguments it was given.
 */
class LauncherCollectorTest {
    @TempDir
    Path dir;

    private List<String> javaArguments(String belfryJavaOpts) throws Exception {
        Path script = Path.of("src/dist/bin/belfry");
        assertThat(script).as("run from the host module").exists();
        Path jdk = Files.createDirectories(dir.resolve("fake-jdk/bin")).getParent();
        Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");
        Path args = dir.resolve("java-args.txt");
        Path java = jdk.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + args + "'\n");
        assertThat(java.toFile().setExecutable(true)).isTrue();
        ProcessBuilder pb = new ProcessBuilder("sh", script.toString(), "--version").redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", jdk.toString());
        if (belfryJavaOpts == null) {
            pb.environment().remove("BELFRY_JAVA_OPTS");
        } else {
            pb.environment().put("BELFRY_JAVA_OPTS", belfryJavaOpts);
        }
        Process launcher = pb.start();
        assertThat(launcher.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return Files.readAllLines(args);
    }

    @Test
    void shouldRunOnZgcWhenTheOperatorNamesNoCollector() throws Exception {
        assertThat(javaArguments(null)).contains("-XX:+UseZGC").doesNotContain("-XX:+UseG1GC");
        assertThat(javaArguments("-Xmx4g")).contains("-XX:+UseZGC", "-Xmx4g");
    }

    @Test
    void shouldLeaveTheCollectorToTheOperatorWhoNamesOne() throws Exception {
        assertThat(javaArguments("-XX:+UseG1GC -Xms2g")).contains("-XX:+UseG1GC", "-Xms2g")
                .doesNotContain("-XX:+UseZGC");
        assertThat(javaArguments("-XX:+UseParallelGC")).containsOnlyOnce("-XX:+UseParallelGC")
                .doesNotContain("-XX:+UseZGC");
    }
}
