package dev.belfry.bench.host;

import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.admin.AdminModule;
import dev.belfry.host.internal.BackgroundPriority;
import dev.belfry.host.internal.admin.AdminServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * Fire lag of a host at a steady fire rate without and with open dashboards, in rounds that take turns (each round
 * measures without and with dashboards open, in turn which first), after the engine and the dashboards have warmed
 * up. Each dashboard behaves as the page's script (app.js) does: it holds an event stream open and, when events
 * arrive, fetches its page again, at most every 2 s, every 15 s while the host is busy, a change within the gap
 * reloading it when the gap is over (a third of them on the overview, a third on the jobs list, a third on one
 * job's page, which refreshes only for its own job).
 *
 * <p>Run: {@code java -XX:+UseZGC -Xms2g -Xmx2g -DBELFRY_LOG_LEVEL=WARN -cp bench/target/benchmarks.jar
 * dev.belfry.bench.host.DashboardLoad JOBS PERIOD_SECONDS MEASURE_SECONDS DASHBOARDS ROUNDS [streams-only]}
 * (defaults 10000 10 30 20 3: 1,000 fires/s; {@code streams-only}: the pages hold their event streams but never
 * reload). {@code -Dbelfry.bench.dashboardWarmup=SECONDS} sets how long the dashboards warm up first (60).
 */
public final class DashboardLoad {
    private DashboardLoad() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--browsers")) {
            browsers(URI.create(args[1]), args[2], Integer.parseInt(args[3]), args[4].equals("streams-only"));
            return;
        }
        int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Duration period = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 10);
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int dashboards = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        boolean streamsOnly = args.length > 5 && args[5].equals("streams-only");
        System.out.println(Machine.describe());
        System.out.printf(Locale.ROOT, "%,d jobs every %s: %,d fires/s; %d rounds of %d s without and %d s with %d"
                + " dashboards%n", jobs, period, jobs / period.toSeconds(), rounds, seconds, seconds, dashboards);
        Clock clock = Clock.systemUTC();
        LagRecorder lag = new LagRecorder();
        Path data = Files.createTempDirectory("belfry-bench-dashboard-data-");
        Path plugins = Files.createTempDirectory("belfry-bench-dashboard-plugins-");
        try (Host host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO).build())) {
            if (Boolean.parseBoolean(System.getProperty("belfry.bench.lowerJit", "true"))) {
                System.out.println("JIT compiler threads lowered: " + BackgroundPriority.lowerCompilerThreads());
            }
            host.register(BelfryRig.PLUGIN, BelfryRig.periodicPluginObjects(jobs, period, context ->
                    lag.record(Duration.between(context.scheduledFor(), clock.instant()).toNanos())));
            Thread.sleep(Duration.ofSeconds(Math.max(10, period.toSeconds() * 2)).toMillis()); // warm-up
            String base = Files.readString(data.resolve(AdminServer.URL_FILE)).strip();
            String token = Files.readString(data.resolve(AdminServer.TOKEN_FILE)).strip();
            LagRecorder.Snapshot alone = null;
            LagRecorder.Snapshot open = null;
            List<String> totals = new ArrayList<>();
            // The browsers are another process, as real ones are, started once (its JIT warms up with the host's),
            // in Linux's idle scheduling class: real browsers are usually on another machine, and the host's cost is
            // what this measures, not theirs on the same 2 cores.
            Process browsers = new ProcessBuilder("chrt", "--idle", "0",
                    ProcessHandle.current().info().command().orElse("java"), "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), DashboardLoad.class.getName(), "--browsers",
                    base, token, Integer.toString(dashboards), streamsOnly ? "streams-only" : "pages")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            PrintWriter toBrowsers = new PrintWriter(browsers.getOutputStream(), true, StandardCharsets.UTF_8);
            BufferedReader fromBrowsers = new BufferedReader(new InputStreamReader(browsers.getInputStream(),
                    StandardCharsets.UTF_8));
            // The dashboards' code warms up first, as the engine's did: the JIT compiling it (at the host's priority)
            // is a cost of the first minute after the first page opens, not of pages left open (docs/benchmarks.md).
            int warmup = Integer.getInteger("belfry.bench.dashboardWarmup", 60);
            toBrowsers.println("open");
            Thread.sleep(warmup * 1000L);
            toBrowsers.println("close");
            System.out.println("warm-up, " + warmup + " s: " + fromBrowsers.readLine());
            Thread.sleep(5_000);
            // Phases take turns, and their order too (without first in odd rounds, with first in even ones), so
            // that a drift of the machine (other tenants, the JIT) weighs on both alike.
            HostCost costAlone = HostCost.NONE;
            HostCost costOpen = HostCost.NONE;
            List<Double> differences = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                LagRecorder.Snapshot quiet = null;
                LagRecorder.Snapshot busy = null;
                long[] compileMillis = new long[2]; // without, with
                for (int phase = 0; phase < 2; phase++) {
                    boolean withDashboards = (phase == 0) == (round % 2 == 0);
                    if (withDashboards) {
                        toBrowsers.println("open");
                        Thread.sleep(5_000); // logged in, first pages drawn
                    }
                    lag.interval();
                    HostCost before = HostCost.now();
                    Thread.sleep(seconds * 1000L);
                    LagRecorder.Snapshot measured = lag.interval();
                    HostCost cost = HostCost.now().minus(before);
                    compileMillis[withDashboards ? 1 : 0] = cost.compileMillis();
                    if (withDashboards) {
                        toBrowsers.println("close");
                        totals.add(fromBrowsers.readLine());
                        Thread.sleep(5_000); // streams closed
                        busy = measured;
                        costOpen = costOpen.plus(cost);
                    } else {
                        quiet = measured;
                        costAlone = costAlone.plus(cost);
                    }
                }
                print("round " + round + " no dashboard", quiet);
                print("round " + round + " " + dashboards + " dashboards", busy);
                System.out.printf(Locale.ROOT, "round %d JIT compiling without %d ms, with %d ms%n", round,
                        compileMillis[0], compileMillis[1]);
                differences.add((busy.percentile(99) - quiet.percentile(99)) / 1000.0);
                alone = alone == null ? quiet : alone.plus(quiet);
                open = open == null ? busy : open.plus(busy);
            }
            toBrowsers.close();
            if (!browsers.waitFor(30, TimeUnit.SECONDS)) {
                browsers.destroyForcibly();
            }
            print("all no dashboard", alone);
            print("all " + dashboards + " dashboards", open);
            System.out.printf(Locale.ROOT, "host without dashboards: %.1f%% of a core, %d GC cycles, %d ms JIT"
                    + " compiling; with: %.1f%%, %d GC cycles, %d ms%n", costAlone.cpuPercent(rounds * seconds),
                    costAlone.gcCycles(), costAlone.compileMillis(), costOpen.cpuPercent(rounds * seconds),
                    costOpen.gcCycles(), costOpen.compileMillis());
            System.out.println("dashboards per round: " + String.join("; ", totals));
            printDifferences(differences);
        }
    }

    /**
     * The host process's CPU time, garbage collection cycles and the JIT's compile time (the browsers are another
     * process).
     */
    private record HostCost(long cpuNanos, long gcCycles, long compileMillis) {
        static final HostCost NONE = new HostCost(0, 0, 0);

        static HostCost now() {
            long cycles = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (!gc.getName().contains("Pauses")) { // ZGC reports its cycles and its pauses apart
                    cycles += gc.getCollectionCount();
                }
            }
            return new HostCost(((com.sun.management.OperatingSystemMXBean)
                    ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime(), cycles,
                    ManagementFactory.getCompilationMXBean().getTotalCompilationTime());
        }

        HostCost minus(HostCost earlier) {
            return new HostCost(cpuNanos - earlier.cpuNanos, gcCycles - earlier.gcCycles,
                    compileMillis - earlier.compileMillis);
        }

        HostCost plus(HostCost other) {
            return new HostCost(cpuNanos + other.cpuNanos, gcCycles + other.gcCycles,
                    compileMillis + other.compileMillis);
        }

        double cpuPercent(long seconds) {
            return cpuNanos / 1e7 / seconds;
        }
    }

    /** The browsers' process: on "open" opens the pages, on "close" closes them and says what they did. */
    private static void browsers(URI base, String token, int dashboards, boolean streamsOnly) throws Exception {
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String command = commands.readLine(); command != null; command = commands.readLine()) {
            if (command.equals("open")) {
                openAndClose(commands, base, token, dashboards, streamsOnly);
            }
        }
    }

    private static void openAndClose(BufferedReader commands, URI base, String token, int dashboards,
                                     boolean streamsOnly) throws Exception {
        LongAdder pages = new LongAdder();
        LongAdder events = new LongAdder();
        AtomicLong slowest = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        ScheduledExecutorService reloads = Executors.newScheduledThreadPool(4);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < dashboards; i++) {
            String page = switch (i % 3) {
                case 0 -> "/ui/";
                case 1 -> "/ui/jobs";
                default -> "/ui/jobs/" + BelfryRig.name(i);
            };
            Thread t = new Thread(() -> dashboard(base, token, page, streamsOnly, stop, reloads, pages, events,
                    slowest), "dashboard-" + i);
            t.start();
            threads.add(t);
        }
        for (String command = commands.readLine(); command != null && !command.equals("close");
             command = commands.readLine()) {
            // only "close" (or the end of the input) ends the round
        }
        stop.set(true); // a page's stream gets a line at least every 250 ms (a batch) or 15 s (a heartbeat)
        for (Thread t : threads) {
            t.join(20_000);
            if (t.isAlive()) {
                throw new IllegalStateException(t.getName() + " did not stop");
            }
        }
        reloads.shutdownNow();
        reloads.awaitTermination(20, TimeUnit.SECONDS);
        System.out.printf(Locale.ROOT, "%,d page loads, %,d events, slowest page %d ms%n", pages.sum(),
                events.sum(), slowest.get());
        System.out.flush();
    }

    /**
     * The rounds' p99 with dashboards minus without: their mean with a 95% confidence interval (Student's t), and in
     * how many rounds the phase with dashboards was higher, to set an effect against the rounds' scatter.
     */
    private static void printDifferences(List<Double> differences) {
        int n = differences.size();
        double mean = differences.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double variance = differences.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / Math.max(1, n - 1);
        double halfWidth = tQuantile975(n - 1) * Math.sqrt(variance / n);
        System.out.printf(Locale.ROOT, "p99 with minus without, per round: mean %+.3f ms, 95%% CI [%+.3f, %+.3f],"
                        + " higher in %d of %d rounds; each: %s%n", mean, mean - halfWidth, mean + halfWidth,
                differences.stream().filter(d -> d > 0).count(), n,
                differences.stream().map(d -> String.format(Locale.ROOT, "%+.3f", d)).toList());
    }

    /** The 97.5th percentile of Student's t with this many degrees of freedom (from a table; 1.96 past 30). */
    private static double tQuantile975(int degrees) {
        double[] table = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
                2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
                2.052, 2.048, 2.045, 2.042};
        return degrees < 1 ? Double.NaN : degrees <= table.length ? table[degrees - 1] : 1.96;
    }

    private static void print(String name, LagRecorder.Snapshot lag) {
        System.out.printf(Locale.ROOT, "%-28s fires %,9d  p50 %8s  p99 %8s  p99.9 %8s  max %8s ms%n", name,
                lag.count(), FireLag.ms(lag.percentile(50)), FireLag.ms(lag.percentile(99)),
                FireLag.ms(lag.percentile(99.9)), FireLag.ms(lag.max()));
    }

    /** One open page: logs in, holds the event stream, refreshes the page on events as app.js does. */
    private static void dashboard(URI base, String token, String page, boolean streamsOnly, AtomicBoolean stop,
                                  ScheduledExecutorService reloads, LongAdder pages, LongAdder events,
                                  AtomicLong slowest) {
        HttpClient http = HttpClient.newHttpClient();
        try {
            String json = http.send(HttpRequest.newBuilder(base.resolve("/ui/codes"))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            String login = json.replaceAll(".*\"url\":\"([^\"]+)\".*", "$1");
            String setCookie = http.send(HttpRequest.newBuilder(URI.create(login)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).headers().firstValue("Set-Cookie").orElseThrow();
            String cookie = setCookie.substring(0, setCookie.indexOf(';'));
            HttpRequest pageRequest = HttpRequest.newBuilder(base.resolve(page)).header("Cookie", cookie).GET().build();
            http.send(pageRequest, HttpResponse.BodyHandlers.discarding());
            HttpResponse<Stream<String>> stream = http.send(HttpRequest.newBuilder(base.resolve("/ui/events"))
                    .header("Cookie", cookie).GET().build(), HttpResponse.BodyHandlers.ofLines());
            String ownJob = page.startsWith("/ui/jobs/") ? page.substring("/ui/jobs/".length()) : null;
            Reloader reloader = new Reloader(() -> {
                if (stop.get()) {
                    return;
                }
                long t0 = System.nanoTime();
                try {
                    http.send(pageRequest, HttpResponse.BodyHandlers.discarding());
                } catch (IOException e) {
                    return; // the round is over
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                slowest.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                pages.increment();
            }, reloads);
            String[] type = {""};
            try (Stream<String> lines = stream.body()) { // closed: the host sees the page go
                lines.forEach(l -> {
                    if (stop.get()) {
                        throw new UncheckedIOException(new IOException("stopped"));
                    }
                    if (l.startsWith("event: ")) {
                        type[0] = l.substring(7);
                        return;
                    }
                    if (!l.startsWith("data: ") || type[0].equals("progress")) {
                        return;
                    }
                    events.increment();
                    boolean reset = type[0].equals("reset");
                    if ((reset || ownJob == null || l.contains("\"job\":\"" + ownJob + "\"")) && !streamsOnly) {
                        reloader.changed(reset);
                    }
                });
            }
        } catch (IOException | UncheckedIOException e) {
            // the run is over, or the host cut the stream: this dashboard stops
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * When a page reloads, as app.js decides it: on a change, at most every 2 s, every 15 s for 30 s after a reset,
     * each gap longer by a random part of up to half of it, drawn anew after each reload; a change within the gap
     * reloads the page when the gap is over.
     */
    private static final class Reloader {
        private final Runnable reload;
        private final ScheduledExecutorService timer;
        private final Random random = new Random();
        private double jitter = random.nextDouble();
        private long lastRun = Long.MIN_VALUE / 2;
        private long busyUntil = Long.MIN_VALUE / 2;
        private boolean scheduled;

        Reloader(Runnable reload, ScheduledExecutorService timer) {
            this.reload = reload;
            this.timer = timer;
        }

        synchronized void changed(boolean reset) {
            long now = System.nanoTime();
            if (reset) {
                busyUntil = now + TimeUnit.SECONDS.toNanos(30);
            }
            if (scheduled) {
                return;
            }
            long gap = (long) ((now - busyUntil < 0 ? 15_000_000_000L : 2_000_000_000L) * (1 + jitter / 2));
            scheduled = true;
            timer.schedule(this::run, Math.max(0, lastRun + gap - now), TimeUnit.NANOSECONDS);
        }

        private void run() {
            synchronized (this) {
                scheduled = false;
                lastRun = System.nanoTime();
                jitter = random.nextDouble();
            }
            reload.run();
        }
    }
}
