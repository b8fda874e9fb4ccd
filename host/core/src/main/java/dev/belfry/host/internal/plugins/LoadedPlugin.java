package dev.belfry.host.internal.plugins;

import java.nio.file.Path;
import java.util.List;

/**
 * A plugin that started, with the jobs it contributes that passed validation.
 *
 * @param id           the plugin id, the namespace of its jobs
 * @param version      its version
 * @param file         its jar or folder
 * @param dependencies ids of the plugins it depends on
 * @param jobs         its valid jobs
 * @param classLoader  the plugin's class loader, so callers can tell its classes apart
 */
public record LoadedPlugin(String id, String version, Path file, List<String> dependencies, List<PluginJob> jobs,
                           ClassLoader classLoader) {
    /**
     * Copies the lists.
     *
     * @param id           id
     * @param version      version
     * @param file         file
     * @param dependencies dependencies
     * @param jobs         jobs
     * @param classLoader  class loader
     */
    public LoadedPlugin {
        dependencies = List.copyOf(dependencies);
        jobs = List.copyOf(jobs);
    }
}
