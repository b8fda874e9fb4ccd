package dev.belfry.bench.host;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The JVM, GC, heap and machine that every number of the run belongs to. */
final class Machine {
    private Machine() {
    }

    static String describe() {
        Runtime rt = Runtime.getRuntime();
        String gcs = ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                .collect(Collectors.joining(", "));
        List<String> vmOptions = ManagementFactory.getRuntimeMXBean().getInputArguments();
        return String.join("\n",
                "JVM:     " + System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version")
                        + " (" + System.getProperty("java.vendor") + ")",
                "VM args: " + (vmOptions.isEmpty() ? "(none)" : String.join(" ", vmOptions)),
                "GC:      " + gcs,
                "Heap:    max " + mib(rt.maxMemory()) + " MiB (-Xmx or the JVM's default)",
                "Cores:   " + rt.availableProcessors() + " available to the JVM",
                "CPU:     " + procLine("/proc/cpuinfo", "model name"),
                "Memory:  " + procLine("/proc/meminfo", "MemTotal"),
                "OS:      " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"));
    }

    static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }

    /**
     * Total GC pause time and count so far, to report what collections cost during a measured window. ZGC reports
     * its concurrent cycles as a collector of their own ("ZGC Cycles"); only its pauses stop the application, so
     * the cycles are left out.
     */
    static long[] gcTimeAndCount() {
        long time = 0;
        long count = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc.getName().endsWith(" Cycles")) {
                continue;
            }
            time += Math.max(0, gc.getCollectionTime());
            count += Math.max(0, gc.getCollectionCount());
        }
        return new long[] {time, count};
    }

    /**
     * Bytes allocated so far by the threads alive now (a thread that ended took its count with it); -1 where the
     * JVM does not count them.
     */
    static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                && threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled()) {
            long sum = 0;
            for (long a : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
                sum += Math.max(0, a);
            }
            return sum;
        }
        return -1;
    }

    /** CPU time of this process, so a result can say how much of the two shared cores it used. */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /**
     * Bytes this process has caused to be sent to the storage layer so far ({@code write_bytes} of
     * {@code /proc/self/io}: page-cache pages written back or synced, not the bytes handed to write()), less the
     * bytes of pages dropped before being written ({@code cancelled_write_bytes}, a file deleted while still dirty);
     * -1 where the file is not there.
     */
    static long diskWriteBytes() {
        try {
            long written = -1;
            long cancelled = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
                if (line.startsWith("write_bytes:")) {
                    written = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                } else if (line.startsWith("cancelled_write_bytes:")) {
                    cancelled = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            return written < 0 ? -1 : written - cancelled;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static String procLine(String file, String key) {
        try {
            return Files.readAllLines(Path.of(file)).stream()
                    .filter(l -> l.toLowerCase(Locale.ROOT).startsWith(key.toLowerCase(Locale.ROOT)))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
