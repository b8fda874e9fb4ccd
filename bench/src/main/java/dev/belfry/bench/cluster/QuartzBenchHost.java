package dev.belfry.bench.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;

/**
 * One Quartz 2.5 scheduler of the cluster benchmark, in its own JVM: the clustered JDBC job store
 * ({@code JobStoreTX}, {@code PostgreSQLDelegate}, HikariCP) on the parent's PostgreSQL, 64 worker threads as
 * Belfry's host has 64 concurrent runs. The scheduler named {@code host-0} stores the {@code jobs} triggers; every
 * scheduler fires whichever it acquires. Speaks the same stdin/stdout protocol as {@link ClusterBenchHost}.
 *
 * <p>Arguments: url user password-file name jobs period-ms fires-file tuned(true|false)
 */
public final class QuartzBenchHost {
    static final int THREADS = 64;
    /** Below Quartz's advice of threadCount + 2: three schedulers must fit in the server's max_connections of 200. */
    static final int CONNECTIONS = 40;

    private QuartzBenchHost() {
    }

    public static void main(String[] args) throws Exception {
        String name = args[3];
        int jobs = Integer.parseInt(args[4]);
        Duration period = Duration.ofMillis(Long.parseLong(args[5]));
        Scheduler scheduler = new StdSchedulerFactory(properties(args[0], args[1],
                Files.readString(Path.of(args[2])).trim(), name, Boolean.parseBoolean(args[7]))).getScheduler();
        // One shared job instance instead of one made by reflection per fire: this only makes Quartz cheaper.
        Job probe = QuartzBenchHost::record;
        scheduler.setJobFactory((bundle, s) -> probe);
        if (name.equals("host-0")) {
            addPeriodicJobs(scheduler, jobs, period, Instant.now().plusSeconds(2));
        }
        scheduler.start();
        FireLog.serve(Path.of(args[6]), () -> scheduler.shutdown(true));
    }

    /** @return how the schedulers are configured, for the benchmark's first line */
    static String describe(boolean tuned) {
        return "Quartz 2.5 JDBC store (" + THREADS + " threads, " + CONNECTIONS + " connections, batch acquisition "
                + (tuned ? THREADS + ", idleWaitTime 1 s)" : "1)");
    }

    private static void record(JobExecutionContext context) {
        Instant due = context.getScheduledFireTime().toInstant();
        FireLog.fired(due, context.getTrigger().getKey().getName() + '|' + due);
    }

    private static Properties properties(String url, String user, String password, String name, boolean tuned) {
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.instanceName", "bench-cluster");
        p.setProperty("org.quartz.scheduler.instanceId", name);
        p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        p.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
        p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(THREADS));
        p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
        p.setProperty("org.quartz.jobStore.dataSource", "qds");
        p.setProperty("org.quartz.jobStore.isClustered", "true");
        p.setProperty("org.quartz.jobStore.clusterCheckinInterval", "1000");
        p.setProperty("org.quartz.dataSource.qds.provider", "hikaricp");
        p.setProperty("org.quartz.dataSource.qds.driver", "org.postgresql.Driver");
        p.setProperty("org.quartz.dataSource.qds.URL", url);
        p.setProperty("org.quartz.dataSource.qds.user", user);
        p.setProperty("org.quartz.dataSource.qds.password", password);
        p.setProperty("org.quartz.dataSource.qds.maxConnections", Integer.toString(CONNECTIONS));
        if (tuned) {
            p.setProperty("org.quartz.scheduler.batchTriggerAcquisitionMaxCount", Integer.toString(THREADS));
            p.setProperty("org.quartz.scheduler.idleWaitTime", "1000");
        }
        return p;
    }

    /**
     * Stores {@code n} triggers repeating every {@code period}, their first fires spread over the period from
     * {@code firstAt} (in whole milliseconds: Quartz keeps {@link Date}s). A fire missed by more than Quartz's
     * misfire threshold fires at once and keeps the remaining count, the closest Quartz has to fixed rate.
     */
    private static void addPeriodicJobs(Scheduler scheduler, int n, Duration period, Instant firstAt)
            throws Exception {
        long spacingNanos = period.toNanos() / n;
        Map<JobDetail, Set<? extends Trigger>> batch = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            batch.put(JobBuilder.newJob(Job.class).withIdentity("job-" + i, "bench").build(),
                    Set.of(TriggerBuilder.newTrigger().withIdentity("trigger-" + i, "bench")
                            .startAt(Date.from(firstAt.plusNanos(i * spacingNanos)))
                            .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                                    .withIntervalInMilliseconds(period.toMillis()).repeatForever()
                                    .withMisfireHandlingInstructionNowWithExistingCount())
                            .build()));
        }
        scheduler.scheduleJobs(batch, true);
    }
}
