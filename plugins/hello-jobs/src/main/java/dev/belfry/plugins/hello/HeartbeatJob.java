package dev.belfry.plugins.hello;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import org.pf4j.Extension;

/** A periodic job: counts its beats in its checkpoint, so the count survives restarts. */
@Extension
public class HeartbeatJob implements BackgroundJob {

    @Override
    public JobSpec spec() {
        return JobSpec.builder("heartbeat", Schedule.every(Duration.ofSeconds(10))).build();
    }

    @Override
    public void run(JobContext context) {
        long beats = context.checkpoint().map(Long::parseLong).orElse(0L) + 1;
        context.saveCheckpoint(Long.toString(beats));
        System.out.println("[hello-jobs] heartbeat " + beats);
    }
}
