package dev.belfry.api;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * What a running job knows about its run and what it may do with the host. One context belongs to one run and
 * is safe to use from the run's own thread and from threads the run starts.
 */
public interface JobContext {

    /** The largest checkpoint, in characters, that {@link #saveCheckpoint(String)} accepts. */
    int MAX_CHECKPOINT_CHARS = 64 * 1024;

    /**
     * @return the running job's qualified name
     */
    QName qname();

    /**
     * @return the instant this run was scheduled for by the job's schedule (for a manual trigger, the instant of
     *         the trigger); fixed-rate jobs see a grid that never drifts
     */
    Instant scheduledFor();

    /**
     * @return the instant the host actually started this run
     */
    Instant firedAt();

    /**
     * @return which attempt this is for the scheduled instant: 1 for the first, 2 for the first retry, and so on
     */
    int attempt();

    /**
     * A number that grows each time this job moves to another host of a cluster: the epoch of the lease on the job's
     * shard under which this fire was claimed. With {@link #qname()}, {@link #scheduledFor()} and {@link #attempt()}
     * it names this run; a system the job writes to can keep the highest token it has seen per job and refuse a
     * write with a lower one, from a run of a host that has since lost the job. Always 0 on a single host.
     *
     * @return the fencing token, 0 when the host is not part of a cluster
     */
    default long fencingToken() {
        return 0;
    }

    /**
     * @return true once the run has been cancelled (timeout, operator cancel, plugin unload or host shutdown)
     */
    boolean isCancelled();

    /**
     * Throws if the run has been cancelled; a convenient check point inside loops.
     *
     * @throws CancellationException if {@link #isCancelled()} is true
     */
    default void throwIfCancelled() {
        if (isCancelled()) {
            throw new CancellationException("run of " + qname() + " was cancelled");
        }
    }

    /**
     * Registers a callback run once when the run is cancelled, on the thread that cancels it; if the run is
     * already cancelled the callback runs at once on the calling thread. Use it to close sockets or streams a run
     * is blocked on.
     *
     * @param callback what to do on cancellation; must be quick and must not throw
     */
    void onCancel(Runnable callback);

    /**
     * Reports how far the run has come; operators see it live. Calls are cheap and may be frequent.
     *
     * @param fraction from 0 to 1; values outside are clamped, NaN is ignored
     * @param message  a short note on what the run is doing, or an empty string; the host keeps its first 500
     *                 characters
     */
    void progress(double fraction, String message);

    /**
     * @return the job's persistent checkpoint as last saved by any of its runs, or empty if none was saved
     */
    Optional<String> checkpoint();

    /**
     * Saves the job's persistent checkpoint (for example a watermark, as text or JSON). It survives restarts and
     * plugin reloads and is visible to the job's next runs. Saving is durable within the host's commit interval.
     *
     * @param text the checkpoint, at most {@link #MAX_CHECKPOINT_CHARS} characters
     * @throws IllegalArgumentException if the text is longer than {@link #MAX_CHECKPOINT_CHARS}
     * @throws NullPointerException     if the text is null
     */
    void saveCheckpoint(String text);

    /**
     * @return a scheduler for dynamic jobs in this job's own plugin namespace
     */
    JobScheduler scheduler();
}
