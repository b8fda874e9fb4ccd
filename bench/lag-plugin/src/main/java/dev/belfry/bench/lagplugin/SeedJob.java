package dev.belfry.bench.lagplugin;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobScheduler;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;
import org.pf4j.Extension;

/** Runs once, right after the plugin starts, and registers the measured jobs as dynamic jobs. */
@Extension
public class SeedJob implements BackgroundJob {
    @Override
    public JobSpec spec() {
        // Due a second after the plugin starts, then not again while a benchmark lasts.
        return JobSpec.builder("seed", Schedule.every(Duration.ofDays(3650), PeriodicMode.FIXED_RATE,
                Duration.ofSeconds(1))).build();
    }

    @Override
    public void run(JobContext context) {
        int jobs = Integer.getInteger("bench.jobs", 100_000);
        Duration period = Duration.ofSeconds(Integer.getInteger("bench.period-seconds", 10));
        long spacing = period.toNanos() / jobs;
        JobScheduler scheduler = context.scheduler();
        long t0 = System.nanoTime();
        for (int i = 0; i < jobs; i++) {
            Schedule schedule = Schedule.every(period, PeriodicMode.FIXED_RATE, Duration.ofNanos(i * spacing));
            scheduler.replace(new LagJob(JobSpec.builder("job-" + i, schedule).build()));
        }
        System.out.printf("[bench-lag] %d dynamic jobs every %d s registered in %d ms%n", jobs, period.toSeconds(),
                (System.nanoTime() - t0) / 1_000_000);
        LagHistogram.INSTANCE.started();
    }

    /** A measured job: records how late it started, nothing else. */
    static final class LagJob implements BackgroundJob {
        private final JobSpec spec;

        LagJob(JobSpec spec) {
            this.spec = spec;
        }

        @Override
        public JobSpec spec() {
            return spec;
        }

        @Override
        public void run(JobContext context) {
            Instant now = Instant.now();
            Instant due = context.scheduledFor();
            LagHistogram.INSTANCE.record((now.getEpochSecond() - due.getEpochSecond()) * 1_000_000L
                    + (now.getNano() - due.getNano()) / 1_000);
        }
    }
}
