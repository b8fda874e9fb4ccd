package dev.belfry.bench.host;

import dev.belfry.api.QName;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.JobsAtAGlance;
import dev.belfry.host.internal.admin.AdminBackend;
import dev.belfry.host.internal.admin.ui.Dashboard;
import dev.belfry.host.internal.admin.ui.EventHub;
import dev.belfry.host.internal.admin.ui.MinuteCounts;
import dev.belfry.host.internal.admin.ui.UiRequest;
import dev.belfry.host.internal.admin.ui.UiResponse;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import dev.belfry.host.internal.state.JournalStore;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The dashboard's jobs page over an engine holding 100,000 jobs: the whole server side of one request (the
 * engine's snapshot of every job, filter, sort, one page of HTML), without the socket. Each query is one way an
 * operator reads the list.
 *
 * <p>Run: {@code java -Xms2g -Xmx2g -DBELFRY_LOG_LEVEL=WARN -jar bench/target/benchmarks.jar DashboardJobsPage
 * -f 1 -wi 3 -w 2 -i 5 -r 2}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DashboardJobsPageBenchmark {
    @Param("100000")
    public int jobs;

    /** The page's query string. */
    @Param({"", "sort=next&dir=desc", "q=job-4242", "status=scheduled&page=1000", "sort=failures&size=500"})
    public String query;

    private Path dir;
    private ExecutorService workers;
    private JournalStore store;
    private Engine engine;
    private EventHub events;
    private Dashboard dashboard;
    private String cookie;
    private static final URI ORIGIN = URI.create("http://127.0.0.1:7688");

    @Setup(Level.Trial)
    public void start() throws Exception {
        Clock clock = Clock.systemUTC();
        dir = Files.createTempDirectory("belfry-bench-dashboard-");
        workers = BelfryRig.workers();
        store = BelfryRig.journalStore(dir, clock);
        engine = BelfryRig.engine(clock, store, workers, EngineListener.NONE);
        engine.attach(BelfryRig.PLUGIN, BelfryRig.periodicJobs(jobs, Duration.ofHours(24), c -> { }));
        events = new EventHub();
        dashboard = new Dashboard(new EngineBackend(engine), clock, new MinuteCounts(), events, "viewer");
        String json = new String(dashboard.handle(request("POST", "/ui/codes", true, Map.of())).body(),
                StandardCharsets.UTF_8);
        String login = json.replaceAll(".*\"url\":\"[^\"]*(/ui/login[^\"]+)\".*", "$1");
        String setCookie = dashboard.handle(request("GET", login, false, Map.of())).headers().get("Set-Cookie");
        cookie = setCookie.substring(0, setCookie.indexOf(';'));
        UiResponse check = dashboard.handle(request("GET", "/ui/jobs?" + query, false, Map.of("cookie", cookie)));
        if (check.status() != 200) {
            throw new IllegalStateException("the jobs page answered " + check.status());
        }
        System.out.println();
        System.out.println(Machine.describe());
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        dashboard.close();
        engine.shutdown(Duration.ZERO);
        store.close(Duration.ofSeconds(10));
        workers.shutdownNow();
    }

    private static UiRequest request(String method, String path, boolean admin, Map<String, String> headers) {
        return new UiRequest(method, URI.create(path), headers, new byte[0], admin, ORIGIN);
    }

    /** The part of {@link #jobsPage} that is the host's: the engine's snapshot of every job, sorted by name. */
    @Benchmark
    public List<JobSnapshot> engineSnapshot() {
        return engine.jobs();
    }

    @Benchmark
    public byte[] jobsPage() {
        return dashboard.handle(request("GET", "/ui/jobs?" + query, false, Map.of("cookie", cookie))).body();
    }

    /** The one part of the host the jobs page reads: the engine's jobs. */
    private record EngineBackend(Engine engine) implements AdminBackend {
        @Override
        public List<JobSnapshot> jobs() {
            return engine.jobs();
        }

        @Override
        public Optional<JobSnapshot> job(QName qname) {
            return engine.job(qname);
        }

        @Override
        public JobsAtAGlance atAGlance(Instant horizon, int max) {
            return new JobsAtAGlance(engine.jobsByStatus(), engine.upcomingFires(horizon, max));
        }

        @Override
        public Optional<List<QName>> names() {
            return Optional.of(engine.names());
        }

        @Override
        public List<JobSnapshot> jobs(List<QName> qnames) {
            return engine.jobs(qnames);
        }

        @Override
        public List<RunResult> runs(QName qname) {
            return List.of();
        }

        @Override
        public TriggerOutcome trigger(QName qname) {
            throw new UnsupportedOperationException("not measured");
        }

        @Override
        public void pause(QName qname) {
            throw new UnsupportedOperationException("not measured");
        }

        @Override
        public void resume(QName qname) {
            throw new UnsupportedOperationException("not measured");
        }

        @Override
        public void cancel(QName qname) {
            throw new UnsupportedOperationException("not measured");
        }

        @Override
        public List<Map<String, Object>> plugins() {
            return List.of();
        }

        @Override
        public PluginSupervisor.ReloadOutcome reload(String pluginId) {
            throw new UnsupportedOperationException("not measured");
        }

        @Override
        public Map<String, Object> health() {
            return Map.of();
        }

        @Override
        public List<String> notReady() {
            return List.of();
        }

        @Override
        public String metrics() {
            return "";
        }
    }
}
