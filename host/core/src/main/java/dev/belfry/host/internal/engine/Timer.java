package dev.belfry.host.internal.engine;

import java.time.Instant;

/**
 * An entry of the {@link TimerHeap}; cancelled entries stay in the heap and are skipped when they come up. Guarded
 * by the engine lock.
 */
final class Timer implements Comparable<Timer> {
    /** START: a run claimed ahead of its instant ({@link FireClaim#claimAhead()}) whose code is due. */
    enum Kind { FIRE, RETRY, TIMEOUT, START }

    final Instant due;
    /** The instant a FIRE timer is for: its due time, or later when the fire is claimed ahead of it. */
    final Instant instant;
    final long seq;
    final Kind kind;
    final JobSlot slot;
    /** The run a TIMEOUT or START timer is for; a timeout's is cleared when the run ends. */
    private Run run;
    private boolean cancelled;

    Timer(Instant due, Instant instant, long seq, Kind kind, JobSlot slot, Run run) {
        this.due = due;
        this.instant = instant;
        this.seq = seq;
        this.kind = kind;
        this.slot = slot;
        this.run = run;
    }

    Run run() {
        return run;
    }

    boolean isCancelled() {
        return cancelled;
    }

    void cancel() {
        cancelled = true;
    }

    /**
     * Cancels a run's timeout as the run ends. The entry stays in the heap until its due time, which may be hours
     * away: it must not keep the run, and through the run's code the plugin's class loader, reachable until then.
     */
    void cancelAndForgetRun() {
        cancelled = true;
        run = null;
    }

    @Override
    public int compareTo(Timer other) {
        int c = due.compareTo(other.due);
        return c != 0 ? c : Long.compare(seq, other.seq);
    }
}
