package dev.belfry.host.reliability.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.belfry.host.internal.plugins.LoadedPlugin;
import dev.belfry.host.internal.plugins.PluginListener;
import dev.belfry.host.internal.plugins.PluginProblem;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import dev.belfry.host.reliability.Depth;
import dev.belfry.host.testing.PluginJarBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Damaged plugin jars and raw manifests next to a valid canary: each damaged file loads or is refused with exactly one
 * line that starts with its file name and says what is wrong (never PF4J's "No PluginDescriptorFinder" or "Field 'id'
 * cannot be empty"), and the canary loads.
 */
class PluginJarBytesFuzzTest {
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    private static byte[] canary;
    private static byte[] template;

    @BeforeAll
    static void buildJars() throws IOException {
        canary = Files.readAllBytes(PluginJarBuilder.plugin("canary").writeTo(shared, "canary.jar"));
        template = Files.readAllBytes(PluginJarBuilder.plugin("victim").writeTo(shared, "template.jar"));
    }

    @Test
    void shouldLoadOrRefuseEveryDamagedJarInOneLineNamingItsFile() throws Exception {
        long seed = Fuzz.seed("plugin jar bytes");
        Random r = new Random(seed);
        int rounds = Depth.pick(60, 600);
        int[] counts = new int[2]; // refused, loaded
        List<String> allProblems = new ArrayList<>();
        Logger supervisorLog = (Logger) LoggerFactory.getLogger(PluginSupervisor.class);
        Logger pf4jLog = (Logger) LoggerFactory.getLogger("org.pf4j");
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.setContext(supervisorLog.getLoggerContext());
        captured.start();
        supervisorLog.addAppender(captured);
        supervisorLog.setAdditive(false);
        pf4jLog.addAppender(captured);
        pf4jLog.setAdditive(false);
        try {
            Watchdog.run(Duration.ofSeconds(30), seed, dog -> {
                for (int round = 0; round < rounds; round++) {
                    Path plugins = Files.createDirectories(tmp.resolve("plugins-" + round));
                    Files.write(plugins.resolve("canary.jar"), canary);
                    Map<String, String> kinds = new LinkedHashMap<>();
                    for (int k = 0; k < 4; k++) {
                        String file = "w-" + k + ".jar";
                        kinds.put(file, write(plugins.resolve(file), r, "v" + round + "k" + k));
                    }
                    dog.input("round " + round + ": " + kinds);
                    List<PluginProblem> problems = new ArrayList<>();
                    PluginSupervisor supervisor = new PluginSupervisor(plugins, "1.0.0", new PluginListener() {
                        @Override
                        public void pluginStarted(LoadedPlugin plugin) {
                        }

                        @Override
                        public void pluginStopping(String pluginId) {
                        }

                        @Override
                        public void problem(PluginProblem problem) {
                            problems.add(problem);
                            allProblems.add(problem.toString());
                        }
                    }, schedule -> { });
                    try {
                        supervisor.scan();
                        String context = "seed " + seed + ", round " + round + ": " + kinds + "; problems "
                                + problems + "; plugins " + supervisor.pluginIds();
                        assertThat(supervisor.pluginIds()).as(context).contains("canary");
                        for (String file : kinds.keySet()) {
                            List<String> lines = problems.stream().map(PluginProblem::toString)
                                    .filter(l -> l.startsWith(file + ": ")).toList();
                            assertThat(lines).as("%s: at most one line; %s", file, context).hasSizeLessThan(2);
                            for (String line : lines) {
                                assertThat(Fuzz.hasLineBreak(line)).as("one line: %s", Fuzz.show(line)).isFalse();
                                assertThat(line).as(context).doesNotContain("PluginDescriptorFinder")
                                        .doesNotContain("cannot be empty");
                            }
                            counts[lines.isEmpty() ? 1 : 0]++;
                        }
                        assertThat(problems).as(context).allSatisfy(p -> assertThat(kinds)
                                .containsKey(p.file().getFileName().toString()));
                    } finally {
                        supervisor.close();
                    }
                }
            });
        } finally {
            supervisorLog.detachAppender(captured);
            supervisorLog.setAdditive(true);
            pf4jLog.detachAppender(captured);
            pf4jLog.setAdditive(true);
        }
        List<String> refusals = captured.list.stream().filter(e -> e.getLevel() == Level.ERROR)
                .filter(e -> e.getLoggerName().equals(PluginSupervisor.class.getName()))
                .map(ILoggingEvent::getFormattedMessage).toList();
        // Each refusal is logged once, as the line reported (job refusals and the like are logged at WARN).
        assertThat(refusals).isNotEmpty().hasSizeLessThanOrEqualTo(counts[0]).allSatisfy(l -> assertThat(l)
                .startsWith("plugin refused: w-").satisfies(x -> assertThat(allProblems)
                        .contains(x.substring("plugin refused: ".length()))));
        assertThat(refusals).as("no line says null").noneMatch(l -> l.endsWith(": null"));
        System.out.printf("[fuzz] plugin jar bytes: %d rounds, %d damaged jars (%d refused, %d loaded)%n", rounds,
                counts[0] + counts[1], counts[0], counts[1]);
    }

    /** Writes one damaged jar; returns what was done, for the failure message. */
    private static String write(Path target, Random r, String freshId) throws IOException {
        switch (r.nextInt(4)) {
            case 0:
                Files.write(target, Fuzz.mutate(template, r));
                return "mutated template";
            case 1: {
                byte[] whole = template;
                Files.write(target, java.util.Arrays.copyOf(whole, r.nextInt(whole.length)));
                return "truncated template";
            }
            case 2: {
                String manifest = rawManifest(r, freshId);
                Files.write(target, zip(manifest));
                return "manifest " + Fuzz.show(manifest);
            }
            default: {
                byte[] noise = new byte[r.nextInt(200)];
                r.nextBytes(noise);
                if (noise.length > 2 && r.nextBoolean()) {
                    noise[0] = 'P';
                    noise[1] = 'K';
                }
                Files.write(target, noise);
                return "noise of " + noise.length + " bytes";
            }
        }
    }

    /** A manifest built from good, long, repeated, garbage and unterminated lines. */
    private static String rawManifest(Random r, String freshId) {
        StringBuilder b = new StringBuilder("Manifest-Version: 1.0\n");
        List<String> lines = new ArrayList<>(List.of("Plugin-Id: " + freshId, "Plugin-Version: 1.0.0"));
        int extra = r.nextInt(4);
        for (int i = 0; i < extra; i++) {
            lines.add(Fuzz.pick(r, "Plugin-Id: " + freshId + "x", "plugin-version: 2.0.0",
                    "Plugin-Description: " + "x".repeat(400 + r.nextInt(300)), "Plugin-Id:", "Plugin-Version: ",
                    " continued", "", "no colon here", Fuzz.randomText(r, 20), "Name: section",
                    "Plugin-Provider: \u00e9\u65e5"));
        }
        java.util.Collections.shuffle(lines, r);
        lines.forEach(l -> b.append(l).append('\n'));
        String text = b.toString();
        return r.nextInt(4) == 0 ? text.substring(0, text.length() - 1) : text;
    }

    private static byte[] zip(String manifest) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            out.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
            out.write(manifest.getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return bytes.toByteArray();
    }
}
