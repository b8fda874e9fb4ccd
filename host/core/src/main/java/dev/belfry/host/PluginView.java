package dev.belfry.host;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A plugin the host runs.
 *
 * @param id           its id, the namespace of its jobs
 * @param version      its {@code Plugin-Version}
 * @param file         the jar or folder it was loaded from
 * @param dependencies the ids of the plugins it depends on
 */
public record PluginView(String id, String version, Path file, List<String> dependencies) {

    /**
     * Checks that nothing is null and copies the list.
     *
     * @param id           its id, the namespace of its jobs
     * @param version      its {@code Plugin-Version}
     * @param file         the jar or folder it was loaded from
     * @param dependencies the ids of the plugins it depends on
     */
    public PluginView {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(file, "file");
        dependencies = List.copyOf(dependencies);
    }
}
