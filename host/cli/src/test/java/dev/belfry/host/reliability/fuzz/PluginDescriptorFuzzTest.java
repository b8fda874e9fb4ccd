package dev.belfry.host.reliability.fuzz;

import dev.belfry.host.PluginProblemView;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.internal.plugins.PluginIds;
import dev.belfry.host.internal.plugins.PluginProblem;
import dev.belfry.host.reliability.Depth;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.PluginJarBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins with bad descriptors (manifest entries of jars, plugin.properties of exploded folders) next to a valid
 * canary: every bad plugin is refused with a problem line that starts with its file name, and the canary still
 * loads and fires.
 */
class PluginDescriptorFuzzTest {
    private static final String JOB_CLASS = "p.victim.Ping";

    /** Each refused or waiting plugin is logged: asserted per problem, kept off the console. */
    @RegisterExtension
    final LogCapture log = LogCapture.ofNames("dev.belfry.host", "org.pf4j");

    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    private static Path canary;
    private static Path template;

    @BeforeAll
    static void buildJars() throws IOException {
        canary = PluginJarBuilder.plugin("canary").extension("p.canary.Ping", job("p.canary"))
                .writeTo(Files.createDirectories(shared.resolve("canary")), "canary.jar");
        template = PluginJarBuilder.plugin("victim").extension(JOB_CLASS, job("p.victim"))
                .writeTo(Files.createDirectories(shared.resolve("template")), "template.jar");
    }

    private static String job(String pkg) {
        return "package " + pkg + ";\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.Schedule;\n"
                + "public class Ping implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"ping\", Schedule.manual()).build(); }\n"
                + "  public void run(JobContext c) { }\n"
                + "}\n";
    }

    /** One plugin's descriptor: values may be absent (null) or hostile; {@code mustRefuse} if no reading is valid. */
    record Descriptor(String id, String version, String dependencies, String requires, String pluginClass,
                      boolean mustRefuse, String why) {
    }

    @Test
    void shouldRefuseEveryBadDescriptorByFileAndStillLoadAndFireTheCanary() throws Exception {
        long seed = Fuzz.seed("plugin descriptors");
        Random r = new Random(seed);
        int rounds = Depth.pick(40, 500);
        int perRound = 5;
        int[] counts = new int[3]; // descriptors tried, refused, loaded
        List<String> loadedDespiteDoubt = new ArrayList<>();
        Watchdog.run(Duration.ofSeconds(60), seed, dog -> {
            for (int round = 0; round < rounds; round++) {
                Path plugins = Files.createDirectories(tmp.resolve("plugins-" + round));
                Path data = Files.createDirectories(tmp.resolve("data-" + round));
                Files.copy(canary, plugins.resolve("canary.jar"));
                Map<String, Descriptor> byFile = new LinkedHashMap<>();
                for (int k = 0; k < perRound; k++) {
                    Descriptor d = descriptor(r, "v" + round + "-" + k);
                    boolean folder = r.nextBoolean();
                    String file = "w-" + k + (folder ? "" : ".jar");
                    if (folder) {
                        writeFolder(plugins.resolve(file), d);
                    } else {
                        writeJar(plugins.resolve(file), d);
                    }
                    byFile.put(file, d);
                }
                dog.input("round " + round + ": " + byFile);
                try (Host host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).pluginScanInterval(Duration.ZERO)
                        .shutdownGrace(Duration.ofSeconds(1)).pluginStopGrace(Duration.ofSeconds(1)).build())) {
                    List<String> problems = host.pluginProblems().stream().map(PluginProblemView::toString).toList();
                    String context = "seed " + seed + ", round " + round + ": " + byFile + "; problems " + problems
                            + "; plugins " + host.plugins();
                    assertThat(host.plugins()).as(context).contains("canary");
                    for (String p : problems) {
                        assertThat(Fuzz.hasLineBreak(p)).as("one line: %s; %s", Fuzz.show(p), context).isFalse();
                        assertThat(byFile.keySet().stream().anyMatch(f -> p.startsWith(f + ": ")))
                                .as("problem %s starts with a file name; %s", Fuzz.show(p), context).isTrue();
                        assertThat(log.lines(Level.WARN)).as("problem %s is logged; %s", Fuzz.show(p), context)
                                .anyMatch(l -> l.contains("plugin refused: " + p)
                                        || l.contains("plugin waiting: " + p)
                                        || l.contains("plugin superseded: " + p)); // two of one id and version
                    }
                    for (Map.Entry<String, Descriptor> e : byFile.entrySet()) {
                        counts[0]++;
                        Descriptor d = e.getValue();
                        boolean named = problems.stream().anyMatch(p -> p.startsWith(e.getKey() + ": "));
                        boolean loaded = d.id() != null && host.plugins().contains(d.id())
                                && !"canary".equals(d.id());
                        if (d.mustRefuse()) {
                            assertThat(loaded).as("%s (%s) must be refused; %s", e.getKey(), d.why(), context)
                                    .isFalse();
                            assertThat(named).as("%s (%s) refused by name; %s", e.getKey(), d.why(), context)
                                    .isTrue();
                        } else {
                            assertThat(loaded || named).as("%s (%s) loaded or named; %s", e.getKey(), d.why(), context)
                                    .isTrue();
                            if (loaded && !d.why().equals("valid")) {
                                loadedDespiteDoubt.add(d.why());
                            }
                        }
                        counts[loaded ? 2 : 1]++;
                    }
                    // the canary still fires
                    QName ping = QName.parse("canary.ping");
                    host.trigger(ping);
                    Eventually.await(Duration.ofSeconds(10),
                            () -> host.job(ping).orElseThrow().runCount() >= 1, () -> "canary ran; " + context);
                }
            }
        });
        System.out.printf("[fuzz] plugin descriptors: %d rounds, %d descriptors (%d refused, %d loaded); loaded "
                + "though doubtful: %s%n", rounds, counts[0], counts[1], counts[2], loadedDespiteDoubt.stream()
                .distinct().toList());
    }

    // ------------------------------------------------------------------ descriptors

    static Descriptor descriptor(Random r, String freshId) {
        switch (r.nextInt(7)) {
            case 0: {
                String id = Fuzz.pick(r, "", " ", "a b", "\"q\"", "'x'", "x".repeat(300), "日本", "-x", "x-", "a/b",
                        "..", ".", "a..b", "UPPER", "tab\tid", "x\u0000y", "é", "a\u2028b", Fuzz.randomText(r, 12));
                boolean valid = isValidId(id);
                return new Descriptor(id, "1.0.0", null, null, null, !valid, "id " + Fuzz.show(id));
            }
            case 1:
                return new Descriptor(null, "1.0.0", null, null, null, true, "no Plugin-Id");
            case 2: {
                String v = Fuzz.pick(r, "", " ", "abc", "1", "1.0", "1.0.0-", "1..0", "v1.0.0", "1.0.0.0", "-1.0.0",
                        "１.０.０", "999999999999999999999.0.0", "1.0.0+build.5", "1.0.0-rc.1", "\"1.0.0\"",
                        Fuzz.randomText(r, 8));
                boolean semver = v.matches("(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})"
                        + "(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?");
                boolean blank = v.isBlank();
                return new Descriptor(freshId, v, null, null, null, blank, (semver ? "valid" : "version ")
                        + (semver ? "" : Fuzz.show(v)));
            }
            case 3: {
                String deps = Fuzz.pick(r, "a@", "@1.0.0", ",,", "canary@>=abc", freshId + "@1.0.0", freshId,
                        "canary@>=99.0.0", "canary@garbage", "canary@>=1.0.0 & <", "missing-plugin",
                        "missing@1.0.0, canary", "canary?", "canary@*", "canary@>=1.0.0", "x y", "canary@@1",
                        "random");
                if (deps.equals("random")) {
                    deps = Fuzz.randomText(r, 10);
                }
                // An empty or blank header names no dependency (seed 19991054938617 drew ""): the plugin loads.
                boolean fine = deps.equals("canary?") || deps.equals("canary@*") || deps.equals("canary@>=1.0.0")
                        || deps.isBlank();
                // random text may happen to be harmless (",", an optional dependency): either outcome is fine
                boolean maybe = deps.equals(",,") || deps.equals("a@") || deps.equals("@1.0.0")
                        || !deps.matches("[a-z@>=0-9.,& <?*-]*");
                return new Descriptor(freshId, "1.0.0", deps, null, null, !fine && !maybe,
                        fine ? "valid" : "dependencies " + Fuzz.show(deps));
            }
            case 4: {
                String req = Fuzz.pick(r, "abc", ">=", ">=99.0.0", "*", "1.0", "~", "^1", ">=0.1.0 & <", "x\u0000",
                        "0.1.0", ">=0.0.1", "< 0.0.1", "99.0.0", "random");
                if (req.equals("random")) {
                    req = Fuzz.randomText(r, 8);
                }
                boolean fine = req.equals("*") || req.equals("0.1.0") || req.equals(">=0.0.1");
                // "x" is jsemver's wildcard and the host trims controls ("x\u0000" is "x"); random text may parse too
                boolean maybe = req.isBlank() || req.equals("^1") || req.equals("~") || req.equals("1.0")
                        || req.equals("x\u0000") || !req.matches("[a-z>=0-9.& <]*");
                return new Descriptor(freshId, "1.0.0", null, req, null, !fine && !maybe,
                        fine ? "valid" : "requires " + Fuzz.show(req));
            }
            case 5:
                return new Descriptor(freshId, "1.0.0", null, null,
                        Fuzz.pick(r, "no.such.PluginClass", "p.victim.Ping", "", "java.lang.String"),
                        false, "plugin class");
            default:
                return new Descriptor(freshId, "1.0.0", null, null, null, false, "valid");
        }
    }

    /** Belfry's plugin-id rule, asked of the host itself. */
    private static boolean isValidId(String id) {
        try {
            PluginIds.check(id);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void writeJar(Path target, Descriptor d) throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        // A manifest cannot hold a line break or NUL; such values only reach the host through plugin.properties.
        put(a, "Plugin-Id", d.id());
        put(a, "Plugin-Version", d.version());
        put(a, "Plugin-Dependencies", d.dependencies());
        put(a, "Plugin-Requires", d.requires());
        put(a, "Plugin-Class", d.pluginClass());
        a.putValue("Plugin-Provider", "fuzz");
        try (JarFile in = new JarFile(template.toFile());
             JarOutputStream out = new JarOutputStream(Files.newOutputStream(target), m)) {
            for (Enumeration<JarEntry> en = in.entries(); en.hasMoreElements(); ) {
                JarEntry e = en.nextElement();
                if (e.getName().equals("META-INF/MANIFEST.MF") || e.getName().equals("META-INF/")) {
                    continue;
                }
                out.putNextEntry(new JarEntry(e.getName()));
                try (InputStream data = in.getInputStream(e)) {
                    data.transferTo(out);
                }
                out.closeEntry();
            }
        }
    }

    private static void put(Attributes a, String key, String value) {
        if (value != null) {
            a.putValue(key, value.replaceAll("[\\r\\n\\u0000]", "?"));
        }
    }

    /** An exploded plugin: classes/ (with the extension index) and plugin.properties. */
    private static void writeFolder(Path dir, Descriptor d) throws IOException {
        Path classes = Files.createDirectories(dir.resolve("classes"));
        try (JarFile in = new JarFile(template.toFile())) {
            for (Enumeration<JarEntry> en = in.entries(); en.hasMoreElements(); ) {
                JarEntry e = en.nextElement();
                if (e.isDirectory() || e.getName().equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                Path target = classes.resolve(e.getName());
                Files.createDirectories(target.getParent());
                try (InputStream data = in.getInputStream(e)) {
                    Files.copy(data, target);
                }
            }
        }
        Properties p = new Properties();
        if (d.id() != null) {
            p.setProperty("plugin.id", d.id());
        }
        p.setProperty("plugin.version", d.version());
        if (d.dependencies() != null) {
            p.setProperty("plugin.dependencies", d.dependencies());
        }
        if (d.requires() != null) {
            p.setProperty("plugin.requires", d.requires());
        }
        if (d.pluginClass() != null) {
            p.setProperty("plugin.class", d.pluginClass());
        }
        p.setProperty("plugin.provider", "fuzz");
        try (OutputStream out = Files.newOutputStream(dir.resolve("plugin.properties"))) {
            p.store(out, null);
        }
    }
}
