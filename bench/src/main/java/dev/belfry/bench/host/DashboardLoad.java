package dev.belfry.bench.host;

import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.admin.AdminModule;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * Fire lag of a host at a steady fire rate without and with open dashboards, in rounds that take turns (each round
 * measures without, then opens the dashboards, measures, and closes them), after the engine and the dashboards
 * have warmed up. Each dashboard behaves as the
 * page's script (app.js) does: it holds an event stream open and, when events arrive, fetches its page again, at
 * most every 2 s, every 15 s while the host is busy (a third of them on the overview, a third on the jobs list, a
 * third on one job's page, which refreshes only for its own job).
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
            // Phases take turns, so that a drift of the machine (other tenants, the JIT) weighs on both alike.
            HostCost costAlone = new HostCost(0, 0);
            HostCost costOpen = new HostCost(0, 0);
            for (int round = 1; round <= rounds; round++) {
                lag.interval();
                HostCost before = HostCost.now();
                Thread.sleep(seconds * 1000L);
                LagRecorder.Snapshot quiet = lag.interval();
                costAlone = costAlone.plus(HostCost.now().minus(before));
                toBrowsers.println("open");
                Thread.sleep(5_000); // logged in, first pages drawn
                lag.interval();
                before = HostCost.now();
                Thread.sleep(seconds * 1000L);
                LagRecorder.Snapshot busy = lag.interval();
                costOpen = costOpen.plus(HostCost.now().minus(before));
                toBrowsers.println("close");
                totals.add(fromBrowsers.readLine());
                Thread.sleep(5_000); // streams closed
                print("round " + round + " no dashboard", quiet);
                print("round " + round + " " + dashboards + " dashboards", busy);
                alone = alone == null ? quiet : alone.plus(quiet);
                open = open == null ? busy : open.plus(busy);
            }
            toBrowsers.close();
            if (!browsers.waitFor(30, TimeUnit.SECONDS)) {
                browsers.destroyForcibly();
            }
            print("all no dashboard", alone);
            print("all " + dashboards + " dashboards", open);
            System.out.printf(Locale.ROOT, "host CPU without dashboards %.1f%% of a core, %d GC cycles; with %.1f%%,"
                    + " %d GC cycles%n", costAlone.cpuPercent(rounds * seconds), costAlone.gcCycles(),
                    costOpen.cpuPercent(rounds * seconds), costOpen.gcCycles());
            System.out.println("dashboards per round: " + String.join("; ", totals));
        }
    }

    /** The host process's CPU time and garbage collection cycles (the browsers are another process). */
    private record HostCost(long cpuNanos, long gcCycles) {
        static HostCost now() {
            long cycles = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (!gc.getName().contains("Pauses")) { // ZGC reports its cycles and its pauses apart
                    cycles += gc.getCollectionCount();
                }
            }
            return new HostCost(((com.sun.management.OperatingSystemMXBean)
                    ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime(), cycles);
        }

        HostCost minus(HostCost earlier) {
            return new HostCost(cpuNanos - earlier.cpuNanos, gcCycles - earlier.gcCycles);
        }

        HostCost plus(HostCost other) {
            return new HostCost(cpuNanos + other.cpuNanos, gcCycles + other.gcCycles);
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
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < dashboards; i++) {
            String page = switch (i % 3) {
                case 0 -> "/ui/";
                case 1 -> "/ui/jobs";
                default -> "/ui/jobs/" + BelfryRig.name(i);
            };
            Thread t = new Thread(() -> dashboard(base, token, page, streamsOnly, stop, pages, events, slowest),
                    "dashboard-" + i);
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
        System.out.printf(Locale.ROOT, "%,d page loads, %,d events, slowest page %d ms%n", pages.sum(),
                events.sum(), slowest.get());
        System.out.flush();
    }

    private static void print(String name, LagRecorder.Snapshot lag) {
        System.out.printf(Locale.ROOT, "%-28s fires %,9d  p50 %8s  p99 %8s  p99.9 %8s  max %8s ms%n", name,
                lag.count(), FireLag.ms(lag.percentile(50)), FireLag.ms(lag.percentile(99)),
                FireLag.ms(lag.percentile(99.9)), FireLag.ms(lag.max()));
    }

    /** One open page: logs in, holds the event stream, refreshes the page on events as app.js does. */
    private static void dashboard(URI base, String token, String page, boolean streamsOnly, AtomicBoolean stop,
                                  LongAdder pages, LongAdder events, AtomicLong slowest) {
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
            // As app.js: at most one refresh every 2 s, every 15 s for 30 s after a reset, each gap longer by a
            // random part of up to half of it, a job's page only for changes of its own job.
            String ownJob = page.startsWith("/ui/jobs/") ? page.substring("/ui/jobs/".length()) : null;
            Instant[] last = {Instant.EPOCH};
            Instant[] busyUntil = {Instant.EPOCH};
            String[] type = {""};
            Random random = new Random();
            double[] jitter = {random.nextDouble()};
            try (Stream<String> lines = stream.body()) { // closed: the host sees the page go
                lines.forEach(l -> {
                    if (stop.get()) {
                        throw new UncheckedIOException(new IOException("stopped"));
                    }
                    if (l.startsWith("event: ")) {
                        type[0] = l.substring(7);
                        return;
                    }
                    if (!l.startsWith("data: ")) {
                        return;
                    }
                    events.increment();
                    Instant now = Instant.now();
                    if (type[0].equals("reset")) {
                        busyUntil[0] = now.plusSeconds(30);
                    } else if (ownJob != null && !l.contains("\"job\":\"" + ownJob + "\"")) {
                        return;
                    }
                    long gap = (long) ((now.isBefore(busyUntil[0]) ? 15_000 : 2000) * (1 + jitter[0] / 2));
                    if (!streamsOnly && Duration.between(last[0], now).toMillis() >= gap) {
                        last[0] = now;
                        jitter[0] = random.nextDouble();
                        long t0 = System.nanoTime();
                        try {
                            http.send(pageRequest, HttpResponse.BodyHandlers.discarding());
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new UncheckedIOException(new IOException("interrupted"));
                        }
                        slowest.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                        pages.increment();
                    }
                });
            }
        } catch (IOException | UncheckedIOException e) {
            // the run is over, or the host cut the stream: this dashboard stops
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
