package dev.belfry.host;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Why a plugin, or one of its jobs, was refused: one line an operator can act on.
 *
 * @param file     the plugin's jar or folder
 * @param pluginId the plugin id, if its descriptor could be read
 * @param jobName  the job concerned, if the problem is one job's and the rest of the plugin runs
 * @param line     the whole problem as one printable log line: {@code file: plugin p: job j: message}
 * @param message  what is wrong
 */
public record PluginProblemView(Path file, Optional<String> pluginId, Optional<String> jobName, String message,
                                String line) {

    /**
     * Checks that nothing is null.
     *
     * @param file     the plugin's jar or folder
     * @param pluginId the plugin id, if its descriptor could be read
     * @param jobName  the job concerned, if the problem is one job's and the rest of the plugin runs
     * @param line     the whole problem as one printable log line: {@code file: plugin p: job j: message}
     * @param message  what is wrong
     */
    public PluginProblemView {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(pluginId, "pluginId");
        Objects.requireNonNull(jobName, "jobName");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(line, "line");
    }

    /** @return {@link #line()} */
    @Override
    public String toString() {
        return line;
    }
}
