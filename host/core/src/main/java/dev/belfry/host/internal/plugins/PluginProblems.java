package dev.belfry.host.internal.plugins;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The plugin problems that still hold, oldest first, as {@code belfry status} lists them. Each belongs to its file:
 * a new verdict on a file replaces the file's old ones, and they go when the file goes or loads. Thread-safe.
 */
public final class PluginProblems {
    private static final int KEPT = 200;

    private final Deque<PluginProblem> problems = new ArrayDeque<>();
    /** Files of plugins from the moment they load until they stop. */
    private final Map<String, Path> loadedFiles = new HashMap<>();

    /**
     * @param file     a plugin file that loads now: why it was refused or kept waiting before no longer holds
     * @param pluginId its plugin's id
     */
    public synchronized void loading(Path file, String pluginId) {
        problems.removeIf(p -> p.file().equals(file));
        loadedFiles.put(pluginId, file);
    }

    /** @param pluginId a plugin that stops: its jobs' problems were this load's; the next load reports its own */
    public synchronized void stopping(String pluginId) {
        Path file = loadedFiles.remove(pluginId);
        problems.removeIf(p -> p.file().equals(file));
    }

    /** @param problem a new verdict, kept (the oldest goes beyond {@value #KEPT}) */
    public synchronized void add(PluginProblem problem) {
        if (!loadedFiles.containsValue(problem.file())) {
            // A new verdict on a file that is not loaded (refused again, or waiting for another reason) replaces
            // the old one; problems of a loading plugin's jobs are all kept.
            problems.removeIf(p -> p.file().equals(problem.file()));
        }
        if (problems.size() == KEPT) {
            problems.removeFirst();
        }
        problems.addLast(problem);
    }

    /** @return the problems that still hold: those of a file removed since are dropped */
    public synchronized List<PluginProblem> current() {
        problems.removeIf(p -> !Files.exists(p.file()));
        return List.copyOf(problems);
    }
}
