package dev.belfry.host.internal.plugins;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.pf4j.CompoundPluginLoader;
import org.pf4j.DefaultPluginLoader;
import org.pf4j.DefaultPluginManager;
import org.pf4j.JarPluginLoader;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginDependency;
import org.pf4j.PluginDescriptorFinder;
import org.pf4j.PluginLoader;
import org.pf4j.PluginManager;
import org.pf4j.PluginRuntimeException;
import org.pf4j.PluginState;
import org.pf4j.PluginStateEvent;
import org.pf4j.PluginWrapper;

/**
 * PF4J's manager with these changes: descriptors are read with a size bound and can be read and checked before a
 * plugin is loaded (so the host can refuse it with a precise reason), extension indexes are read once and bounded,
 * and the plugin API is always taken from the host, even if a plugin jar
 * bundles its own copy by mistake, so a plugin's job is always a {@code BackgroundJob} of the host's kind. So is
 * SLF4J's API (a plugin's log lines then go where the host's go, with the run's MDC, whatever copy it bundles), and
 * OpenTelemetry's where the host has it (a plugin's spans then join the run's trace).
 */
final class BelfryPluginManager extends DefaultPluginManager {
    /**
     * Packages a plugin gets from the host: the plugin API, the logging API whose MDC a run fills, and the
     * OpenTelemetry API whose current context a run's span is (where the host has it; else the plugin's own copy).
     */
    private static final List<String> SHARED_PACKAGES = List.of("dev.belfry.api.", "org.slf4j.",
            "io.opentelemetry.api.", "io.opentelemetry.context.");
    private static final String EXTENSION_INDEX = "META-INF/extensions.idx";

    BelfryPluginManager(Path pluginsDir, String systemVersion) {
        super(pluginsDir);
        setSystemVersion(systemVersion);
    }

    /**
     * Reads and validates a plugin's descriptor without loading it.
     *
     * @throws PluginRuntimeException with PF4J's reason if there is no usable descriptor
     */
    PluginDescriptor readDescriptor(Path file) {
        PluginDescriptor descriptor = getPluginDescriptorFinder().find(file);
        validatePluginDescriptor(descriptor);
        return descriptor;
    }

    /**
     * Starts a loaded plugin whose required dependencies already run, and lets whatever its {@code Plugin.start}
     * throws through. PF4J's {@code startPlugin} would catch it, log a stack trace of its own and leave only a
     * state behind; the host reports the plugin's own exception in one line instead.
     *
     * @param id a loaded, resolved plugin
     * @throws Exception what the plugin's start threw (the plugin is then {@code FAILED})
     */
    void startOrThrow(String id) throws Exception {
        PluginWrapper wrapper = getPlugin(id);
        if (wrapper == null || !resolvedPlugins.contains(wrapper)) {
            throw new IllegalStateException("plugin " + id + " is not loaded and resolved");
        }
        for (PluginDependency dep : wrapper.getDescriptor().getDependencies()) {
            PluginWrapper d = getPlugin(dep.getPluginId());
            if ((d == null && !dep.isOptional()) || (d != null && d.getPluginState() != PluginState.STARTED)) {
                throw new IllegalStateException("its dependency " + dep.getPluginId() + " is not running");
            }
        }
        PluginState before = wrapper.getPluginState();
        try {
            org.pf4j.Plugin plugin = wrapper.getPlugin();
            if (plugin == null) {
                throw new IllegalStateException("PF4J could not create its Plugin-Class");
            }
            plugin.start();
            wrapper.setPluginState(PluginState.STARTED);
            wrapper.setFailedException(null);
            startedPlugins.add(wrapper);
        } catch (Exception | Error e) {
            wrapper.setPluginState(PluginState.FAILED);
            wrapper.setFailedException(e);
            throw e;
        } finally {
            firePluginStateEvent(new PluginStateEvent(this, wrapper, before));
        }
    }

    @Override
    protected PluginDescriptorFinder createPluginDescriptorFinder() {
        return new DescriptorFinder();
    }

    /**
     * Reads a loaded plugin's own extension indexes ({@code META-INF/extensions.idx} in its jar, or in its folder's
     * classes and libraries) once, bounded in size. PF4J's extension finder would read every plugin's index whole,
     * and again after every load or unload of any plugin, so one hostile index would slow every later change.
     *
     * @param id a loaded plugin
     * @return the class names listed, in order, without duplicates
     * @throws DescriptorException if the indexes hold more than the bound or than {@link #MAX_EXTENSIONS} classes, or
     *                             cannot be read
     */
    /** The most extensions one plugin may list; far above any real plugin's count of jobs. */
    static final int MAX_EXTENSIONS = 1_000;

    List<String> extensionIndex(String id) {
        // Each listed class is looked up (and a refused one logged), so the count is bounded as well as the bytes.
        ClassLoader loader = getPluginClassLoader(id);
        Set<String> names = new LinkedHashSet<>();
        long total = 0;
        try {
            // findResources: the plugin's own files only, not the host's or its dependencies'.
            Enumeration<URL> urls = ((URLClassLoader) loader).findResources(EXTENSION_INDEX);
            while (urls.hasMoreElements()) {
                URLConnection c = urls.nextElement().openConnection();
                c.setUseCaches(false); // a cached JarFile would keep the jar open after the plugin is unloaded
                byte[] bytes;
                try (InputStream in = c.getInputStream()) {
                    bytes = DescriptorFinder.bounded(in, EXTENSION_INDEX);
                }
                total += bytes.length;
                if (total > DescriptorFinder.MAX_METADATA_BYTES) {
                    throw new DescriptorException("the plugin's " + EXTENSION_INDEX + " files hold more than "
                            + DescriptorFinder.MAX_METADATA_TEXT);
                }
                // PF4J's index format: one class name a line, '#' starts a comment, whitespace is ignored.
                for (String line : new String(bytes, StandardCharsets.UTF_8).split("\\R")) {
                    String name = line.replaceFirst("#.*", "").replaceAll("\\s", "");
                    if (!name.isEmpty() && names.add(name) && names.size() > MAX_EXTENSIONS) {
                        throw new DescriptorException("the plugin's " + EXTENSION_INDEX + " files list more than "
                                + MAX_EXTENSIONS + " extensions");
                    }
                }
            }
        } catch (IOException e) {
            throw new DescriptorException("cannot read " + EXTENSION_INDEX + ": " + e);
        }
        return List.copyOf(names);
    }

    @Override
    protected PluginLoader createPluginLoader() {
        return new CompoundPluginLoader()
                .add(new ApiFirstJarLoader(this))
                .add(new ApiFirstDirectoryLoader(this));
    }

    /** A plugin class loader that resolves the plugin API through the host first. */
    private static final class ApiFirstClassLoader extends PluginClassLoader {
        ApiFirstClassLoader(PluginManager manager, PluginDescriptor descriptor, ClassLoader parent) {
            super(manager, descriptor, parent);
        }

        @Override
        public Class<?> loadClass(String className) throws ClassNotFoundException {
            for (String shared : SHARED_PACKAGES) {
                if (className.startsWith(shared)) {
                    try {
                        return getParent().loadClass(className);
                    } catch (ClassNotFoundException notInTheHost) {
                        break; // an optional API the host does not have: the plugin's own copy, if any
                    }
                }
            }
            return super.loadClass(className);
        }
    }

    private static final class ApiFirstJarLoader extends JarPluginLoader {
        ApiFirstJarLoader(PluginManager manager) {
            super(manager);
        }

        @Override
        public ClassLoader loadPlugin(Path pluginPath, PluginDescriptor descriptor) {
            PluginClassLoader loader = new ApiFirstClassLoader(pluginManager, descriptor,
                    BelfryPluginManager.class.getClassLoader());
            loader.addFile(pluginPath.toFile());
            return loader;
        }
    }

    private static final class ApiFirstDirectoryLoader extends DefaultPluginLoader {
        ApiFirstDirectoryLoader(PluginManager manager) {
            super(manager);
        }

        @Override
        protected PluginClassLoader createPluginClassLoader(Path pluginPath, PluginDescriptor descriptor) {
            return new ApiFirstClassLoader(pluginManager, descriptor, BelfryPluginManager.class.getClassLoader());
        }
    }
}
