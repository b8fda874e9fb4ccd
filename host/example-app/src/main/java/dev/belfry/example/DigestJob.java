package dev.belfry.example;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;

/**
 * The application's own periodic job: every ten seconds it sends a digest, numbered by its checkpoint, so the
 * numbering carries on across restarts as a plugin job's would.
 */
public final class DigestJob implements BackgroundJob {

    @Override
    public JobSpec spec() {
        return JobSpec.builder("digest", Schedule.every(Duration.ofSeconds(10))).build();
    }

    @Override
    public void run(JobContext context) {
        long number = context.checkpoint().map(Long::parseLong).orElse(0L) + 1;
        context.saveCheckpoint(Long.toString(number));
        System.out.println("[example-app] digest " + number + " for " + context.scheduledFor());
    }
}
