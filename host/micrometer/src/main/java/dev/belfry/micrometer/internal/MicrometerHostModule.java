package dev.belfry.micrometer.internal;

import dev.belfry.host.internal.module.AttachedModule;
import dev.belfry.host.internal.module.HostContext;
import dev.belfry.host.internal.module.ModuleFactory;
import io.micrometer.core.instrument.MeterRegistry;

/** The Micrometer binding as a host module (see {@code dev.belfry.micrometer.MicrometerModule}). */
public final class MicrometerHostModule implements ModuleFactory {
    private final MeterRegistry registry;
    private final int jobLabelLimit;

    /**
     * @param registry      where the meters go
     * @param jobLabelLimit how many jobs get meters of their own
     */
    public MicrometerHostModule(MeterRegistry registry, int jobLabelLimit) {
        this.registry = registry;
        this.jobLabelLimit = jobLabelLimit;
    }

    @Override
    public String name() {
        return "micrometer";
    }

    @Override
    public AttachedModule attach(HostContext host) {
        return new HostMeters(registry, host, jobLabelLimit);
    }
}
