package dev.belfry.host.internal.plugins;

import dev.belfry.host.internal.Printable;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Why a plugin, or one of its jobs, was refused. The message is one line an operator can act on; it names the
 * file and, when known, the plugin and job.
 *
 * @param file     the plugin's jar or folder
 * @param pluginId the plugin id, if the descriptor could be read
 * @param jobName  the job concerned, if the problem is one job's and the rest of the plugin runs
 * @param message  what is wrong
 */
public record PluginProblem(Path file, Optional<String> pluginId, Optional<String> jobName, String message) {

    static PluginProblem ofFile(Path file, String message) {
        return new PluginProblem(file, Optional.empty(), Optional.empty(), message);
    }

    static PluginProblem ofPlugin(Path file, String pluginId, String message) {
        return new PluginProblem(file, Optional.of(pluginId), Optional.empty(), message);
    }

    static PluginProblem ofJob(Path file, String pluginId, String jobName, String message) {
        return new PluginProblem(file, Optional.of(pluginId), Optional.of(jobName), message);
    }

    /**
     * @return the problem as one log line: {@code file: plugin p: job j: message}; control characters and line
     *         separators quoted from a descriptor (a manifest may hold ESC or NEL, plugin.properties anything) are
     *         written as {@code \\uXXXX}
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(String.valueOf(file.getFileName()));
        pluginId.ifPresent(p -> b.append(": plugin ").append(p));
        jobName.ifPresent(j -> b.append(": job ").append(j));
        b.append(": ").append(message);
        return Printable.escape(b.toString());
    }
}
