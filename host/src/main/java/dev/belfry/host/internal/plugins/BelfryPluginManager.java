package dev.belfry.host.internal.plugins;

import java.nio.file.Path;
import org.pf4j.CompoundPluginLoader;
import org.pf4j.DefaultPluginLoader;
import org.pf4j.DefaultPluginManager;
import org.pf4j.JarPluginLoader;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginLoader;
import org.pf4j.PluginManager;
import org.pf4j.PluginRuntimeException;

/**
 * PF4J's manager with two changes: descriptors can be read and checked before a plugin is loaded (so the host can
 * refuse it with a precise reason), and the plugin API is always taken from the host, even if a plugin jar
 * bundles its own copy by mistake, so a plugin's job is always a {@code BackgroundJob} of the host's kind.
 */
final class BelfryPluginManager extends DefaultPluginManager {
    private static final String API_PACKAGE = "dev.belfry.api.";

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
            if (className.startsWith(API_PACKAGE)) {
                return getParent().loadClass(className);
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
