package dev.belfry.bench.host;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Consumer;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;

/** Quartz 2.5 with the in-memory RAMJobStore, set up like Belfry: same worker count, same jobs. */
final class QuartzRig {
    private QuartzRig() {
    }

    /** How Quartz is configured for a run. */
    enum Variant {
        /** Quartz's defaults apart from the store and the thread count. */
        DEFAULT,
        /**
         * Triggers acquired in batches of up to the thread count (the default is one per acquisition), and the
         * shortest idle wait Quartz accepts (1 s instead of 30 s). Quartz documents both for high-rate schedulers.
         */
        TUNED
    }

    /** @return a scheduler in standby: jobs can be added before {@link Scheduler#start()} */
    static Scheduler scheduler(Variant variant, Consumer<JobExecutionContext> body) throws SchedulerException {
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.instanceName", "bench-quartz-" + variant.name().toLowerCase());
        p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        p.setProperty("org.quartz.scheduler.makeSchedulerThreadDaemon", "true");
        p.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
        p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(BelfryRig.WORKERS));
        p.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
        p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        if (variant == Variant.TUNED) {
            p.setProperty("org.quartz.scheduler.batchTriggerAcquisitionMaxCount", Integer.toString(BelfryRig.WORKERS));
            p.setProperty("org.quartz.scheduler.idleWaitTime", "1000");
        }
        Scheduler scheduler = new StdSchedulerFactory(p).getScheduler();
        // One shared job instance instead of one made by reflection per fire: this only makes Quartz cheaper.
        Job probe = context -> body.accept(context);
        scheduler.setJobFactory((bundle, s) -> probe);
        return scheduler;
    }

    /**
     * Adds {@code n} jobs repeating every {@code period}, their first fires spread evenly over the period from
     * {@code firstAt}. Quartz keeps times as {@link Date}, in whole milliseconds, so the spread is rounded to them.
     */
    static void addPeriodicJobs(Scheduler scheduler, int n, Duration period, Instant firstAt)
            throws SchedulerException {
        long spacingNanos = period.toNanos() / n;
        Map<JobDetail, Set<? extends Trigger>> batch = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            Date start = Date.from(firstAt.plusNanos(i * spacingNanos));
            batch.put(job(i), Set.of(TriggerBuilder.newTrigger().withIdentity("trigger-" + i, BelfryRig.PLUGIN)
                    .startAt(start)
                    .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                            .withIntervalInMilliseconds(period.toMillis()).repeatForever())
                    .build()));
        }
        scheduler.scheduleJobs(batch, false);
    }

    /** Adds {@code n} jobs that fire once, all at {@code at}. */
    static void addOnceJobs(Scheduler scheduler, int n, Instant at) throws SchedulerException {
        Map<JobDetail, Set<? extends Trigger>> batch = new HashMap<>(n * 2);
        Date start = Date.from(at);
        for (int i = 0; i < n; i++) {
            batch.put(job(i), Set.of(TriggerBuilder.newTrigger().withIdentity("trigger-" + i, BelfryRig.PLUGIN)
                    .startAt(start).build()));
        }
        scheduler.scheduleJobs(batch, false);
    }

    private static JobDetail job(int i) {
        return JobBuilder.newJob(Job.class).withIdentity("job-" + i, BelfryRig.PLUGIN).build();
    }
}
