package dev.belfry.host.internal.engine;

/**
 * Told of runs as they end, for metrics and the graph mirror. Called with the engine's lock held: implementations
 * must be quick and must not call back into the engine.
 */
public interface EngineListener {

    /** A listener that ignores everything. */
    EngineListener NONE = new EngineListener() {
    };

    /**
     * @param result how a run ended
     */
    default void runFinished(RunResult result) {
    }
}
