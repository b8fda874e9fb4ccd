package dev.belfry.host.internal.admin;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.engine.RunResult;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The last runs of every job, in memory, for operators ({@code belfry jobs show}); and the run metrics. Fed by the
 * engine as runs end, under the engine's lock, so every method is quick.
 */
public final class RunHistory implements EngineListener {
    private final int perJob;
    private final Map<QName, Deque<RunResult>> runs = new HashMap<>();
    private final Metrics metrics;

    /**
     * @param perJob  how many runs to keep per job
     * @param metrics where run counts and durations are recorded
     */
    public RunHistory(int perJob, Metrics metrics) {
        this.perJob = perJob;
        this.metrics = metrics;
    }

    @Override
    public synchronized void runFinished(RunResult result) {
        Deque<RunResult> list = runs.computeIfAbsent(result.job(), q -> new ArrayDeque<>(perJob));
        if (list.size() == perJob) {
            list.removeFirst();
        }
        list.addLast(result);
        // A run cancelled because its plugin stopped (an upgrade, a removal) is not a failed run.
        boolean success = result.error().map(Engine::isCancelledNotFailed).orElse(true);
        metrics.runFinished(success, result.error().map(e -> e.startsWith("timed out")).orElse(false),
                result.attempt() > 1, Duration.between(result.scheduledFor(), result.firedAt()),
                Duration.between(result.firedAt(), result.finishedAt()));
    }

    /**
     * @param job a job
     * @return its last runs, newest first
     */
    public synchronized List<RunResult> of(QName job) {
        List<RunResult> out = new ArrayList<>(runs.getOrDefault(job, new ArrayDeque<>()));
        java.util.Collections.reverse(out);
        return out;
    }
}
