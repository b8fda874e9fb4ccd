package dev.belfry.host.internal.module;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.RunAround;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JobRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A module attached to one host. The host calls {@link #prepare()} on every module, then {@link #start()} on every
 * module, both before the first job fires; then, while it runs, the change methods; last {@link #close()}.
 *
 * <p>The change methods are called with the engine's lock held, so they must return at once (hand the work to the
 * module's own thread) and must not throw.
 */
public interface AttachedModule extends AutoCloseable {

    /**
     * Takes what can refuse the start (a port, a file): called before any module starts.
     *
     * @throws dev.belfry.host.HostStartException with a one-line reason if the host must not start
     */
    default void prepare() {
    }

    /** Starts the module's background work; it can no longer refuse the start. */
    default void start() {
    }

    /** @param record a job's newly committed state */
    default void jobChanged(JobRecord record) {
    }

    /** @param qname a job that is gone */
    default void jobRemoved(QName qname) {
    }

    /** @param result how a run ended */
    default void runFinished(RunResult result) {
    }

    /**
     * A run reported its progress, on the run's own thread; as often as the job's code reports, so quick.
     *
     * @param job      the job
     * @param runId    the run
     * @param fraction how far it is, 0 to 1
     * @param message  what it says it is doing, or empty
     */
    default void runProgressed(QName job, long runId, double fraction, String message) {
    }

    /**
     * Called on a run's own thread just before its code runs, outside the engine's lock: what the module makes
     * current for the code (a trace span). Must be quick and must not throw.
     *
     * @param run the run
     * @return what to exit when the code is done
     */
    default RunAround.Scope enterRun(RunAround.RunInfo run) {
        return RunAround.Scope.NONE;
    }

    /** @param plugins every plugin the host knows now */
    default void pluginsChanged(List<PluginNode> plugins) {
    }

    /** @return the module's section of the host's health; empty to show none */
    default Optional<Map<String, Object>> healthSection() {
        return Optional.empty();
    }

    /** @return the module's figures for metrics, by name */
    default Map<String, Double> gauges() {
        return Map.of();
    }

    /** Stops the module within a bounded time; never throws. */
    @Override
    void close();
}
