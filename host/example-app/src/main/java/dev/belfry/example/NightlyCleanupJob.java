package dev.belfry.example;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.MisfirePolicy;
import dev.belfry.api.RetryPolicy;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import java.time.ZoneId;

/**
 * The application's own cron job: at 03:30 Berlin time it cleans up, retried if it fails and run once if the
 * application was down at 03:30. Operators can also trigger it by hand ({@code belfry}-style operations are on
 * the {@code Host}).
 */
public final class NightlyCleanupJob implements BackgroundJob {

    @Override
    public JobSpec spec() {
        return JobSpec.builder("nightly-cleanup", Schedule.cron("30 3 * * *", ZoneId.of("Europe/Berlin")))
                .retry(RetryPolicy.exponential(3, Duration.ofMinutes(5)))
                .misfire(MisfirePolicy.fireOnce())
                .timeout(Duration.ofMinutes(10))
                .build();
    }

    @Override
    public void run(JobContext context) {
        context.progress(0.5, "removing expired sessions");
        context.throwIfCancelled();
        System.out.println("[example-app] cleaned up for " + context.scheduledFor() + " (attempt "
                + context.attempt() + ")");
        context.progress(1.0, "done");
    }
}
