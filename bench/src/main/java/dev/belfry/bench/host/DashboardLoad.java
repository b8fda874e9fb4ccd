package dev.belfry.bench.host;

import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.admin.AdminModule;
import dev.belfry.host.internal.BackgroundPriority;
import dev.belfry.host.internal.admin.AdminServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * Fire lag of a host at a steady fire rate without and then with open dashboards. Each dashboard behaves as the
 * page's script (app.js) does: it holds an event stream open and, when events arrive, fetches its page again, at
 * most every 2 s, every 15 s while the host is busy (a third of them on the overview, a third on the jobs list, a
 * third on one job's page, which refreshes only for its own job).
 *
 * <p>Run: {@code java -XX:+UseZGC -Xms2g -Xmx2g -DBELFRY_LOG_LEVEL=WARN -cp bench/target/benchmarks.jar
 * dev.belfry.bench.host.DashboardLoad JOBS PERIOD_SECONDS MEASURE_SECONDS DASHBOARDS [streams-only]} (defaults
 * 10000 10 30 20: 1,000 fires/s; {@code streams-only}: the pages hold their event streams but never reload).
 */
public final class DashboardLoad {
    private DashboardLoad() {
    }

    public static void main(String[] args) throws Exception {
        int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Duration period = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 10);
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int dashboards = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        boolean streamsOnly = args.length > 4 && args[4].equals("streams-only");
        System.out.println(Machine.describe());
        System.out.printf(Locale.ROOT, "%,d jobs every %s: %,d fires/s; %d s per phase; %d dashboards%n", jobs,
                period, jobs / period.toSeconds(), seconds, dashboards);
        Clock clock = Clock.systemUTC();
        LagRecorder lag = new LagRecorder();
        Path data = Files.createTempDirectory("belfry-bench-dashboard-data-");
        Path plugins = Files.createTempDirectory("belfry-bench-dashboard-plugins-");
        try (Host host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO).build())) {
            host.register(BelfryRig.PLUGIN, BelfryRig.periodicPluginObjects(jobs, period, context ->
                    lag.record(Duration.between(context.scheduledFor(), clock.instant()).toNanos())));
            Thread.sleep(Duration.ofSeconds(Math.max(10, period.toSeconds() * 2)).toMillis()); // warm-up
            lag.interval();
            Thread.sleep(seconds * 1000L);
            LagRecorder.Snapshot alone = lag.interval();

            URI base = URI.create(Files.readString(data.resolve(AdminServer.URL_FILE)).strip());
            String token = Files.readString(data.resolve(AdminServer.TOKEN_FILE)).strip();
            LongAdder pages = new LongAdder();
            LongAdder events = new LongAdder();
            AtomicLong slowest = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < dashboards; i++) {
                String page = switch (i % 3) {
                    case 0 -> "/ui/";
                    case 1 -> "/ui/jobs";
                    default -> "/ui/jobs/" + BelfryRig.name(i);
                };
                Thread t = new Thread(() -> dashboard(base, token, page, streamsOnly, pages, events, slowest),
                        "dashboard-" + i);
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
            Thread.sleep(5_000);
            lag.interval();
            Thread.sleep(seconds * 1000L);
            LagRecorder.Snapshot open = lag.interval();
            threads.forEach(Thread::interrupt);

            print("no dashboard", alone);
            print(dashboards + " dashboards", open);
            System.out.printf(Locale.ROOT, "dashboards: %,d page loads, %,d events received, slowest page %d ms%n",
                    pages.sum(), events.sum(), slowest.get());
        }
    }

    private static void print(String name, LagRecorder.Snapshot lag) {
        System.out.printf(Locale.ROOT, "%-16s fires %,9d  p50 %8s  p99 %8s  p99.9 %8s  max %8s ms%n", name,
                lag.count(), FireLag.ms(lag.percentile(50)), FireLag.ms(lag.percentile(99)),
                FireLag.ms(lag.percentile(99.9)), FireLag.ms(lag.max()));
    }

    /** One open page: logs in, holds the event stream, refreshes the page at most once a second on events. */
    private static void dashboard(URI base, String token, String page, boolean streamsOnly, LongAdder pages,
                                  LongAdder events, AtomicLong slowest) {
        // The browsers are other processes (usually on another machine): their work here must not be the host's. The
        // client's own threads, made after this, inherit the lowered priority.
        BackgroundPriority.lowerCurrentThread();
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
            // As app.js: at most one refresh every 2 s, every 15 s for 30 s after a reset, a job's page only for
            // changes of its own job.
            String ownJob = page.startsWith("/ui/jobs/") ? page.substring("/ui/jobs/".length()) : null;
            Instant[] last = {Instant.EPOCH};
            Instant[] busyUntil = {Instant.EPOCH};
            String[] type = {""};
            stream.body().forEach(l -> {
                if (Thread.currentThread().isInterrupted()) {
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
                long gap = now.isBefore(busyUntil[0]) ? 15_000 : 2000;
                if (!streamsOnly && Duration.between(last[0], now).toMillis() >= gap) {
                    last[0] = now;
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
        } catch (IOException | UncheckedIOException e) {
            // the run is over, or the host cut the stream: this dashboard stops
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
