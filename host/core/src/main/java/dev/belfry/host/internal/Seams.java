package dev.belfry.host.internal;

import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.sidecar.SidecarFileOps;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Seams for tests that must not be public API: fault-injection tests swap the state file's operations and make
 * checkpoints come early (small journal limits), and belfry-test's {@code ManualHost} starts a host it steps, through
 * here instead of through {@code HostConfig.Builder} or {@code Host}, so an application never sees a knob that only
 * tests need.
 */
public final class Seams {
    private static volatile BiConsumer<Object, SidecarFileOps> sidecarFileOps;
    private static volatile SteppedHosts steppedHosts;
    private static volatile BiConsumer<Object, JournalStore.Limits> journalLimits;
    private static volatile JournalStore.Limits journalLimitsForNewHosts = JournalStore.Limits.DEFAULT;

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

    /**
     * @param setter sets a builder's journal limits; registered once by {@code HostConfig}
     */
    public static void registerJournalLimits(BiConsumer<Object, JournalStore.Limits> setter) {
        journalLimits = setter;
    }

    /**
     * Makes a host built from {@code builder} checkpoint by {@code limits} (small ones make checkpoints and segment
     * rolls happen within a test).
     *
     * @param builder a {@code HostConfig.Builder} (its class is loaded, so the setter is registered)
     * @param limits  when checkpoints are written
     */
    public static void journalLimits(Object builder, JournalStore.Limits limits) {
        Objects.requireNonNull(journalLimits, "HostConfig is not initialised").accept(builder,
                Objects.requireNonNull(limits, "limits"));
    }

    /**
     * Sets the journal limits of every builder made from now on in this JVM. Only for a test's child JVM, whose
     * builder the command line makes (the kill loop's launcher sets it before it runs {@code belfry run}).
     *
     * @param limits when checkpoints are written
     */
    public static void journalLimitsForNewHosts(JournalStore.Limits limits) {
        journalLimitsForNewHosts = Objects.requireNonNull(limits, "limits");
    }

    /**
     * @return the journal limits a new builder starts with: {@link JournalStore.Limits#DEFAULT} unless a test's child
     *         JVM set others
     */
    public static JournalStore.Limits journalLimitsForNewHosts() {
        return journalLimitsForNewHosts;
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
