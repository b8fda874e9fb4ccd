package dev.belfry.plugins.ingest;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.RetryPolicy;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import org.pf4j.Extension;

/**
 * Fails on purpose on the first attempt of every third fire, so retries with backoff can be watched: the job goes
 * FAILED_RETRYING, then succeeds on its second attempt. Counts its fires in its checkpoint.
 */
@Extension
public class FlakyExportJob implements BackgroundJob {

    @Override
    public JobSpec spec() {
        return JobSpec.builder("flaky-export", Schedule.cron("*/2 * * * *"))
                .retry(new RetryPolicy(3, Duration.ofSeconds(2), 2.0, Duration.ofSeconds(30), 0.1))
                .build();
    }

    @Override
    public void run(JobContext context) {
        long fire = context.attempt() == 1
                ? context.checkpoint().map(Long::parseLong).orElse(0L) + 1
                : context.checkpoint().map(Long::parseLong).orElse(1L);
        context.saveCheckpoint(Long.toString(fire));
        if (fire % 3 == 0 && context.attempt() == 1) {
            throw new IllegalStateException("export target busy (planned failure on fire " + fire + ")");
        }
        System.out.println("[ingest-demo] export " + fire + " done on attempt " + context.attempt());
    }
}
