package dev.belfry.plugins.hello;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.Schedule;
import org.pf4j.Extension;

/** A cron job: greets at the top of every minute, on the scheduled instant it was meant for. */
@Extension
public class GreetingJob implements BackgroundJob {

    @Override
    public JobSpec spec() {
        return JobSpec.builder("greeting", Schedule.cron("* * * * *")).build();
    }

    @Override
    public void run(JobContext context) {
        context.progress(1.0, "greeted for " + context.scheduledFor());
        System.out.println("[hello-jobs] hello, it is " + context.scheduledFor());
    }
}
