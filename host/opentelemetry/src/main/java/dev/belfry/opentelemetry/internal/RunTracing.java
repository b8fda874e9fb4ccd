package dev.belfry.opentelemetry.internal;

import dev.belfry.host.internal.engine.RunAround;
import dev.belfry.host.internal.module.AttachedModule;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.MDC;

/**
 * One span per run, started on the run's thread as its code starts and made current there, so that what the code
 * traces and logs is the span's child and carries its ids; ended as the code returns or throws. A run is a trace's
 * root: nothing upstream caused it but the clock.
 */
final class RunTracing implements AttachedModule {
    static final AttributeKey<String> JOB = AttributeKey.stringKey("belfry.job");
    static final AttributeKey<String> PLUGIN = AttributeKey.stringKey("belfry.plugin");
    static final AttributeKey<Long> RUN = AttributeKey.longKey("belfry.run");
    static final AttributeKey<String> SCHEDULED_FOR = AttributeKey.stringKey("belfry.scheduled_for");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("belfry.attempt");
    static final AttributeKey<Double> LAG = AttributeKey.doubleKey("belfry.fire_lag_ms");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("belfry.outcome");
    /** MDC keys of the run's span while its code runs, for log lines to join the trace. */
    static final String MDC_TRACE_ID = "trace_id";
    static final String MDC_SPAN_ID = "span_id";

    private final Tracer tracer;
    private final Clock clock;

    RunTracing(Tracer tracer, Clock clock) {
        this.tracer = tracer;
        this.clock = clock;
    }

    @Override
    public RunAround.Scope enterRun(RunAround.RunInfo run) {
        Instant now = clock.instant();
        Duration lag = Duration.between(run.scheduledFor(), now);
        Span span = tracer.spanBuilder("belfry.run " + run.job()).setSpanKind(SpanKind.INTERNAL).setNoParent()
                .setAttribute(JOB, run.job().toString()).setAttribute(PLUGIN, run.plugin())
                .setAttribute(RUN, run.runId()).setAttribute(SCHEDULED_FOR, run.scheduledFor().toString())
                .setAttribute(ATTEMPT, (long) run.attempt())
                .setAttribute(LAG, lag.isNegative() ? 0.0 : lag.toNanos() / 1e6).startSpan();
        Scope current = span.makeCurrent();
        SpanContext ids = span.getSpanContext();
        MDC.put(MDC_TRACE_ID, ids.getTraceId());
        MDC.put(MDC_SPAN_ID, ids.getSpanId());
        return (failure, cancelReason) -> {
            MDC.remove(MDC_TRACE_ID);
            MDC.remove(MDC_SPAN_ID);
            current.close();
            if (cancelReason != null) {
                span.setAttribute(OUTCOME, cancelReason.startsWith("timed out") ? "timed_out" : "cancelled");
                span.setStatus(StatusCode.ERROR, cancelReason);
            } else if (failure != null) {
                span.setAttribute(OUTCOME, "failed");
                span.recordException(failure);
                span.setStatus(StatusCode.ERROR, String.valueOf(failure));
            } else {
                span.setAttribute(OUTCOME, "succeeded");
            }
            span.end();
        };
    }

    @Override
    public void close() {
    }
}
