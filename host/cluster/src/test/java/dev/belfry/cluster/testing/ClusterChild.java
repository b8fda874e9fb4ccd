package dev.belfry.cluster.testing;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.MisfirePolicy;
import dev.belfry.api.OverlapPolicy;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.cluster.ClusterConfig;
import dev.belfry.cluster.ClusterModule;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.internal.module.AttachedModule;
import dev.belfry.host.internal.module.HostContext;
import dev.belfry.host.internal.module.ModuleFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The main class of a cluster host in a child JVM (see {@link ClusterProcess}): the application's jobs of every kind
 * (cron, periodic, Once, dynamic), each run appended by the job itself to {@code runs.log} as
 * {@code job|scheduledFor|attempt|host|pid|firedAtMillis}, fsynced in batches, and the host's cluster health sampled
 * to {@code health.log} as {@code millis|ready|shardsHeld|lastRenewalMillisAgo|lastError}.
 *
 * <p>Arguments: {@code url user name dataDir outDir jobs onceBaseMillis onceSpanSeconds leaseSeconds
 * misfireThresholdMillis}; the
 * password comes from the environment variable {@value #PASSWORD_ENV}.
 */
public final class ClusterChild {
    /** Where the child reads the database password. */
    public static final String PASSWORD_ENV = "BELFRY_TEST_DB_PASSWORD";
    /** Printed on standard output once the host has started. */
    public static final String STARTED = "cluster child started";

    private static final Duration SYNC_EVERY = Duration.ofMillis(100);

    private final String name;
    private final long pid = ProcessHandle.current().pid();
    private final ConcurrentLinkedQueue<String> pending = new ConcurrentLinkedQueue<>();
    private final Set<String> dynamicHere = ConcurrentHashMap.newKeySet();
    private final FileChannel runs;
    private final FileChannel health;
    private volatile HostContext context;

    private ClusterChild(String name, Path out) throws IOException {
        this.name = name;
        this.runs = FileChannel.open(out.resolve("runs.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        this.health = FileChannel.open(out.resolve("health.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String user = args[1];
        String name = args[2];
        Path data = Path.of(args[3]);
        Path out = Path.of(args[4]);
        int jobs = Integer.parseInt(args[5]);
        Instant onceBase = Instant.ofEpochMilli(Long.parseLong(args[6]));
        int onceSpan = Integer.parseInt(args[7]);
        Duration lease = Duration.ofSeconds(Long.parseLong(args[8]));
        Duration misfireThreshold = Duration.ofMillis(Long.parseLong(args[9]));
        ClusterChild child = new ClusterChild(name, out);
        ClusterConfig cluster = ClusterConfig.builder(url).user(user)
                .password(System.getenv(PASSWORD_ENV).toCharArray()).leaseTime(lease)
                .renewEvery(Duration.ofSeconds(1)).address(name).build();
        Host host = Host.start(HostConfig.builder().dataDir(data).misfireThreshold(misfireThreshold)
                .module(ClusterModule.of(cluster))
                .module(child.probe())
                .register("app", child.jobs(jobs, onceBase, onceSpan).toArray(BackgroundJob[]::new)).build());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            host.close();
            child.sync();
        }, "cluster-child-shutdown"));
        Thread writer = new Thread(child::writeLoop, "cluster-child-records");
        writer.setDaemon(true);
        writer.start();
        System.out.println(STARTED);
        System.out.flush();
        Thread.currentThread().join();
    }

    /**
     * The job mix ({@link #kind}): cron every second (misfire policy fire once, skip, fire all), periodic of 200 to
     * 500 ms (overlap allowed), Once spread over the run, spawners that add a dynamic job from their runs.
     */
    private List<BackgroundJob> jobs(int count, Instant onceBase, int onceSpan) {
        List<BackgroundJob> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String job = "job-" + i;
            Kind kind = kind(i);
            JobSpec spec;
            if (kind.isCron()) {
                MisfirePolicy misfire = kind == Kind.CRON_SKIP ? MisfirePolicy.skip()
                        : kind == Kind.CRON_FIRE_ALL ? MisfirePolicy.fireAll(100) : MisfirePolicy.fireOnce();
                spec = JobSpec.builder(job, Schedule.cron("* * * * * *")).misfire(misfire).build();
            } else if (kind == Kind.PERIODIC) {
                // Overlap ALLOW: a fire due while the last run still waits for its start's commit runs too, so that
                // every step of the grid is owed and a gap is a miss, not the overlap policy's skip.
                spec = JobSpec.builder(job, Schedule.every(Duration.ofMillis(periodMillis(i))))
                        .overlap(OverlapPolicy.ALLOW).build();
            } else if (kind == Kind.ONCE) {
                spec = JobSpec.builder(job, Schedule.once(onceAt(i, onceBase, onceSpan))).build();
            } else {
                spec = JobSpec.builder(job, Schedule.every(Duration.ofSeconds(3))).build();
                out.add(new Spawner(spec, dynamicOf(i)));
                continue;
            }
            out.add(new Recorded(spec));
        }
        return out;
    }

    /** What application job {@code i} is. */
    public enum Kind {
        CRON_FIRE_ONCE, CRON_SKIP, CRON_FIRE_ALL, PERIODIC, ONCE, SPAWNER;

        /** @return whether it is a cron job (every second, the misfire policy its name says) */
        public boolean isCron() {
            return this == CRON_FIRE_ONCE || this == CRON_SKIP || this == CRON_FIRE_ALL;
        }
    }

    /** @return the kind of application job {@code i}: of every ten, three cron, one periodic, five Once, one spawner */
    public static Kind kind(int i) {
        int k = i % 10;
        return k < 3 ? Kind.values()[k] : k == 3 ? Kind.PERIODIC : k < 9 ? Kind.ONCE : Kind.SPAWNER;
    }

    /** @return the dynamic job spawner {@code i} adds, by local name */
    public static String dynamicOf(int i) {
        return "dyn-" + i;
    }

    /** @return the period of periodic job {@code i}: 200 to 500 ms, spread */
    public static long periodMillis(int i) {
        return 200 + (i * 7919L) % 301;
    }

    /** @return the instant of Once job {@code i} */
    public static Instant onceAt(int i, Instant base, int spanSeconds) {
        return base.plusMillis((i * 104_729L) % (spanSeconds * 1000L));
    }

    private void record(JobContext context) {
        pending.add(context.qname() + "|" + context.scheduledFor() + "|" + context.attempt() + "|" + name + "|" + pid
                + "|" + System.currentTimeMillis() + "\n");
    }

    private void writeLoop() {
        while (true) {
            try {
                Thread.sleep(SYNC_EVERY.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            sync();
            sampleHealth();
        }
    }

    private synchronized void sync() {
        StringBuilder batch = new StringBuilder();
        String line;
        while ((line = pending.poll()) != null) {
            batch.append(line);
        }
        if (batch.length() == 0) {
            return;
        }
        try {
            ByteBuffer bytes = ByteBuffer.wrap(batch.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                runs.write(bytes);
            }
            runs.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private void sampleHealth() {
        HostContext host = context;
        if (host == null) {
            return;
        }
        try {
            // The time first: health() also asks the database, which takes up to its timeout when cut off, and
            // last_renewal_ms_ago is measured as it starts.
            long at = System.currentTimeMillis();
            Map<String, Object> report = host.health();
            Map<String, Object> cluster = (Map<String, Object>) report.get("cluster");
            String line = at + "|" + cluster.get("ready") + "|" + cluster.get("shards_held")
                    + "|" + cluster.get("last_renewal_ms_ago") + "|"
                    + String.valueOf(cluster.get("last_error")).replace('\n', ' ').replace('|', '/') + "\n";
            health.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            // A sample lost while the host shuts down is of no consequence.
        }
    }

    private ModuleFactory probe() {
        return new ModuleFactory() {
            @Override
            public String name() {
                return "probe";
            }

            @Override
            public AttachedModule attach(HostContext host) {
                context = host;
                return () -> { };
            }
        };
    }

    /** A job that records its runs. */
    private class Recorded implements BackgroundJob {
        private final JobSpec spec;

        Recorded(JobSpec spec) {
            this.spec = spec;
        }

        @Override
        public JobSpec spec() {
            return spec;
        }

        @Override
        public void run(JobContext context) {
            record(context);
        }
    }

    /** Records its runs and makes sure its dynamic job runs on this host too (replace keeps its history). */
    private final class Spawner extends Recorded {
        private final String dynamic;

        Spawner(JobSpec spec, String dynamic) {
            super(spec);
            this.dynamic = dynamic;
        }

        @Override
        public void run(JobContext context) {
            record(context);
            if (dynamicHere.add(dynamic)) {
                context.scheduler().replace(new Recorded(JobSpec.builder(dynamic,
                        Schedule.every(Duration.ofSeconds(1))).build()));
            }
        }
    }
}
