package dev.belfry.plugins.ingest;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.RetryPolicy;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;

/**
 * A one-off job the ingest job schedules at run time (it is not an extension, so the host only knows it once
 * scheduled). Its state is persisted like any job's; a Once job's start is committed before it runs.
 */
final class CompactJob implements BackgroundJob {
    private final Instant at;
    private final long upTo;

    CompactJob(Instant at, long upTo) {
        this.at = at;
        this.upTo = upTo;
    }

    @Override
    public JobSpec spec() {
        return JobSpec.builder("compact", Schedule.once(at))
                .retry(RetryPolicy.exponential(3, Duration.ofSeconds(5))).build();
    }

    @Override
    public void run(JobContext context) {
        System.out.println("[ingest-demo] compacted records up to " + upTo);
    }
}
