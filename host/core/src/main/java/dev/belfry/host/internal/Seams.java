package dev.belfry.host.internal;

import dev.belfry.sidecar.SidecarFileOps;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Seams for tests that must not be public API: fault-injection tests swap the state file's operations, and
 * belfry-test's {@code ManualHost} starts a host it steps, through here instead of through {@code HostConfig.Builder}
 * or {@code Host}, so an application never sees a knob that only tests need.
 */
public final class Seams {
    private static volatile BiConsumer<Object, SidecarFileOps> sidecarFileOps;
    private static volatile SteppedHosts steppedHosts;

    private Seams() {
    }

    /**
     * @param setter sets a builder's file operations; registered once by {@code HostConfig}
     */
    public static void registerSidecarFileOps(BiConsumer<Object, SidecarFileOps> setter) {
        sidecarFileOps = setter;
    }

    /**
     * Makes a host built from {@code builder} write its state file through {@code ops}.
     *
     * @param builder a {@code HostConfig.Builder} (its class is loaded, so the setter is registered)
     * @param ops     the file operations
     */
    public static void sidecarFileOps(Object builder, SidecarFileOps ops) {
        Objects.requireNonNull(sidecarFileOps, "HostConfig is not initialised").accept(builder, ops);
    }

    /** @param hosts the stepped-host factory; registered once by {@code Host} */
    public static void registerSteppedHosts(SteppedHosts hosts) {
        steppedHosts = hosts;
    }

    /** @return the stepped-host factory */
    public static SteppedHosts steppedHosts() {
        try {
            Class.forName("dev.belfry.host.Host", true, Seams.class.getClassLoader()); // registers it
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        return steppedHosts;
    }
}
