package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.module.PluginNode;
import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JobRecord;
import java.util.List;

/**
 * A best-effort, live copy of the host's jobs, plugins and recent runs in a graph. The sidecar stays the source of
 * truth; the mirror only follows it.
 *
 * <p>Every method returns at once: it never waits for I/O, never blocks on the graph, and never throws. Changes
 * are handed to the mirror's own thread, which writes them when (and if) it can.
 */
public interface GraphMirror extends AutoCloseable {

    /**
     * Records that a job's state changed. Only the newest version of each job is kept while waiting.
     *
     * @param record the job's committed state
     */
    void jobChanged(JobRecord record);

    /**
     * Records that a job is gone from the sidecar; its node and runs leave the graph.
     *
     * @param qname the job
     */
    void jobRemoved(QName qname);

    /**
     * Records a finished run for the job's history. Runs are best-effort: if too many wait, the oldest are dropped.
     *
     * @param result how the run ended
     */
    void runFinished(RunResult result);

    /**
     * Records the plugins the host knows.
     *
     * @param plugins the complete current list of plugins known to the host
     */
    void pluginsChanged(List<PluginNode> plugins);

    /** @return the mirror's health */
    MirrorStatus status();

    /** Stops the mirror's thread and closes its connection, within a bounded time. Changes not yet written are lost. */
    @Override
    void close();

    /** @return a mirror that does nothing; its status says it is not enabled */
    static GraphMirror off() {
        return NoMirror.INSTANCE;
    }
}
