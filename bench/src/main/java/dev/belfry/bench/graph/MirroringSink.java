package dev.belfry.bench.graph;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.StateSink;
import dev.belfry.host.internal.graph.GraphMirror;
import dev.belfry.sidecar.JobRecord;
import java.util.concurrent.CompletableFuture;

/**
 * The bench's stand-in for the host's change fan-out with the graph module attached: every change goes to the state
 * sink, then to the mirror, which never blocks (the host does the same in {@code ChangeFanOut}).
 */
final class MirroringSink implements StateSink {
    private final StateSink truth;
    private final GraphMirror mirror;

    /**
     * @param truth  the state writer
     * @param mirror the graph mirror
     */
    MirroringSink(StateSink truth, GraphMirror mirror) {
        this.truth = truth;
        this.mirror = mirror;
    }

    @Override
    public long put(JobRecord record) {
        long ticket = truth.put(record);
        mirror.jobChanged(record);
        return ticket;
    }

    @Override
    public long remove(QName qname) {
        long ticket = truth.remove(qname);
        mirror.jobRemoved(qname);
        return ticket;
    }

    @Override
    public CompletableFuture<Void> durable(long ticket) {
        return truth.durable(ticket);
    }
}
