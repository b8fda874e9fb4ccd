package dev.belfry.host.internal.plugins;

import java.nio.file.Path;

/** What the plugin layer tells the engine. Calls come from the thread that scans the plugins folder. */
public interface PluginListener {

    /**
     * A plugin started; its valid jobs should be registered (or reattached, if they are known from before).
     *
     * @param plugin the started plugin
     */
    void pluginStarted(LoadedPlugin plugin);

    /**
     * A plugin is about to stop (its file was removed or replaced, or the host is shutting down). When this returns,
     * none of the plugin's job code may be running any more; the plugin's class loader is closed afterwards.
     *
     * @param pluginId the plugin's id
     */
    void pluginStopping(String pluginId);

    /**
     * A plugin from this file has started and its jobs are about to be collected: problems reported for the file
     * before now no longer hold; those reported from now until it stops are its jobs'.
     *
     * @param file     the plugin's jar or folder
     * @param pluginId the plugin's id
     */
    default void pluginLoading(Path file, String pluginId) {
    }

    /**
     * A plugin or one of its jobs was refused, a plugin waits for something, or a file was superseded by a higher
     * version of its plugin.
     *
     * @param problem what and why
     */
    void problem(PluginProblem problem);

    /**
     * @param pluginId a plugin's id, before it loads
     * @return whether the id is taken by jobs the application registered itself, so the plugin must be refused
     */
    default boolean isReservedNamespace(String pluginId) {
        return false;
    }
}
