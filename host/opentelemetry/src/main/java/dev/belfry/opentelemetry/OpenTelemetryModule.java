package dev.belfry.opentelemetry;

import dev.belfry.host.HostModule;
import dev.belfry.opentelemetry.internal.RunTracingModule;
import io.opentelemetry.api.OpenTelemetry;
import java.util.Objects;

/**
 * Traces a host's runs with the embedding application's OpenTelemetry: one span per run ({@code belfry.run}),
 * current while the job's code runs, so the spans and log lines a plugin's code makes join the run's trace; the
 * run's trace and span ids are in the MDC then ({@code trace_id}, {@code span_id}). The host shares the OpenTelemetry
 * API with plugins as it shares the plugin API (docs/operations.md, "OpenTelemetry"). The core does not depend on
 * OpenTelemetry; the application brings it.
 *
 * <pre>{@code
 * HostConfig.builder().module(OpenTelemetryModule.of(openTelemetry))
 * }</pre>
 */
public final class OpenTelemetryModule {
    /** The instrumentation scope's name of the runs' spans. */
    public static final String INSTRUMENTATION_SCOPE = "dev.belfry.host";

    private OpenTelemetryModule() {
    }

    /**
     * @param openTelemetry the application's OpenTelemetry (its SDK, or {@code GlobalOpenTelemetry.get()})
     * @return the module
     */
    public static HostModule of(OpenTelemetry openTelemetry) {
        return new RunTracingModule(Objects.requireNonNull(openTelemetry, "openTelemetry")
                .getTracer(INSTRUMENTATION_SCOPE));
    }
}
