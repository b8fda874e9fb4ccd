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
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;

/**
 * One host of the cluster benchmark, in its own JVM, as an application embedding Belfry runs it: the same
 * {@code jobs} fixed-rate jobs registered on every host, each recording its fire lag (start minus
 * {@code scheduledFor()}) and its (job, instant) for the parent's duplicate check. Prints "ready" once started and,
 * at the end, its histogram and fire count; stops on stdin's end.
 *
 * <p>Arguments: url user password-file name data-dir jobs period-ms fires-file
 */
public final class ClusterBenchHost {
    private static final Recorder lag = new Recorder(3);
    private static final AtomicLong fired = new AtomicLong();
    private static final ConcurrentLinkedQueue<String> fires = new ConcurrentLinkedQueue<>();
    private static volatile boolean measuring;

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
        System.out.println("ready");
        System.out.flush();
        try (BufferedWriter out = Files.newBufferedWriter(firesFile, StandardCharsets.UTF_8)) {
            Thread writer = new Thread(() -> drain(out), "fires-writer");
            writer.setDaemon(true);
            writer.start();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("measure")) {
                    lag.reset();
                    fired.set(0);
                    measuring = true;
                } else if (line.equals("report")) {
                    measuring = false;
                    Histogram h = lag.getIntervalHistogram();
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(h.getNeededByteBufferCapacity());
                    int n = h.encodeIntoCompressedByteBuffer(buf);
                    System.out.println("report " + fired.get() + " "
                            + Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buf.array(), n)));
                    System.out.flush();
                } else if (line.equals("stop")) {
                    break;
                }
            }
            host.close();
            Thread.sleep(300);
            drainOnce(out);
        }
        System.out.println("stopped");
        System.out.flush();
    }

    private static void drain(BufferedWriter out) {
        while (true) {
            try {
                drainOnce(out);
                Thread.sleep(200);
            } catch (IOException | InterruptedException e) {
                return;
            }
        }
    }

    private static synchronized void drainOnce(BufferedWriter out) throws IOException {
        for (String f; (f = fires.poll()) != null; ) {
            out.write(f);
            out.newLine();
        }
        out.flush();
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
            Instant now = Instant.now();
            Instant due = context.scheduledFor();
            long micros = (now.getEpochSecond() - due.getEpochSecond()) * 1_000_000L
                    + (now.getNano() - due.getNano()) / 1_000;
            if (measuring) {
                lag.recordValue(Math.max(0, micros));
                fired.incrementAndGet();
            }
            fires.add(context.qname().name() + '|' + due + '|' + context.attempt());
        }
    }
}
