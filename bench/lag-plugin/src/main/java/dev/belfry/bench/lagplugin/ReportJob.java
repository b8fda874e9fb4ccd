package dev.belfry.bench.lagplugin;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.Schedule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.pf4j.Extension;

/**
 * Every 10 s: fires, lag percentiles, disk bytes written by the process ({@code /proc/self/io}) and its CPU time
 * ({@code /proc/self/stat}), for the last 10 s and for everything since the first report after the jobs were
 * registered (so the first 10 s after seeding are warm-up).
 */
@Extension
public class ReportJob implements BackgroundJob {
    private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux

    private long[] first;
    private long[] last;
    private long firstDisk;
    private long lastDisk;
    private long firstCpu;
    private long lastCpu;
    private long firstAt;
    private long lastAt;
    private int reports;

    @Override
    public JobSpec spec() {
        return JobSpec.builder("report", Schedule.every(Duration.ofSeconds(10))).durableStart(false).build();
    }

    @Override
    public void run(JobContext context) {
        if (!LagHistogram.INSTANCE.isStarted()) {
            return;
        }
        long[] now = LagHistogram.INSTANCE.snapshot();
        long disk = diskBytes();
        long cpu = cpuTicks();
        long at = System.nanoTime();
        if (last != null) {
            print("last 10 s", last, now, disk - lastDisk, cpu - lastCpu, at - lastAt);
            if (reports > 1) {
                print("since report 1", first, now, disk - firstDisk, cpu - firstCpu, at - firstAt);
            }
        } else {
            first = now;
            firstDisk = disk;
            firstCpu = cpu;
            firstAt = at;
        }
        reports++;
        last = now;
        lastDisk = disk;
        lastCpu = cpu;
        lastAt = at;
    }

    private static void print(String what, long[] before, long[] now, long disk, long ticks, long nanos) {
        long fires = LagHistogram.count(before, now);
        System.out.printf(Locale.ROOT, "[bench-lag] %s: %,d fires (%,.0f/s); lag p50 %.3f p99 %.3f p99.9 %.3f ms,"
                        + " max since start %.3f ms; disk %,d bytes = %.0f per fire; CPU %.0f%% of one core%n", what,
                fires, fires / (nanos / 1e9), LagHistogram.percentile(before, now, 50) / 1000.0,
                LagHistogram.percentile(before, now, 99) / 1000.0, LagHistogram.percentile(before, now, 99.9) / 1000.0,
                LagHistogram.INSTANCE.max() / 1000.0, disk, disk / (double) Math.max(1, fires),
                100.0 * ticks / TICKS_PER_SECOND / (nanos / 1e9));
    }

    private static long diskBytes() {
        try {
            long written = 0;
            long cancelled = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
                if (line.startsWith("write_bytes:")) {
                    written = Long.parseLong(line.substring(12).trim());
                } else if (line.startsWith("cancelled_write_bytes:")) {
                    cancelled = Long.parseLong(line.substring(22).trim());
                }
            }
            return written - cancelled;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static long cpuTicks() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime and stime, fields 14 and 15
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
