package dev.belfry.host.reliability.hostile;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the test plugins report back to their tests. Plugin classes reach this class through the host's class loader
 * (the parent of every plugin class loader), as they would reach any class of the host's class path. It holds only
 * JDK values and weak references, so it never pins a plugin's class loader.
 */
public final class Probe {
    private static final Queue<Long> canaryLagMicros = new ConcurrentLinkedQueue<>();
    private static final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    private static final Queue<WeakReference<ClassLoader>> loaders = new ConcurrentLinkedQueue<>();
    private static final Queue<String> notes = new ConcurrentLinkedQueue<>();
    private static volatile boolean released;

    private Probe() {
    }

    /** Called by the canary's run: how late it started against its scheduled instant, in real time. */
    public static void canaryFired(Instant scheduledFor) {
        canaryLagMicros.add(Duration.between(scheduledFor, Instant.now()).toNanos() / 1_000);
    }

    /** @param key what happened (one counter per key) */
    public static void count(String key) {
        counters.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
    }

    /** @return how often {@code key} was counted */
    public static long counted(String key) {
        AtomicLong c = counters.get(key);
        return c == null ? 0 : c.get();
    }

    /** @param loader a plugin class loader a run saw; kept weakly */
    public static void loaderSeen(ClassLoader loader) {
        for (WeakReference<ClassLoader> r : loaders) {
            if (r.get() == loader) {
                return;
            }
        }
        loaders.add(new WeakReference<>(loader));
    }

    /** @param text something a plugin wants the test to see (a failure it caught, a result) */
    public static void note(String text) {
        notes.add(text);
    }

    /** @return the notes so far */
    public static List<String> notes() {
        return List.copyOf(notes);
    }

    /** @return the weak references to every plugin class loader seen so far */
    public static List<WeakReference<ClassLoader>> loaders() {
        return List.copyOf(loaders);
    }

    /** @return the canary's lags so far, in microseconds, in firing order */
    public static List<Long> canaryLags() {
        return new ArrayList<>(canaryLagMicros);
    }

    /** Plugins whose code ignores interrupts loop until this is true, so a test can end them after the fact. */
    public static boolean released() {
        return released;
    }

    /** Lets every hostile loop end. */
    public static void release() {
        released = true;
    }

    /** Forgets everything, for the next test. */
    public static void reset() {
        canaryLagMicros.clear();
        counters.clear();
        loaders.clear();
        notes.clear();
        released = false;
    }
}
