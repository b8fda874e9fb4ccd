package dev.belfry.bench.host;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.engine.EngineSettings;
import dev.belfry.host.internal.engine.FireClaim;
import dev.belfry.host.internal.engine.RunExecutor;
import dev.belfry.host.internal.engine.StateSink;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.plugins.ScheduleValidator;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.host.internal.state.StateLoader;
import dev.belfry.sidecar.SidecarFileOps;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/** Builds Belfry engines and jobs the way the host does, minus the plugin loading. */
final class BelfryRig {
    /** The plugin id every benchmark job is registered under. */
    static final String PLUGIN = "bench";
    /** Worker threads for both schedulers: Belfry's maxConcurrentRuns and Quartz's threadCount. */
    static final int WORKERS = 8;
    /** The host's worker pool for that cap: the cap and as many threads again for runs given up after a timeout. */
    static final int THREADS = RunExecutor.threadLimitFor(WORKERS);

    private BelfryRig() {
    }

    /** The host's default settings apart from the worker cap, which both schedulers share. */
    static EngineSettings settings() {
        return new EngineSettings(WORKERS, Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofDays(30));
    }

    /** @return a worker pool as the host makes it, of {@link #THREADS} threads */
    /** The host's state store over {@code dir} (the journal, with the sidecar as checkpoint), started. */
    static JournalStore journalStore(Path dir, Clock clock) {
        JournalStore store = StateLoader.load(dir, SidecarFileOps.nio(), clock, Duration.ofMillis(50),
                JournalStore.Limits.DEFAULT, false).store();
        store.start();
        return store;
    }

    static ExecutorService workers() {
        return RunExecutor.workerThreads(THREADS, RunExecutor.namedThreads());
    }

    static Engine engine(Clock clock, StateSink sink, ExecutorService workers, EngineListener listener) {
        SplittableRandom random = new SplittableRandom(42); // only read under the engine's lock
        return new Engine(clock, sink, FireClaim.ALWAYS, RunExecutor.pooled(workers, THREADS), settings(), random::nextDouble,
                ScheduleValidator.compiling(), listener);
    }

    static QName name(int i) {
        return new QName(PLUGIN, "job-" + i);
    }

    /**
     * {@code n} fixed-rate jobs with period {@code period}, their first fires spread evenly over one period, so
     * together they fire {@code n / period} times per second.
     */
    static List<PluginJob> periodicJobs(int n, Duration period, Consumer<JobContext> body) {
        return asRegistered(periodicPluginObjects(n, period, body));
    }

    /**
     * What a plugin itself creates for {@link #periodicJobs}: one job instance per job, each holding its spec (name,
     * schedule, policies). These objects exist whatever runs them.
     */
    static List<BackgroundJob> periodicPluginObjects(int n, Duration period, Consumer<JobContext> body) {
        long spacing = period.toNanos() / n;
        List<BackgroundJob> jobs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Schedule schedule = Schedule.every(period, PeriodicMode.FIXED_RATE, Duration.ofNanos(i * spacing));
            JobSpec spec = JobSpec.builder(name(i).name(), schedule).build();
            jobs.add(new Probe(spec, body));
        }
        return jobs;
    }

    /** The plugin's jobs as the host's plugin supervisor hands them to the engine. */
    static List<PluginJob> asRegistered(List<BackgroundJob> pluginObjects) {
        List<PluginJob> jobs = new ArrayList<>(pluginObjects.size());
        for (BackgroundJob job : pluginObjects) {
            jobs.add(new PluginJob(new QName(PLUGIN, job.spec().name()), job.spec(), job));
        }
        return jobs;
    }

    /**
     * {@code n} one-shot jobs all due at {@code at}. A one-shot job asks for a durable start by default (its start
     * is committed to the sidecar before its code runs); {@code durableStart} false turns that off.
     */
    static List<PluginJob> onceJobs(int n, Instant at, boolean durableStart, Consumer<JobContext> body) {
        List<PluginJob> jobs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            QName qname = name(i);
            JobSpec spec = JobSpec.builder(qname.name(), Schedule.once(at)).durableStart(durableStart).build();
            jobs.add(new PluginJob(qname, spec, new Probe(spec, body)));
        }
        return jobs;
    }

    /** The sidecar records a host would find for {@link #periodicJobs} before their plugin is back. */
    static List<JobRecord> pendingRecords(List<PluginJob> jobs) {
        List<JobRecord> records = new ArrayList<>(jobs.size());
        for (PluginJob job : jobs) {
            records.add(JobRecord.pending(job.qname(), PLUGIN, job.spec().schedule()));
        }
        return records;
    }

    /** A plugin job whose run only calls the benchmark's probe; one instance per job, as plugins have. */
    private static final class Probe implements BackgroundJob {
        private final JobSpec spec;
        private final Consumer<JobContext> body;

        Probe(JobSpec spec, Consumer<JobContext> body) {
            this.spec = spec;
            this.body = body;
        }

        @Override
        public JobSpec spec() {
            return spec;
        }

        @Override
        public void run(JobContext context) {
            body.accept(context);
        }
    }

    /**
     * Keeps the latest record of every job in memory and nothing else: the engine's own cost, without the sidecar
     * writer. Only the engine calls it, under its lock.
     */
    static final class MemorySink implements StateSink {
        private final Map<QName, JobRecord> state = new HashMap<>();
        private long ticket;

        @Override
        public synchronized long put(JobRecord record) {
            state.put(record.qname(), record);
            return ++ticket;
        }

        @Override
        public synchronized long remove(QName qname) {
            state.remove(qname);
            return ++ticket;
        }

        @Override
        public CompletableFuture<Void> durable(long ticket) {
            return CompletableFuture.completedFuture(null);
        }

        synchronized long puts() {
            return ticket;
        }
    }
}
