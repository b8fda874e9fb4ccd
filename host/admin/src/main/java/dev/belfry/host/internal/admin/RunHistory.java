package dev.belfry.host.internal.admin;

import dev.belfry.host.internal.engine.Engine;
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
        metrics.runFinished(result.job(), outcome(result), result.attempt() > 1,
                Duration.between(result.scheduledFor(), result.firedAt()),
                Duration.between(result.firedAt(), result.finishedAt()));
    }

    private static Metrics.Outcome outcome(RunResult result) {
        String error = result.error().orElse(null);
        if (error == null) {
            return Metrics.Outcome.SUCCEEDED;
        }
        if (Engine.isCancelledNotFailed(error)) {
            return Metrics.Outcome.CANCELLED; // its plugin stopped (an upgrade, a removal): not the job's failure
        }
        return error.startsWith("timed out") ? Metrics.Outcome.TIMED_OUT : Metrics.Outcome.FAILED;
    }
}
