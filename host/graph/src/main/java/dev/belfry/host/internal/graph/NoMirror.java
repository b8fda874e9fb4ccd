package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.module.PluginNode;
import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JobRecord;
import java.util.List;

/** The mirror used when the graph is switched off. */
enum NoMirror implements GraphMirror {
    INSTANCE;

    @Override
    public void jobChanged(JobRecord record) {
    }

    @Override
    public void jobRemoved(QName qname) {
    }

    @Override
    public void runFinished(RunResult result) {
    }

    @Override
    public void pluginsChanged(List<PluginNode> plugins) {
    }

    @Override
    public MirrorStatus status() {
        return MirrorStatus.disabled();
    }

    @Override
    public void close() {
    }
}
