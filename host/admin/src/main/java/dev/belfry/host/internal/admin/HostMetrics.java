package dev.belfry.host.internal.admin;

import dev.belfry.host.internal.engine.EngineStats;
import dev.belfry.host.internal.state.StateStore;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.function.Supplier;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The JMX face of the host's metrics; reads the live figures on every attribute access. */
public final class HostMetrics implements HostMetricsMXBean, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HostMetrics.class);

    private final Supplier<Map<String, Long>> jobsByStatus;
    private final Supplier<EngineStats> engine;
    private final Metrics runs;
    private final Supplier<StateStore.Health> writer;
    private final Supplier<Map<String, Double>> graph;
    private ObjectName name;

    /**
     * @param jobsByStatus jobs per status
     * @param engine       the engine's counters
     * @param runs         run metrics
     * @param writer       the state writer's health
     * @param graph        the graph mirror's gauges
     */
    public HostMetrics(Supplier<Map<String, Long>> jobsByStatus, Supplier<EngineStats> engine, Metrics runs,
                       Supplier<StateStore.Health> writer, Supplier<Map<String, Double>> graph) {
        this.jobsByStatus = jobsByStatus;
        this.engine = engine;
        this.runs = runs;
        this.writer = writer;
        this.graph = graph;
    }

    /**
     * Registers with the platform MBean server; a failure is logged, never fatal.
     *
     * @param dataDir names the host, so several hosts in one JVM do not collide
     */
    public void register(String dataDir) {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            name = new ObjectName("dev.belfry:type=Host,data=" + ObjectName.quote(dataDir));
            server.registerMBean(this, name);
        } catch (JMException e) {
            log.warn("metrics are not available over JMX: {}", e.getMessage());
            name = null;
        }
    }

    @Override
    public Map<String, Long> getJobsByStatus() {
        return jobsByStatus.get();
    }

    @Override
    public long getFiresTotal() {
        return engine.get().runsDispatched();
    }

    @Override
    public long getFiresSkippedTotal() {
        return engine.get().firesSkipped();
    }

    @Override
    public long getFiresMissedTotal() {
        return engine.get().firesMissed();
    }

    @Override
    public long getRunsTotal() {
        return runs.runs.sum();
    }

    @Override
    public long getRunFailuresTotal() {
        return runs.failures.sum();
    }

    @Override
    public long getRunRetriesTotal() {
        return runs.retries.sum();
    }

    @Override
    public long getRunTimeoutsTotal() {
        return runs.timeouts.sum();
    }

    @Override
    public int getRunsExecuting() {
        return engine.get().runsExecuting();
    }

    @Override
    public long getSidecarCommitsTotal() {
        return writer.get().commits();
    }

    @Override
    public long getSidecarCommitFailuresTotal() {
        return writer.get().failures();
    }

    @Override
    public long getSidecarPendingChanges() {
        return writer.get().pendingChanges();
    }

    @Override
    public double getSidecarLastCommitSeconds() {
        return writer.get().lastCommitTook().toNanos() / 1e9;
    }

    @Override
    public long getSidecarBytes() {
        return writer.get().checkpointBytes();
    }

    @Override
    public Map<String, Double> getGraphMirror() {
        return graph.get();
    }

    /** Unregisters the MBean. */
    @Override
    public void close() {
        if (name != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
            } catch (JMException e) {
                log.warn("cannot unregister {}: {}", name, e.getMessage());
            }
        }
    }
}
