package dev.belfry.host.internal.admin;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.engine.RunResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The last runs of every job, in memory, for operators ({@code belfry jobs show}); and the run metrics. Fed by the
 * engine as runs end, under the engine's lock, so every method is quick.
 */
public final class RunHistory implements EngineListener {
    private final int perJob;
    private final Map<QName, Ring> runs = new HashMap<>();
    private final Metrics metrics;

    /**
     * @param perJob  how many runs to keep per job
     * @param metrics where run counts and durations are recorded
     */
    public RunHistory(int perJob, Metrics metrics) {
        if (perJob <= 0) {
            throw new IllegalArgumentException("perJob must be positive: " + perJob);
        }
        this.perJob = perJob;
        this.metrics = metrics;
    }

    @Override
    public synchronized void runFinished(RunResult result) {
        Ring ring = runs.get(result.job());
        if (ring == null) {
            ring = new Ring(perJob);
            runs.put(result.job(), ring);
        }
        ring.add(result);
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
        Ring ring = runs.get(job);
        return ring == null ? List.of() : ring.newestFirst(job);
    }

    /**
     * One job's last runs as numbers, written in place. Keeping a run makes no object that outlives it: a host of
     * many busy jobs would otherwise hold every job's last runs as objects that live minutes, which a generational
     * collector copies again and again before they die.
     */
    private static final class Ring {
        private static final int LONGS = 4; // run id; epoch seconds of scheduled, fired, finished
        private static final int INTS = 4; // nanoseconds of scheduled, fired, finished; attempt

        private final long[] longs;
        private final int[] ints;
        /** Made at the job's first failed run; null entries are runs that succeeded. */
        private String[] errors;
        private int next;
        private int size;

        Ring(int capacity) {
            longs = new long[capacity * LONGS];
            ints = new int[capacity * INTS];
        }

        void add(RunResult r) {
            int l = next * LONGS;
            int i = next * INTS;
            longs[l] = r.runId();
            longs[l + 1] = r.scheduledFor().getEpochSecond();
            longs[l + 2] = r.firedAt().getEpochSecond();
            longs[l + 3] = r.finishedAt().getEpochSecond();
            ints[i] = r.scheduledFor().getNano();
            ints[i + 1] = r.firedAt().getNano();
            ints[i + 2] = r.finishedAt().getNano();
            ints[i + 3] = r.attempt();
            if (r.error().isPresent() && errors == null) {
                errors = new String[longs.length / LONGS];
            }
            if (errors != null) {
                errors[next] = r.error().orElse(null);
            }
            next = (next + 1) % (longs.length / LONGS);
            size = Math.min(size + 1, longs.length / LONGS);
        }

        List<RunResult> newestFirst(QName job) {
            int capacity = longs.length / LONGS;
            List<RunResult> out = new ArrayList<>(size);
            for (int k = 1; k <= size; k++) {
                int slot = (next - k + capacity) % capacity;
                int l = slot * LONGS;
                int i = slot * INTS;
                out.add(new RunResult(job, longs[l], Instant.ofEpochSecond(longs[l + 1], ints[i]),
                        Instant.ofEpochSecond(longs[l + 2], ints[i + 1]),
                        Instant.ofEpochSecond(longs[l + 3], ints[i + 2]), ints[i + 3],
                        Optional.ofNullable(errors == null ? null : errors[slot])));
            }
            return out;
        }
    }
}
