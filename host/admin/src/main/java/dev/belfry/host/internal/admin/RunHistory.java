package dev.belfry.host.internal.admin;

import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.engine.RunResult;
import java.time.Duration;

/**
 * The run metrics, fed by the engine as runs end, under the engine's lock, so it is quick. The runs themselves are
 * the core's run history ({@code HostContext.runs}), which survives restarts.
 */
public final class RunHistory implements EngineListener {
    private final Metrics metrics;

    /** @param metrics where run counts and durations are recorded */
    public RunHistory(Metrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void runFinished(RunResult result) {
        metrics.runFinished(result.job(), result.kind(), result.attempt() > 1,
                Duration.between(result.scheduledFor(), result.firedAt()),
                Duration.between(result.firedAt(), result.finishedAt()));
    }
}
