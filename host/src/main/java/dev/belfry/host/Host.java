package dev.belfry.host;

import dev.belfry.api.QName;
import dev.belfry.host.internal.BuildVersion;
import dev.belfry.host.internal.admin.AdminApi;
import dev.belfry.host.internal.admin.AdminBackend;
import dev.belfry.host.internal.admin.AdminServer;
import dev.belfry.host.internal.admin.HostMetrics;
import dev.belfry.host.internal.admin.Metrics;
import dev.belfry.host.internal.admin.RunHistory;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.engine.EngineSettings;
import dev.belfry.host.internal.engine.FireClaim;
import dev.belfry.host.internal.engine.RunExecutor;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.graph.GraphEndpoint;
import dev.belfry.host.internal.graph.GraphMirror;
import dev.belfry.host.internal.graph.GraphRuntime;
import dev.belfry.host.internal.graph.MirrorStatus;
import dev.belfry.host.internal.graph.MirroringSink;
import dev.belfry.host.internal.graph.Neo4jMirror;
import dev.belfry.host.internal.graph.PluginNode;
import dev.belfry.host.internal.state.HostId;
import dev.belfry.host.internal.state.IoErrors;
import dev.belfry.host.internal.plugins.ExitGuard;
import dev.belfry.host.internal.plugins.LoadedPlugin;
import dev.belfry.host.internal.plugins.PluginListener;
import dev.belfry.host.internal.plugins.PluginProblem;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import dev.belfry.host.internal.plugins.PluginTrust;
import dev.belfry.host.internal.plugins.ScheduleValidator;
import dev.belfry.host.internal.state.DataDirLock;
import dev.belfry.host.internal.state.StateWriter;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.LoadResult;
import dev.belfry.sidecar.SidecarFormatException;
import dev.belfry.sidecar.SidecarStore;
import dev.belfry.sidecar.SidecarUnusableException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Belfry host: it holds the data directory, loads the plugins folder, fires the plugins' jobs and
 * persists their state. The only public entry point; everything else is internal.
 *
 * <pre>{@code
 * try (Host host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).build())) {
 *     host.trigger(QName.parse("hello-jobs.say-hello"));
 * }
 * }</pre>
 */
public final class Host implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Host.class);
    /**
     * This build's version, such as {@code 0.1.0-SNAPSHOT}: what the start line, {@code belfry status} and
     * {@code belfry --version} show.
     */
    public static final String BUILD_VERSION = BuildVersion.read();
    /** The version plugins' {@code Plugin-Requires} is checked against: the build version without a pre-release tag. */
    public static final String VERSION = BuildVersion.release(BUILD_VERSION);
    private static final int PROBLEMS_KEPT = 200;
    private static final int RUNS_KEPT_PER_JOB = 20;

    private final HostConfig config;
    private final DataDirLock lock;
    private final StateWriter writer;
    private final Engine engine;
    private final ExecutorService workers;
    private final PluginSupervisor plugins;
    /**
     * The current plugin problems, oldest first; guarded by itself. Each belongs to its file: a new verdict on a file
     * replaces the file's old ones, and they go when the file goes or loads (see Wiring).
     */
    private final Deque<PluginProblem> problems = new ArrayDeque<>();
    /** Files of plugins from the moment they load until they stop; guarded by {@link #problems}. */
    private final Map<String, Path> loadedFiles = new HashMap<>();
    private final Metrics metrics = new Metrics();
    private final RunHistory history = new RunHistory(RUNS_KEPT_PER_JOB, metrics);
    private AdminServer admin;
    /** Started by begin() once nothing can refuse the start any more; null until then and with the graph off. */
    private volatile GraphRuntime graph;
    private final GraphMirror mirror;
    /** Plugins as the graph shows them: running ones, and ones that went away while their jobs remain. */
    private final Map<String, PluginNode> pluginNodes = new TreeMap<>();
    private final HostMetrics jmx;
    /** Refuses System.exit from plugin code while the host runs (see ExitGuard for where that is possible). */
    private ExitGuard exitGuard;
    private volatile boolean closing;
    /** Changes the final state write could not put on disk; set by {@link #close()}. */
    private volatile long unsavedAtClose;
    private boolean closed;

    private Host(HostConfig config, DataDirLock lock, SidecarStore store, LoadResult loaded, String hostId) {
        this.config = config;
        this.lock = lock;
        this.writer = new StateWriter(store, config.clock(), config.commitInterval(), loaded.document());
        if (config.graph().mode() == GraphConfig.Mode.OFF) {
            this.mirror = GraphMirror.off();
        } else {
            this.mirror = new Neo4jMirror(this::graphEndpoint, writer::snapshot, hostId, config.clock().instant(),
                    config.graph().runsPerJob(), config.clock());
        }
        int threads = RunExecutor.threadLimitFor(config.maxConcurrentRuns());
        this.workers = RunExecutor.workerThreads(threads, RunExecutor.namedThreads());
        EngineSettings settings = new EngineSettings(config.maxConcurrentRuns(), config.misfireThreshold(),
                Duration.ofSeconds(10), config.orphanRetention());
        EngineListener runs = new EngineListener() {
            @Override
            public void runFinished(RunResult result) {
                history.runFinished(result);
                mirror.runFinished(result);
            }
        };
        this.engine = new Engine(config.clock(), new MirroringSink(writer, mirror), FireClaim.ALWAYS,
                RunExecutor.pooled(workers, threads), settings, () -> ThreadLocalRandom.current().nextDouble(),
                ScheduleValidator.compiling(), runs);
        this.plugins = new PluginSupervisor(config.pluginsDir(), VERSION, new Wiring(),
                ScheduleValidator.compiling(), config.requireTrustedPlugins()
                        ? PluginTrust.required(config.dataDir()) : PluginTrust.off());
        this.jmx = new HostMetrics(this::jobsByStatus, engine::stats, metrics, writer::health, this::graphGauges);
    }

    /**
     * Starts a host: locks the data directory, loads the state (recovering from a corrupt sidecar where it can) and
     * writes it back, opens the admin API, then loads the plugins and starts firing. Everything that can refuse the
     * start (state unusable or unwritable, admin port taken, ...) is checked before the first job fires, and a
     * refused start stops whatever it had started before releasing the data directory.
     *
     * @param config how to run
     * @return the running host
     * @throws HostStartException with a one-line reason if it cannot start (directory in use, state unusable or not
     *                            writable, admin port taken, ...)
     */
    public static Host start(HostConfig config) {
        DataDirLock lock;
        try {
            lock = DataDirLock.acquire(config.dataDir());
        } catch (IOException e) {
            throw new HostStartException("cannot use data directory " + config.dataDir() + ": " + IoErrors.describe(e),
                    e);
        } catch (IllegalStateException e) {
            throw new HostStartException(e.getMessage(), e);
        }
        ExitGuard guard = ExitGuard.acquire(); // before any plugin code runs, Plugin.start included
        Host host = null;
        try {
            SidecarStore store = new SidecarStore(config.dataDir(), config.clock(), config.sidecarFileOps());
            LoadResult loaded = loadState(config, store);
            String hostId = HostId.of(config.dataDir());
            saveState(config, store, loaded);
            host = new Host(config, lock, store, loaded, hostId);
            host.exitGuard = guard;
            host.begin(loaded);
            return host;
        } catch (IOException e) {
            throw refused(host, guard, lock, new HostStartException("cannot use data directory " + config.dataDir()
                    + ": " + IoErrors.describe(e), e));
        } catch (RuntimeException | Error e) {
            throw refused(host, guard, lock, e instanceof HostStartException h ? h
                    : new HostStartException("host failed to start: " + e, e));
        }
    }

    // A refused start leaves nothing running: the parts of the host that started are stopped (the lock last).
    private static HostStartException refused(Host host, ExitGuard guard, DataDirLock lock, HostStartException why) {
        if (host != null) {
            try {
                log.info("Belfry did not start; stopping what had started");
                host.stop(host.config.shutdownGrace());
            } catch (RuntimeException | Error e) {
                why.addSuppressed(e);
            } finally {
                guard.close();
                closeQuietly(lock);
            }
        } else {
            guard.close();
            closeQuietly(lock);
        }
        return why;
    }

    // Writing the loaded state back proves that the state can be written now, before any job fires: a full disk or
    // a read-only data directory refuses the start here instead of after the first runs have moved checkpoints.
    private static void saveState(HostConfig config, SidecarStore store, LoadResult loaded) {
        try {
            store.write(loaded.document().withJobs(loaded.document().jobs(), config.clock().instant()));
        } catch (IOException e) {
            throw new HostStartException("the job state cannot be written, so the host does not start: "
                    + e.getMessage(), e);
        }
    }

    private static LoadResult loadState(HostConfig config, SidecarStore store) {
        try {
            LoadResult result = store.loadOrReset(config.resetState());
            for (LoadResult.Quarantined q : result.quarantined()) {
                log.error("state file {} was unusable and moved to {}: {}", q.original(), q.movedTo(),
                        q.error().map(SidecarFormatException::getMessage).orElse("reset requested"));
            }
            if (result.recovered()) {
                Object from = switch (result.source()) {
                    case MAIN -> store.file();
                    case BACKUP -> store.backupFile();
                    case NONE -> "nothing (no usable state file; starting empty)";
                };
                log.warn("state restored from {} ({} jobs)", from, result.document().jobs().size());
            }
            return result;
        } catch (SidecarUnusableException e) {
            throw new HostStartException(e.getMessage(), e);
        } catch (IOException e) {
            throw new HostStartException("cannot read state in " + config.dataDir() + ": " + IoErrors.describe(e), e);
        }
    }

    private void begin(LoadResult loaded) {
        log.info("Belfry {} starting: data {}, plugins {}, {} job(s) in the sidecar", BUILD_VERSION, config.dataDir(),
                config.pluginsDir(), loaded.document().jobs().size());
        writer.start();
        engine.restore(loaded.document().jobs());
        if (!Files.isDirectory(config.pluginsDir())) {
            log.warn("plugins folder {} does not exist (yet); no plugin is loaded until it does",
                    config.pluginsDir());
        }
        // What can still refuse the start comes before the first fire: a refusal after jobs ran would have let them
        // move checkpoints and send mail for a host that then exits.
        jmx.register(config.dataDir().toAbsolutePath().toString());
        if (config.adminPort() == HostConfig.ADMIN_OFF) {
            AdminServer.removeStaleFiles(config.dataDir());
        } else {
            try {
                admin = AdminServer.start(config.dataDir(), config.adminPort(), new AdminApi(new Backend()));
            } catch (AdminServer.FileNotWritten e) {
                throw new HostStartException("admin API cannot start: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new HostStartException("admin API cannot listen on 127.0.0.1:" + config.adminPort() + ": "
                        + e.getMessage() + " (choose another --admin-port, 0 for any free port, or off)", e);
            }
        }
        if (mirror instanceof Neo4jMirror neo4j) {
            // After the checks above: a refused start then never has an embedded Neo4j to wait for and stop.
            graph = GraphRuntime.start(config.graph(), config.dataDir());
            neo4j.start();
        }
        // The timer runs during the scan: a plugin's jobs fire as soon as it is attached, not once every plugin has
        // started (a slow Plugin.start would hold up every other plugin's fires).
        engine.start();
        plugins.scan();
        engine.orphanJobsOfMissingPlugins(new HashSet<>(plugins.pluginIds()));
        if (!config.pluginScanInterval().isZero()) {
            plugins.watch(config.pluginScanInterval());
        }
        log.info("Belfry started: {} plugin(s), {} job(s)", plugins.pluginIds().size(), engine.jobs().size());
    }

    /** @return the configuration the host runs with */
    public HostConfig config() {
        return config;
    }

    /** @return every job, by name */
    public List<JobSnapshot> jobs() {
        return engine.jobs();
    }

    /**
     * @param qname a job's name
     * @return the job, if it exists
     */
    public Optional<JobSnapshot> job(QName qname) {
        return engine.job(qname);
    }

    /**
     * Fires a job now, whatever its schedule, through its overlap policy.
     *
     * @param qname the job
     * @return what happened
     * @throws JobOperationException if there is no such job or it cannot run
     */
    public TriggerOutcome trigger(QName qname) {
        return engine.trigger(qname);
    }

    /**
     * @param qname the job to stop firing until resumed
     * @throws JobOperationException if there is no such job
     */
    public void pause(QName qname) {
        engine.pause(qname);
    }

    /**
     * @param qname the job to let fire again (its missed fires go through its misfire policy)
     * @throws JobOperationException if there is no such job
     */
    public void resume(QName qname) {
        engine.resume(qname);
    }

    /**
     * Cancels a job: a dynamic job is removed, a declared job is disabled until resumed.
     *
     * @param qname the job
     * @throws JobOperationException if there is no such job
     */
    public void cancel(QName qname) {
        engine.cancel(qname);
    }

    /** @return the ids of the running plugins, in start order */
    public List<String> plugins() {
        return plugins.pluginIds();
    }

    /**
     * @return the plugin problems that still hold (refused plugins and jobs), oldest first: those of a file that was
     *         removed since, or that has loaded since, are gone
     */
    public List<PluginProblem> pluginProblems() {
        synchronized (problems) {
            problems.removeIf(p -> !Files.exists(p.file()));
            return List.copyOf(problems);
        }
    }

    /** Checks the plugins folder now, instead of waiting for the next scan. */
    public void rescanPlugins() {
        plugins.scan();
    }

    /**
     * @return completes once every state change so far is on disk
     */
    public CompletableFuture<Void> flushState() {
        return writer.flush();
    }

    /**
     * Shuts down gracefully: stops firing, lets running runs finish within the shutdown grace, cancels the rest,
     * stops the plugins in reverse start order, writes the state and releases the data directory. On a failing
     * disk the state is retried once a second for what is left of the grace, then the number of changes that did
     * not reach the disk is logged.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        log.info("Belfry shutting down (grace {})", shortDuration(config.shutdownGrace()));
        stop(config.shutdownGrace());
        if (exitGuard != null) {
            exitGuard.close(); // after the plugins' stop(), which is plugin code too
        }
        closeQuietly(lock);
        log.info("Belfry stopped");
    }

    /** A duration as the settings file writes it ({@code 30s}, {@code 1m}, {@code 500ms}), not ISO-8601. */
    static String shortDuration(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        return s != 0 && s % 3600 == 0 ? s / 3600 + "h" : s != 0 && s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    /**
     * Tells a caller that exits after {@link #close()} whether the state was saved, so that it can exit with a
     * failure status when it was not.
     *
     * @return the number of state changes the final write could not put on disk (logged by {@code close()}); 0 when
     *         everything was written, or before {@code close()}
     */
    public long unsavedChanges() {
        return unsavedAtClose;
    }

    // Everything close() stops but the exit guard and the lock, which a refused start releases itself.
    private synchronized void stop(Duration grace) {
        closed = true;
        closing = true;
        long deadline = System.nanoTime() + grace.toNanos();
        if (admin != null) {
            admin.close();
        }
        jmx.close();
        engine.shutdown(grace);
        plugins.close();
        // The final commit starts now; the mirror and the graph stop while it is written (or, on a failing disk,
        // retried), so the state is on disk as early as it can be and the grace bounds the whole shutdown.
        writer.beginClose();
        mirror.close();
        GraphRuntime g = graph;
        if (g != null) {
            g.close();
        }
        unsavedAtClose = writer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        workers.shutdownNow();
        try {
            workers.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(DataDirLock lock) {
        try {
            lock.close();
        } catch (IOException e) {
            log.warn("releasing the data directory lock failed: {}", e.getMessage());
        }
    }

    /** @return the admin API's URL, if it is on */
    public Optional<URI> adminUrl() {
        return Optional.ofNullable(admin).map(AdminServer::url);
    }

    private Optional<GraphEndpoint> graphEndpoint() {
        GraphRuntime g = graph;
        return g == null ? Optional.empty() : g.endpoint();
    }

    /** The graph mirror's figures for /metrics and JMX; empty when the mirror is off. */
    private Map<String, Double> graphGauges() {
        MirrorStatus m = mirror.status();
        return !m.enabled() ? Map.of() : Map.of(
                "connected", m.connected() ? 1.0 : 0.0,
                "queue_depth", (double) m.queueDepth(),
                "lag_seconds", m.lag().map(d -> d.toNanos() / 1e9).orElse(0.0),
                "rows_written", (double) m.rowsWritten());
    }

    private Map<String, Object> graphHealth() {
        MirrorStatus m = mirror.status();
        Map<String, Object> out = new LinkedHashMap<>();
        boolean starting = m.enabled() && graphEndpoint().isEmpty();
        GraphRuntime g = graph;
        // The embedded server failing to start (its port taken, say) is not "starting": say why it is down.
        Optional<String> startError = g == null || !starting ? Optional.empty() : g.startError();
        Optional<String> lastError = m.lastError().or(() -> startError);
        out.put("state", !m.enabled() ? "off" : m.connected() ? "connected"
                : starting && startError.isEmpty() ? "starting" : "down");
        out.put("enabled", m.enabled());
        out.put("connected", m.connected());
        out.put("queue_depth", m.queueDepth());
        out.put("lag_ms", m.lag().map(Duration::toMillis).orElse(null));
        out.put("last_error", lastError.orElse(null));
        out.put("start_error", startError.orElse(null));
        out.put("last_sync_at", m.lastSyncAt().map(Object::toString).orElse(null));
        out.put("uri", graphEndpoint().map(e -> e.uri().toString()).orElse(null));
        out.put("detail", !m.enabled() ? "off" : graphEndpoint().map(Object::toString)
                .orElse(startError.isPresent() ? "embedded Neo4j not started" : "embedded Neo4j starting (about 30 s)")
                + (lastError.map(e -> ": " + e).orElse("")));
        return out;
    }

    private Map<String, Long> jobsByStatus() {
        Map<String, Long> out = new TreeMap<>();
        engine.jobs().forEach(j -> out.merge(j.record().status().jsonName(), 1L, Long::sum));
        return out;
    }

    /** What the admin API sees of this host. */
    private final class Backend implements AdminBackend {
        @Override
        public List<JobSnapshot> jobs() {
            return engine.jobs();
        }

        @Override
        public Optional<JobSnapshot> job(QName qname) {
            return engine.job(qname);
        }

        @Override
        public List<RunResult> runs(QName qname) {
            return history.of(qname);
        }

        @Override
        public TriggerOutcome trigger(QName qname) {
            return engine.trigger(qname);
        }

        @Override
        public void pause(QName qname) {
            engine.pause(qname);
        }

        @Override
        public void resume(QName qname) {
            engine.resume(qname);
        }

        @Override
        public void cancel(QName qname) {
            engine.cancel(qname);
        }

        @Override
        public List<Map<String, Object>> plugins() {
            List<JobSnapshot> all = engine.jobs();
            return plugins.plugins().stream().map(p -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", p.id());
                m.put("version", p.version());
                m.put("state", "started");
                m.put("file", p.file().getFileName().toString());
                m.put("dependencies", p.dependencies());
                m.put("jobs", all.stream().filter(j -> j.record().pluginId().equals(p.id()))
                        .map(j -> j.record().qname().toString()).toList());
                return m;
            }).toList();
        }

        @Override
        public PluginSupervisor.ReloadOutcome reload(String pluginId) {
            return plugins.reload(pluginId);
        }

        @Override
        public Map<String, Object> health() {
            var stats = engine.stats();
            var writerHealth = writer.health();
            Map<String, Object> engineMap = new LinkedHashMap<>();
            engineMap.put("jobs", stats.jobs());
            engineMap.put("runs_executing", stats.runsExecuting());
            engineMap.put("runs_dispatched", stats.runsDispatched());
            engineMap.put("fires_waiting_for_worker", stats.firesWaitingForWorker());
            engineMap.put("abandoned_runs", stats.abandonedStillRunning());
            Map<String, Object> sidecar = new LinkedHashMap<>();
            sidecar.put("healthy", writerHealth.lastError().isEmpty());
            sidecar.put("commits", writerHealth.commits());
            sidecar.put("failures", writerHealth.failures());
            sidecar.put("pending_changes", writerHealth.pendingChanges());
            sidecar.put("last_commit_at", writerHealth.lastCommitAt().map(Object::toString).orElse(null));
            sidecar.put("last_error", writerHealth.lastError().orElse(null));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("status", writerHealth.lastError().isEmpty() ? "ok" : "degraded");
            out.put("version", BUILD_VERSION);
            out.put("engine", engineMap);
            out.put("sidecar", sidecar);
            out.put("graph", graphHealth());
            out.put("plugins", plugins.pluginIds().size());
            out.put("plugin_problems", pluginProblems().stream().map(Object::toString).toList());
            return out;
        }

        @Override
        public String metrics() {
            Map<JobStatus, Long> byStatus = new EnumMap<>(JobStatus.class);
            jobsByStatus().forEach((status, n) -> byStatus.put(JobStatus.fromJsonName(status), n));
            return Metrics.render(byStatus, engine.stats(), metrics, writer.health(), graphGauges());
        }
    }

    /** Connects the plugin layer to the engine. */
    private final class Wiring implements PluginListener {
        @Override
        public void pluginStarted(LoadedPlugin plugin) {
            engine.attach(plugin.id(), plugin.jobs());
            pluginState(new PluginNode(plugin.id(), plugin.version(), "started", plugin.dependencies()));
        }

        @Override
        public void pluginStopping(String pluginId) {
            synchronized (problems) {
                // Its jobs' problems were this load's; the next load reports its own.
                Path file = loadedFiles.remove(pluginId);
                problems.removeIf(p -> p.file().equals(file));
            }
            if (!closing) { // at shutdown the engine has already stopped every run; jobs keep their state
                engine.detach(pluginId, config.pluginStopGrace());
                // Left out of the list, the plugin shows in the graph as gone and no longer hosted, as
                // docs/graph-model.md says; a replaced or reloaded plugin is back with its next pluginStarted.
                List<PluginNode> all;
                synchronized (pluginNodes) {
                    if (pluginNodes.remove(pluginId) == null) {
                        return;
                    }
                    all = List.copyOf(pluginNodes.values());
                }
                mirror.pluginsChanged(all);
            }
        }

        private void pluginState(PluginNode node) {
            List<PluginNode> all;
            synchronized (pluginNodes) {
                pluginNodes.put(node.id(), node);
                all = List.copyOf(pluginNodes.values());
            }
            mirror.pluginsChanged(all);
        }

        @Override
        public void pluginLoading(Path file, String pluginId) {
            synchronized (problems) {
                // It loads now: why it was refused or kept waiting before no longer holds.
                problems.removeIf(p -> p.file().equals(file));
                loadedFiles.put(pluginId, file);
            }
        }

        @Override
        public void problem(PluginProblem problem) {
            synchronized (problems) {
                if (!loadedFiles.containsValue(problem.file())) {
                    // A new verdict on a file that is not loaded (refused again, or waiting for another reason)
                    // replaces the old one; problems of a loading plugin's jobs are all kept.
                    problems.removeIf(p -> p.file().equals(problem.file()));
                }
                if (problems.size() == PROBLEMS_KEPT) {
                    problems.removeFirst();
                }
                problems.addLast(problem);
            }
        }
    }
}
