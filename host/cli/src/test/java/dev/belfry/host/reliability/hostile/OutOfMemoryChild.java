package dev.belfry.host.reliability.hostile;

import dev.belfry.host.TestAccess;
import dev.belfry.api.QName;
import dev.belfry.host.Host;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.RunOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The child JVM of {@link OutOfMemoryTest}, started with a small heap: a host with the canary and a plugin that
 * allocates without bound, first in a local list (freed when the run dies), then in a static one (kept until the
 * plugin's class loader is unreachable). Prints {@code RESULT key value} lines on standard out for the parent.
 */
public final class OutOfMemoryChild {
    private OutOfMemoryChild() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        Path plugins = Path.of(args[1]);
        Host host = HostileFixture.start(data, plugins, Duration.ZERO, Duration.ofSeconds(2), Duration.ofSeconds(2));
        waitFor(Duration.ofSeconds(10), () -> Probe.canaryLags().size() >= 10);
        result("max-heap-mb", Runtime.getRuntime().maxMemory() >> 20);

        // a run that allocates until the heap is exhausted; what it allocated dies with it
        host.trigger(QName.parse("hostile-hog.hog"));
        waitFor(Duration.ofSeconds(20), () -> failures(host, "hostile-hog.hog") > 0);
        result("hog-outcome", outcome(host, "hostile-hog.hog"));
        result("canary-fires-3s-after-hog", firesWithin(Duration.ofSeconds(3)));

        // a run that keeps what it allocated in a static field: the heap stays full while the plugin is loaded
        host.trigger(QName.parse("hostile-hog.leak"));
        waitFor(Duration.ofSeconds(20), () -> failures(host, "hostile-hog.leak") > 0);
        result("leak-outcome", outcome(host, "hostile-hog.leak"));
        result("canary-fires-3s-while-leaked", firesWithin(Duration.ofSeconds(3)));
        result("used-heap-mb-while-leaked", usedHeapMb());

        // removing the plugin makes its class loader, and with it the static hoard, unreachable
        Files.delete(plugins.resolve("hostile-hog.jar"));
        host.rescanPlugins();
        result("plugins-after-removal", String.join(",", host.plugins()));
        for (int i = 0; i < 5; i++) {
            System.gc();
        }
        result("used-heap-mb-after-removal", usedHeapMb());
        result("canary-fires-3s-after-removal", firesWithin(Duration.ofSeconds(3)));
        result("timer-thread-alive", Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("belfry-timer")));

        long t0 = System.nanoTime();
        host.close();
        result("close-ms", (System.nanoTime() - t0) / 1_000_000);
        result("done", "yes");
        System.exit(0);
    }

    private static long failures(Host host, String qname) {
        return host.job(QName.parse(qname)).map(j -> j.failureCount()).orElse(0L);
    }

    private static String outcome(Host host, String qname) {
        JobRecord r = TestAccess.record(host, QName.parse(qname));
        return r.failureCount() + " failure(s); " + r.lastOutcome().map(RunOutcome::message).orElse("(none)");
    }

    private static long usedHeapMb() {
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) >> 20;
    }

    private static int firesWithin(Duration d) throws InterruptedException {
        int before = Probe.canaryLags().size();
        Thread.sleep(d.toMillis());
        return Probe.canaryLags().size() - before;
    }

    private static void waitFor(Duration limit, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private static void result(String key, Object value) {
        System.out.println("RESULT " + key + " " + value);
        System.out.flush();
    }
}
