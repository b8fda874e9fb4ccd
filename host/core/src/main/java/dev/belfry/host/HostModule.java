package dev.belfry.host;

/**
 * A part of a host that lives in its own module, such as the graph mirror ({@code belfry-graph}) or the admin API
 * ({@code belfry-admin}). Applications get one from its module's factory and pass it to
 * {@link HostConfig.Builder#module(HostModule)}; they do not implement this interface (the host refuses a module
 * that did not come from a Belfry module).
 */
public interface HostModule {

    /** @return the module's name, such as {@code graph} or {@code admin}: its section in the host's health */
    String name();
}
