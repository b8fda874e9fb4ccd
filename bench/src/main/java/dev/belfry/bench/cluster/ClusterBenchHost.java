package dev.belfry.bench.cluster;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.cluster.ClusterConfig;
import dev.belfry.cluster.ClusterModule;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One host of the cluster benchmark, in its own JVM, as an application embedding Belfry runs it: the same
 * {@code jobs} fixed-rate jobs registered on every host, each recording its fire lag (start minus
 * {@code scheduledFor()}) and its (job, instant) for the parent's duplicate check. Prints "ready" once started and,
 * at the end, its histogram and fire count; stops on stdin's end.
 *
 * <p>Arguments: url user password-file name data-dir jobs period-ms fires-file
 */
public final class ClusterBenchHost {
    private ClusterBenchHost() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String user = args[1];
        char[] password = Files.readString(Path.of(args[2])).trim().toCharArray();
        String name = args[3];
        Path data = Path.of(args[4]);
        int jobs = Integer.parseInt(args[5]);
        Duration period = Duration.ofMillis(Long.parseLong(args[6]));
        Path firesFile = Path.of(args[7]);
        BackgroundJob[] declared = new BackgroundJob[jobs];
        long spacing = period.toNanos() / jobs;
        for (int i = 0; i < jobs; i++) {
            declared[i] = new LagJob(JobSpec.builder("job-" + i, Schedule.every(period, PeriodicMode.FIXED_RATE,
                    Duration.ofNanos(i * spacing))).build());
        }
        ClusterConfig cluster = ClusterConfig.builder(url).user(user).password(password).address(name).build();
        Host host = Host.start(HostConfig.builder().dataDir(data).maxConcurrentRuns(64)
                .module(ClusterModule.of(cluster)).register("bench", declared).build());
        FireLog.serve(firesFile, host::close);
    }

    /** Records how late it started and which fire it ran. */
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
            FireLog.fired(context.scheduledFor(),
                    context.qname().name() + '|' + context.scheduledFor() + '|' + context.attempt());
        }
    }
}
