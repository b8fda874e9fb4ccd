package dev.belfry.host.reliability.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.internal.cli.BelfryCli;
import dev.belfry.host.testing.PluginJarBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code belfry run} in a fresh JVM on Java 17 with the options {@code bin/belfry} gives it there,
 * with a plugin whose {@code Plugin.start} registers a shutdown hook that never returns and tries
 * {@code System.exit}: SIGTERM ends the process within the shutdown grace all the same (issue 15, item 13), the
 * exit guard still refuses the plugin's exit, and the JDK prints none of its {@code WARNING} lines about
 * {@code System::setSecurityManager} (item 24).
 */
class RunProcessExitTest {
    private static final Duration GRACE = Duration.ofSeconds(2);

    @TempDir
    static Path dir;

    private static Process process;
    private static int exitCode;
    private static Duration stopTook;
    private static String stdout;
    private static String stderr;
    private static int statusCode;
    private static String statusError;

    @BeforeAll
    static void runAndTerminate() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        PluginJarBuilder.plugin("hook").pluginClass("p.hook.HookPlugin")
                .source("p.hook.HookPlugin", "package p.hook;\n"
                        + "public class HookPlugin extends org.pf4j.Plugin {\n"
                        + "  public void start() {\n"
                        + "    Runtime.getRuntime().addShutdownHook(new Thread(() -> {\n"
                        + "      while (true) {\n"
                        + "        try { Thread.sleep(60_000); } catch (InterruptedException ignored) { }\n"
                        + "      }\n"
                        + "    }, \"hook-plugin-never-returns\"));\n"
                        + "    try {\n"
                        + "      System.exit(7);\n"
                        + "    } catch (SecurityException e) {\n"
                        + "      System.out.println(\"exit refused: \" + e.getMessage());\n"
                        + "    }\n"
                        + "  }\n"
                        + "}\n")
                .writeTo(plugins, "hook.jar");
        Path config = dir.resolve("belfry.conf");
        Files.writeString(config, "shutdown-grace = " + GRACE.toSeconds() + "s\nplugin-scan-interval = 0s\n");
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(launcherOptionsOnJava17());
        cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-Dlogback.configurationFile=logback.xml",
                "-cp", System.getProperty("java.class.path"), "dev.belfry.host.internal.cli.BelfryCli", "run",
                "--data", dir.resolve("data").toString(), "--plugins", plugins.toString(), "--graph", "off",
                "--admin-port", "off", "--config", config.toString()));
        process = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!read(err).contains("Belfry started")) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("host did not start; stderr:\n" + read(err));
            }
            Thread.sleep(20);
        }
        StringWriter statusErr = new StringWriter();
        statusCode = BelfryCli.run(Clock.systemUTC(), new PrintWriter(new StringWriter(), true),
                new PrintWriter(statusErr, true), "status", "--data", dir.resolve("data").toString());
        statusError = statusErr.toString();
        long signalled = System.nanoTime();
        process.destroy(); // SIGTERM
        boolean ended = process.waitFor(GRACE.toSeconds() + 20, TimeUnit.SECONDS);
        stopTook = Duration.ofNanos(System.nanoTime() - signalled);
        exitCode = ended ? process.exitValue() : -1;
        stdout = read(out);
        stderr = read(err);
    }

    /**
     * The JVM options {@code bin/belfry} passes on Java 17, read by running it with a stand-in {@code java} that
     * writes down its arguments: the child JVM then starts as the distribution would start it.
     */
    private static List<String> launcherOptionsOnJava17() throws Exception {
        Path script = Path.of("src/dist/bin/belfry");
        assertThat(script).as("run from the host module").exists();
        Path jdk = Files.createDirectories(dir.resolve("fake-jdk17/bin")).getParent();
        Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"17.0.15\"\n");
        Path args = dir.resolve("launcher-args.txt");
        Path java = jdk.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + args + "'\n");
        assertThat(java.toFile().setExecutable(true)).isTrue();
        ProcessBuilder pb = new ProcessBuilder("sh", script.toString(), "--version").redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", jdk.toString());
        pb.environment().remove("BELFRY_JAVA_OPTS");
        Process launcher = pb.start();
        assertThat(launcher.waitFor(30, TimeUnit.SECONDS)).isTrue();
        List<String> all = Files.readAllLines(args);
        int end = 0;
        while (end < all.size() && !all.get(end).startsWith("-Dbelfry.home=")) {
            end++;
        }
        return all.subList(0, end);
    }

    @AfterAll
    static void kill() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    @Test
    void shouldEndTheProcessWithinTheGraceWhenAPluginsShutdownHookNeverReturns() {
        assertThat(exitCode).as("exit code (-1: still running %s after SIGTERM); stderr:%n%s", stopTook, stderr)
                .isEqualTo(143);
        // the grace, plus the second the host gives other hooks, plus a slow machine's margin
        assertThat(stopTook).isLessThan(GRACE.plusSeconds(4));
        assertThat(stderr).contains("Belfry stopped")
                .contains("a shutdown hook that is not Belfry's (a plugin's?) is still running at the end of the"
                        + " shutdown grace; ending the JVM without it (threads still running:"
                        + " [hook-plugin-never-returns])");
    }

    @Test
    void shouldTellFromAnotherProcessThatTheHostRunsWithItsAdminApiOff() {
        assertThat(statusCode).isEqualTo(1);
        assertThat(statusError).startsWith("belfry: a host is running on " + dir.resolve("data")
                + " with its admin API off");
    }

    @Test
    void shouldPrintNoJdkWarningAboutTheSecurityManagerAndStillRefuseAPluginsExit() {
        assertThat(stderr.lines().filter(l -> l.startsWith("WARNING")).toList()).isEmpty();
        assertThat(stdout).contains("exit refused: plugin called System.exit(7); refused (from p.hook.HookPlugin)");
    }
}
