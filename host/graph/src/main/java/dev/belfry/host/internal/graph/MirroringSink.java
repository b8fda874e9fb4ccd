package dev.belfry.host.internal.graph;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.StateSink;
import dev.belfry.sidecar.JobRecord;
import java.util.concurrent.CompletableFuture;

/**
 * The engine's state sink when the graph is on: every change goes to the state writer (the source of truth) and
 * is offered to the mirror, which never blocks. Durability is the writer's alone.
 */
public final class MirroringSink implements StateSink {
    private final StateSink truth;
    private final GraphMirror mirror;

    /**
     * @param truth  the state writer
     * @param mirror the graph mirror
     */
    public MirroringSink(StateSink truth, GraphMirror mirror) {
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
