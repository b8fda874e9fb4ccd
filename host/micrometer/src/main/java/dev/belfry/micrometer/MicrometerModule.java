package dev.belfry.micrometer;

import dev.belfry.host.HostModule;
import dev.belfry.host.internal.module.JobLabels;
import dev.belfry.micrometer.internal.MicrometerHostModule;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;

/**
 * Binds a host's meters to the embedding application's Micrometer {@link MeterRegistry}: the same figures the admin
 * API's {@code /metrics} serves, under Micrometer's names ({@code belfry.runs}, {@code belfry.fire.lag}, ...), with
 * the same {@code plugin} and {@code belfry.job} tags and the same bound on per-job series (docs/operations.md,
 * "Micrometer"). The core does not depend on Micrometer; the application brings it.
 *
 * <pre>{@code
 * HostConfig.builder().module(MicrometerModule.of(registry))
 * }</pre>
 */
public final class MicrometerModule {
    private MicrometerModule() {
    }

    /**
     * @param registry the application's registry
     * @return the module, with the default bound of {@value JobLabels#DEFAULT_LIMIT} jobs tagged by name
     */
    public static HostModule of(MeterRegistry registry) {
        return of(registry, JobLabels.DEFAULT_LIMIT);
    }

    /**
     * @param registry      the application's registry
     * @param jobLabelLimit how many jobs get meters of their own (tagged with the job); further jobs' runs are
     *                      counted per plugin under {@code belfry.job=_other}; 0 for per-plugin meters only
     * @return the module
     * @throws IllegalArgumentException naming the limit if it is negative
     */
    public static HostModule of(MeterRegistry registry, int jobLabelLimit) {
        return new MicrometerHostModule(Objects.requireNonNull(registry, "registry"),
                JobLabels.checkLimit(jobLabelLimit));
    }
}
