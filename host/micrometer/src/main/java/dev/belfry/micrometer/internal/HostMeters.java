package dev.belfry.micrometer.internal;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.EngineStats;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.module.AttachedModule;
import dev.belfry.host.internal.module.HostContext;
import dev.belfry.host.internal.module.JobLabels;
import dev.belfry.sidecar.JobStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * One host's meters in the application's registry. Run meters are made as runs end (under the engine's lock, so
 * each job's meters are looked up once and kept); the host-wide figures are functions the registry reads when it
 * publishes. Every meter is removed from the registry when the host closes.
 */
final class HostMeters implements AttachedModule {
    /**
     * Not "job": Prometheus gives every scraped series a {@code job} label of its own, which would hide this one.
     */
    static final String JOB_TAG = "belfry.job";

    private final MeterRegistry registry;
    private final HostContext host;
    private final JobLabels jobLabels;
    private final Map<Tags, RunMeters> runMeters = new ConcurrentHashMap<>();
    private final List<Meter> meters = new ArrayList<>();

    HostMeters(MeterRegistry registry, HostContext host, int jobLabelLimit) {
        this.registry = registry;
        this.host = host;
        this.jobLabels = new JobLabels(jobLabelLimit);
    }

    @Override
    public void start() {
        for (JobStatus status : JobStatus.values()) {
            meters.add(Gauge.builder("belfry.jobs", host, h -> h.jobsByStatus().getOrDefault(status.jsonName(), 0L))
                    .description("Jobs by status").tag("status", status.jsonName()).register(registry));
        }
        engineCounter("belfry.fires", "Runs dispatched to workers", EngineStats::runsDispatched);
        engineCounter("belfry.fires.skipped", "Fires skipped because the job was still running",
                EngineStats::firesSkipped);
        engineCounter("belfry.fires.missed", "Fires missed (downtime, pause, stall)", EngineStats::firesMissed);
        engineGauge("belfry.runs.executing", "Runs executing now", EngineStats::runsExecuting);
        engineGauge("belfry.runs.abandoned", "Threads of timed-out runs that have not returned yet",
                EngineStats::abandonedStillRunning);
        engineGauge("belfry.fires.waiting.for.worker", "Due fires waiting for a free worker",
                EngineStats::firesWaitingForWorker);
        meters.add(FunctionCounter.builder("belfry.sidecar.commits", host, h -> h.stateHealth().commits())
                .description("Durable commits of job state").register(registry));
        meters.add(FunctionCounter.builder("belfry.sidecar.commit.failures", host, h -> h.stateHealth().failures())
                .description("Failed commits and checkpoints of job state").register(registry));
        meters.add(Gauge.builder("belfry.sidecar.healthy", host, h -> h.stateHealth().lastError().isEmpty() ? 1 : 0)
                .description("1 if the last commit of job state succeeded").register(registry));
    }

    private void engineCounter(String name, String description, ToDoubleFunction<EngineStats> figure) {
        meters.add(FunctionCounter.builder(name, host, h -> figure.applyAsDouble(h.engineStats()))
                .description(description).register(registry));
    }

    private void engineGauge(String name, String description, ToDoubleFunction<EngineStats> figure) {
        meters.add(Gauge.builder(name, host, h -> figure.applyAsDouble(h.engineStats())).description(description)
                .register(registry));
    }

    @Override
    public void runFinished(RunResult result) {
        QName job = result.job();
        Tags tags = Tags.of("plugin", JobLabels.pluginOf(job), JOB_TAG, jobLabels.of(job));
        RunMeters m = runMeters.computeIfAbsent(tags, this::runMetersFor);
        m.outcomes[result.kind().ordinal()].increment();
        if (result.attempt() > 1) {
            m.retries.increment();
        }
        m.fireLag.record(nonNegative(Duration.between(result.scheduledFor(), result.firedAt())));
        m.duration.record(nonNegative(Duration.between(result.firedAt(), result.finishedAt())));
    }

    private static Duration nonNegative(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }

    private RunMeters runMetersFor(Tags tags) {
        RunResult.Kind[] kinds = RunResult.Kind.values();
        Counter[] outcomes = new Counter[kinds.length];
        for (RunResult.Kind kind : kinds) {
            outcomes[kind.ordinal()] = keep(Counter.builder("belfry.runs").description("Runs that ended")
                    .tags(tags).tag("outcome", kind.name().toLowerCase(Locale.ROOT)).register(registry));
        }
        Counter retries = keep(Counter.builder("belfry.run.retries").description("Runs that were retries")
                .tags(tags).register(registry));
        Timer lag = keep(Timer.builder("belfry.fire.lag").description("How late runs started after their"
                + " scheduled instant").tags(tags).publishPercentileHistogram().register(registry));
        Timer duration = keep(Timer.builder("belfry.run.duration").description("How long runs took").tags(tags)
                .publishPercentileHistogram().register(registry));
        return new RunMeters(outcomes, retries, lag, duration);
    }

    private <M extends Meter> M keep(M meter) {
        synchronized (meters) {
            meters.add(meter);
        }
        return meter;
    }

    @Override
    public void close() {
        synchronized (meters) {
            meters.forEach(registry::remove);
            meters.clear();
        }
        runMeters.clear();
    }

    /** A job's (or a plugin's other jobs') run meters. */
    private record RunMeters(Counter[] outcomes, Counter retries, Timer fireLag, Timer duration) {
    }
}
