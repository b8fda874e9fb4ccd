package dev.belfry.opentelemetry.internal;

import dev.belfry.host.internal.module.AttachedModule;
import dev.belfry.host.internal.module.HostContext;
import dev.belfry.host.internal.module.ModuleFactory;
import io.opentelemetry.api.trace.Tracer;

/** The run tracing as a host module (see {@code dev.belfry.opentelemetry.OpenTelemetryModule}). */
public final class RunTracingModule implements ModuleFactory {
    private final Tracer tracer;

    /** @param tracer the application's tracer for Belfry's runs */
    public RunTracingModule(Tracer tracer) {
        this.tracer = tracer;
    }

    @Override
    public String name() {
        return "opentelemetry";
    }

    @Override
    public AttachedModule attach(HostContext host) {
        return new RunTracing(tracer, host.clock());
    }
}
