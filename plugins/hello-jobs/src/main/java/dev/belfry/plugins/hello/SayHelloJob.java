package dev.belfry.plugins.hello;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.Schedule;
import org.pf4j.Extension;

/** A manual job: runs only when an operator triggers it. */
@Extension
public class SayHelloJob implements BackgroundJob {

    @Override
    public JobSpec spec() {
        return JobSpec.builder("say-hello", Schedule.manual()).build();
    }

    @Override
    public void run(JobContext context) {
        System.out.println("[hello-jobs] hello on demand (attempt " + context.attempt() + ")");
    }
}
