package dev.belfry.host.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Builds real PF4J plugin jars for tests: Java sources are compiled at test time against the plugin API, so the
 * plugin's classes exist only inside the jar (never on the test class path), exactly as with a plugin a user
 * drops into the folder. Manifest entries and the extension index can be set or broken on purpose.
 */
public final class PluginJarBuilder {
    private final String pluginId;
    private String version = "1.0.0";
    private String pluginClass;
    private String dependencies;
    private String requires;
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final List<String> extensions = new ArrayList<>();
    private final Map<String, String> extraManifest = new LinkedHashMap<>();
    private final List<Path> bundled = new ArrayList<>();
    private boolean omitPluginId;

    private PluginJarBuilder(String pluginId) {
        this.pluginId = pluginId;
    }

    /**
     * @param pluginId the Plugin-Id manifest entry
     * @return a builder
     */
    public static PluginJarBuilder plugin(String pluginId) {
        return new PluginJarBuilder(pluginId);
    }

    public PluginJarBuilder version(String v) {
        this.version = v;
        return this;
    }

    public PluginJarBuilder pluginClass(String className) {
        this.pluginClass = className;
        return this;
    }

    public PluginJarBuilder dependencies(String deps) {
        this.dependencies = deps;
        return this;
    }

    public PluginJarBuilder requires(String constraint) {
        this.requires = constraint;
        return this;
    }

    public PluginJarBuilder manifestEntry(String key, String value) {
        extraManifest.put(key, value);
        return this;
    }

    public PluginJarBuilder withoutPluginId() {
        this.omitPluginId = true;
        return this;
    }

    /**
     * Adds a source file to compile into the jar.
     *
     * @param className fully qualified class name
     * @param source    the Java source
     * @return this builder
     */
    public PluginJarBuilder source(String className, String source) {
        sources.put(className, source);
        return this;
    }

    /**
     * Adds a source file for an extension and lists it in the extension index.
     *
     * @param className fully qualified class name
     * @param source    the Java source
     * @return this builder
     */
    public PluginJarBuilder extension(String className, String source) {
        sources.put(className, source);
        extensions.add(className);
        return this;
    }

    /**
     * Copies a library's classes into the jar, as a plugin built with its dependencies shaded in would carry them.
     *
     * @param library a jar whose entries (but its manifest) go into the plugin jar
     * @return this builder
     */
    public PluginJarBuilder bundle(Path library) {
        bundled.add(library);
        return this;
    }

    /**
     * Lists a class in the extension index without providing it, to provoke a missing-class failure.
     *
     * @param className the class name to list
     * @return this builder
     */
    public PluginJarBuilder indexOnly(String className) {
        extensions.add(className);
        return this;
    }

    /**
     * Compiles and writes the jar.
     *
     * @param dir  the folder to write into
     * @param name the jar's file name
     * @return the jar's path
     */
    public Path writeTo(Path dir, String name) {
        try {
            Path classes = Files.createTempDirectory("plugin-classes");
            compile(classes);
            Path jar = dir.resolve(name);
            Path tmp = dir.resolve("." + name + ".tmp");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(tmp), manifest())) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(classes)) {
                    files = walk.filter(Files::isRegularFile).sorted().toList();
                }
                for (Path f : files) {
                    out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                    out.write(Files.readAllBytes(f));
                    out.closeEntry();
                }
                for (Path library : bundled) {
                    try (java.util.jar.JarFile lib = new java.util.jar.JarFile(library.toFile())) {
                        for (JarEntry e : java.util.Collections.list(lib.entries())) {
                            if (!e.isDirectory() && !e.getName().startsWith("META-INF/")) {
                                out.putNextEntry(new JarEntry(e.getName()));
                                try (var in = lib.getInputStream(e)) {
                                    in.transferTo(out);
                                }
                                out.closeEntry();
                            }
                        }
                    }
                }
                out.putNextEntry(new JarEntry("META-INF/extensions.idx"));
                out.write(String.join("\n", extensions).concat("\n").getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
            // Appear in the folder in one step, as a well-behaved deployment would.
            Files.move(tmp, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return jar;
        } catch (IOException e) {
            throw new IllegalStateException("cannot build plugin jar " + name, e);
        }
    }

    private Manifest manifest() {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (!omitPluginId) {
            a.putValue("Plugin-Id", pluginId);
        }
        a.putValue("Plugin-Version", version);
        a.putValue("Plugin-Provider", "tests");
        if (pluginClass != null) {
            a.putValue("Plugin-Class", pluginClass);
        }
        if (dependencies != null) {
            a.putValue("Plugin-Dependencies", dependencies);
        }
        if (requires != null) {
            a.putValue("Plugin-Requires", requires);
        }
        extraManifest.forEach(a::putValue);
        return m;
    }

    private void compile(Path out) throws IOException {
        if (sources.isEmpty()) {
            return;
        }
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        if (compiler == null) {
            throw new IllegalStateException("tests need a JDK (javax.tools compiler), not a JRE");
        }
        Path src = Files.createTempDirectory("plugin-src");
        List<Path> files = new ArrayList<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path f = src.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
            files.add(f);
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = compiler.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            List<String> options = List.of("-d", out.toString(), "-classpath", System.getProperty("java.class.path"),
                    "-proc:none", "--release", "17");
            boolean ok = compiler.getTask(nullWriter(), fm, diagnostics, options, null,
                    fm.getJavaFileObjectsFromPaths(files)).call();
            if (!ok) {
                throw new IllegalStateException("plugin sources do not compile: " + diagnostics.getDiagnostics());
            }
        }
    }

    private static java.io.Writer nullWriter() {
        return new java.io.PrintWriter(OutputStream.nullOutputStream());
    }
}
