package dev.belfry.host.internal.module;

import java.util.List;
import java.util.Objects;

/**
 * A plugin as the graph shows it: one {@code (:_Plugin)} node and its {@code DEPENDS_ON} relationships.
 *
 * @param id        the plugin id
 * @param version   its version text, as the plugin declares it
 * @param state     its state in the host, for example {@code started}, {@code failed} or {@code waiting}
 * @param dependsOn the ids of the plugins it depends on
 */
public record PluginNode(String id, String version, String state, List<String> dependsOn) {

    /**
     * Validates the values and copies the list.
     *
     * @param id        the plugin id
     * @param version   its version
     * @param state     its state
     * @param dependsOn the ids it depends on
     * @throws NullPointerException if an argument or an element of {@code dependsOn} is null
     */
    public PluginNode {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(state, "state");
        dependsOn = List.copyOf(dependsOn);
    }
}
