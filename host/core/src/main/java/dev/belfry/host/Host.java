package dev.belfry.host;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.QName;
import dev.belfry.host.internal.ApplicationJobs;
import dev.belfry.host.internal.BuildVersion;
import dev.belfry.host.internal.Seams;
import dev.belfry.host.internal.SteppedHosts;
import dev.belfry.host.internal.JobsAtAGlance;
import dev.belfry.host.internal.Views;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineSettings;
import dev.belfry.host.internal.engine.EngineStats;
import dev.belfry.host.internal.engine.FireClaim;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.engine.RunExecutor;
import dev.belfry.host.internal.module.AttachedModule;
import dev.belfry.host.internal.module.ChangeFanOut;
import dev.belfry.host.internal.module.HealthReport;
import dev.belfry.host.internal.module.HostContext;
import dev.belfry.host.internal.module.ModuleFactory;
import dev.belfry.host.internal.module.PluginNode;
import dev.belfry.host.internal.module.SharedState;
import dev.belfry.host.internal.module.SharedStateFactory;
import dev.belfry.host.internal.plugins.ExitGuard;
import dev.belfry.host.internal.plugins.LoadedPlugin;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.plugins.PluginListener;
import dev.belfry.host.internal.plugins.PluginProblem;
import dev.belfry.host.internal.plugins.PluginProblems;
import dev.belfry.host.internal.plugins.PluginSupervisor;
import dev.belfry.host.internal.plugins.PluginTrust;
import dev.belfry.host.internal.plugins.ScheduleValidator;
import dev.belfry.host.internal.state.DataDirLock;
import dev.belfry.host.internal.state.HostId;
import dev.belfry.host.internal.state.IoErrors;
import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.host.internal.state.RunLog;
import dev.belfry.host.internal.state.StateLoader;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.host.internal.state.WriteProtection;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.RunLogRecords;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Belfry host: it holds the data directory, loads the plugins folder (if it has one), fires the jobs of
 * its plugins and of the application, and persists their state. Its modules (graph mirror, admin API) come from
 * their own artifacts through {@link HostConfig.Builder#module(HostModule)}.
 *
 * <pre>{@code
 * try (Host host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).build())) {
 *     host.register("billing", new InvoiceRun());
 *     host.trigger(QName.parse("hello-jobs.say-hello"));
 * }
 * }</pre>
 *
 * <p>Thread-safe. Two hosts in one JVM need two data directories; see docs/embedding.md for what is JVM-wide.
 */
public final class Host implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Host.class);
    /** How long a cluster host waits for the database to confirm an operator's change. */
    private static final Duration CONFIRM_WITHIN = Duration.ofSeconds(5);
    /**
     * This build's version, such as {@code 0.1.0-SNAPSHOT}: what the start line, {@code belfry status} and
     * {@code belfry --version} show.
     */
    public static final String BUILD_VERSION = BuildVersion.read();
    /** The version plugins' {@code Plugin-Requires} is checked against: the build version without a pre-release tag. */
    public static final String VERSION = BuildVersion.release(BUILD_VERSION);

    private final HostConfig config;
    private final DataDirLock lock;
    private final String hostId;
    private final StateStore store;
    /** The store shared with the cluster's other hosts; null for a host on its own. */
    private final SharedState shared;
    private final RunLog runs;
    private final Instant startedAt;
    private final ChangeFanOut changes;
    private final Engine engine;
    private final ExecutorService workers;
    /** Null when the host has no plugins folder. */
    private final PluginSupervisor plugins;
    /** The modules, in the order added; each with its name. */
    private final Map<String, AttachedModule> modules = new LinkedHashMap<>();
    private final PluginProblems problems = new PluginProblems();
    /** Plugins as the modules show them: running ones, and ones that went away while their jobs remain. */
    private final Map<String, PluginNode> pluginNodes = new TreeMap<>();
    /** The namespaces the application registered jobs under; guarded by itself. */
    private final Set<String> registered = new HashSet<>();
    /** Refuses System.exit from plugin code while the host runs, when the config asks for it. */
    private ExitGuard exitGuard;
    private volatile boolean closing;
    /** Set once the start is done: plugins scanned, leases taken; until then the host is not ready. */
    private volatile boolean startupDone;
    /** Changes the final state write could not put on disk; set by {@link #close()}. */
    private volatile long unsavedAtClose;
    private boolean closed;
    /** Driven by a test (belfry-test): no timer thread and no folder watch. */
    private final boolean stepped;

    static {
        Seams.registerSteppedHosts(new SteppedHosts() {
            @Override
            public Host start(HostConfig config, Executor runs) {
                return Host.start(config, runs::execute);
            }

            @Override
            public int runDue(Host host) {
                return host.engine.runDue();
            }

            @Override
            public Optional<Instant> nextDue(Host host) {
                return host.engine.nextDue();
            }
        });
    }

    private Host(HostConfig config, DataDirLock lock, StateStore store, SharedState shared, RunLog runs,
                 Instant startedAt, String hostId, RunExecutor steppedRuns) {
        this.config = config;
        this.lock = lock;
        this.hostId = hostId;
        this.store = store;
        this.shared = shared;
        this.runs = runs;
        this.startedAt = startedAt;
        this.changes = new ChangeFanOut(store, runs, config.listeners());
        this.stepped = steppedRuns != null;
        int threads = RunExecutor.threadLimitFor(config.maxConcurrentRuns());
        this.workers = RunExecutor.workerThreads(threads,
                config.runThreadFactory().orElseGet(RunExecutor::namedThreads));
        EngineSettings settings = new EngineSettings(config.maxConcurrentRuns(), config.misfireThreshold(),
                Duration.ofSeconds(10), config.orphanRetention());
        this.engine = new Engine(config.clock(), changes, shared == null ? FireClaim.ALWAYS : shared.claim(),
                stepped ? steppedRuns : RunExecutor.pooled(workers, threads), settings,
                () -> ThreadLocalRandom.current().nextDouble(), ScheduleValidator.compiling(), changes, changes);
        this.plugins = config.pluginsDir().map(dir -> new PluginSupervisor(dir, VERSION, new Wiring(),
                ScheduleValidator.compiling(), config.requireTrustedPlugins()
                        ? PluginTrust.required(config.dataDir()) : PluginTrust.off())).orElse(null);
        Context context = new Context();
        for (HostModule m : config.modules()) {
            if (m instanceof SharedStateFactory) {
                continue; // opened before the host was built: it is the host's store
            }
            if (!(m instanceof ModuleFactory factory)) {
                throw new HostStartException("module '" + m.name() + "' (" + m.getClass().getName()
                        + ") is not a Belfry module: take modules from belfry-graph or belfry-admin");
            }
            AttachedModule attached = factory.attach(context);
            modules.put(m.name(), attached);
            changes.add(attached);
        }
    }

    /**
     * Starts a host: locks the data directory, loads the state (recovering from a corrupt sidecar where it can) and
     * writes it back, prepares its modules (the admin API takes its port), then loads the plugins and starts firing.
     * Everything that can refuse the start (state unusable or unwritable, admin port taken, ...) is checked before
     * the first job fires, and a refused start stops whatever it had started before releasing the data directory.
     *
     * @param config how to run
     * @return the running host
     * @throws HostStartException with a one-line reason if it cannot start (directory in use, state unusable or not
     *                            writable, admin port taken, ...)
     */
    public static Host start(HostConfig config) {
        return start(Objects.requireNonNull(config, "config"), null);
    }

    private static Host start(HostConfig config, RunExecutor steppedRuns) {
        DataDirLock lock;
        try {
            lock = DataDirLock.acquire(config.dataDir());
        } catch (IOException e) {
            throw new HostStartException("cannot use data directory " + config.dataDir() + ": " + IoErrors.describe(e),
                    e);
        } catch (IllegalStateException e) {
            throw new HostStartException(e.getMessage(), e);
        }
        try {
            // Resolved once: a link swapped while the host runs must not send its state elsewhere.
            config = config.withRealDataDir(config.dataDir().toRealPath());
        } catch (IOException e) {
            closeQuietly(lock);
            throw new HostStartException("cannot use data directory " + config.dataDir() + ": "
                    + IoErrors.describe(e), e);
        }
        // Before any plugin code runs, Plugin.start included.
        ExitGuard guard = config.exitGuard() ? ExitGuard.acquire() : null;
        Host host = null;
        StateLoader.Loaded loaded = null;
        SharedState shared = null;
        RunLog runs = null;
        try {
            Instant startedAt = config.clock().instant();
            String hostId = HostId.of(config.dataDir());
            Optional<SharedStateFactory> cluster = config.modules().stream()
                    .filter(SharedStateFactory.class::isInstance).map(SharedStateFactory.class::cast).findFirst();
            if (cluster.isPresent()) {
                Path sidecar = config.dataDir().resolve(SidecarStore.DIRECTORY).resolve(SidecarStore.FILE_NAME);
                if (Files.exists(sidecar, LinkOption.NOFOLLOW_LINKS)) {
                    // Started as it is, its jobs would be registered afresh in the cluster: paused ones firing, their
                    // history and checkpoints left behind.
                    throw new HostStartException("data directory " + config.dataDir() + " holds a single host's job"
                            + " state, which cluster mode does not read: move it into the cluster with belfry cluster"
                            + " import --data " + config.dataDir() + " (into a stopped cluster) and then move "
                            + sidecar.getFileName() + " out of " + sidecar.getParent() + ", or give this host another"
                            + " data directory");
                }
                shared = cluster.get().open(hostId, config.clock(), config.runHistory());
            } else {
                loaded = StateLoader.load(config.dataDir(), config.sidecarFileOps(), config.clock(),
                        config.commitInterval(), config.journalLimits(), config.resetState());
            }
            runs = RunLog.open(config.dataDir().resolve(SidecarStore.DIRECTORY), config.sidecarFileOps(),
                    config.runHistory(), config.commitInterval(), RunLog.Limits.DEFAULT, startedAt);
            StateStore store = shared != null ? shared.store() : loaded.store();
            host = new Host(config, lock, store, shared, runs, startedAt, hostId, steppedRuns);
            host.exitGuard = guard;
            host.begin(shared != null ? shared.jobs() : loaded.state().jobs());
            return host;
        } catch (IOException e) {
            if (host == null && loaded != null) {
                loaded.store().close(Duration.ZERO); // the run history could not be opened
            }
            if (host == null && shared != null) {
                shared.close(Duration.ZERO);
            }
            throw refused(host, guard, lock, new HostStartException("cannot use data directory " + config.dataDir()
                    + ": " + IoErrors.describe(e), e));
        } catch (StateLoader.StateLoadException e) {
            throw refused(null, guard, lock, new HostStartException(e.getMessage(), e));
        } catch (RuntimeException | Error e) {
            if (host == null && loaded != null) {
                loaded.store().close(Duration.ZERO); // the host never took it over: nothing else closes it
            }
            if (host == null && shared != null) {
                shared.close(Duration.ZERO);
            }
            if (host == null && runs != null) {
                runs.close(Duration.ZERO);
            }
            throw refused(host, guard, lock, e instanceof HostStartException h ? h
                    : new HostStartException("host failed to start: " + e, e));
        }
    }

    // A refused start leaves nothing running: the parts of the host that started are stopped (the lock last).
    private static HostStartException refused(Host host, ExitGuard guard, DataDirLock lock, HostStartException why) {
        try {
            if (host != null) {
                log.info("Belfry did not start; stopping what had started");
                host.stop(host.config.shutdownGrace());
            }
        } catch (RuntimeException | Error e) {
            why.addSuppressed(e);
        } finally {
            if (guard != null) {
                guard.close();
            }
            closeQuietly(lock);
        }
        return why;
    }

    private void begin(List<JobRecord> loaded) {
        log.info("Belfry {} starting: data {}, plugins {}, {} job(s) in the {}", BUILD_VERSION, config.dataDir(),
                config.pluginsDir().map(Object::toString).orElse("none"), loaded.size(),
                shared == null ? "sidecar" : "cluster");
        store.start();
        runs.start();
        if (shared == null) {
            engine.restore(loaded);
        } else {
            engine.restoreAsElsewhere(loaded);
        }
        config.pluginsDir().filter(dir -> Files.exists(dir) && !Files.isDirectory(dir)).ifPresent(dir -> {
            throw new HostStartException("plugins folder " + dir + " is not a directory");
        });
        config.pluginsDir().ifPresent(dir -> {
            try {
                WriteProtection.problem(dir).ifPresent(why -> {
                    throw new HostStartException("plugins folder " + dir + " " + why + "; anyone who can write"
                            + " there runs code as this host");
                });
            } catch (IOException e) {
                throw new HostStartException("cannot read the owner and mode of plugins folder " + dir + ": "
                        + IoErrors.describe(e), e);
            }
        });
        config.pluginsDir().filter(dir -> !Files.exists(dir)).ifPresent(dir ->
                log.warn("plugins folder {} does not exist (yet); no plugin is loaded until it does", dir));
        // What can still refuse the start comes before the first fire: a refusal after jobs ran would have let them
        // move checkpoints and send mail for a host that then exits. Every module prepares (and may refuse) before
        // any starts, so a refused start never has an embedded Neo4j to wait for and stop.
        modules.values().forEach(AttachedModule::prepare);
        modules.values().forEach(AttachedModule::start);
        try {
            config.registrations().forEach(this::register);
        } catch (IllegalArgumentException e) {
            throw new HostStartException(e.getMessage(), e);
        }
        // The timer runs during the scan: a plugin's jobs fire as soon as it is attached, not once every plugin has
        // started (a slow Plugin.start would hold up every other plugin's fires).
        if (!stepped) {
            engine.start();
        }
        if (plugins != null) {
            plugins.scan();
            engine.orphanJobsOfMissingPlugins(attachedNamespaces());
            if (!stepped && !config.pluginScanInterval().isZero()) {
                plugins.watch(config.pluginScanInterval());
            }
        } else if (shared != null) {
            // A cluster host without a plugins folder has code for its registrations only: a job of another
            // namespace that a shard brings here is orphaned, as after a first plugin scan, and every host shows it so.
            engine.orphanJobsOfMissingPlugins(attachedNamespaces());
        }
        if (shared != null) {
            shared.start(engine); // leases last: the jobs a shard brings find their plugins' code attached
        }
        startupDone = true;
        log.info("Belfry started: {} plugin(s), {} job(s)", plugins().size(), engine.jobs().size());
    }

    private List<String> notReady() {
        List<String> why = new ArrayList<>(2);
        if (!startupDone) {
            why.add("starting");
        }
        if (closing) {
            why.add("stopping");
        }
        if (store.health().lastError().isPresent()) {
            why.add("state store failing (its last commit failed)");
        }
        if (shared != null && !shared.ready()) {
            why.add("no current cluster lease (or the cluster's database is out of reach)");
        }
        return why;
    }

    private Set<String> attachedNamespaces() {
        Set<String> out = new HashSet<>(plugins == null ? List.of() : plugins.pluginIds());
        synchronized (registered) {
            out.addAll(registered);
        }
        return out;
    }

    /** @return the configuration the host runs with */
    public HostConfig config() {
        return config;
    }

    /**
     * Registers the application's own jobs under a namespace, with the same policies, persistence, operations and
     * graph as plugin jobs: their state is restored from the data directory and they fire from now on. Registering
     * a namespace again replaces its jobs (those left out become orphans, as when a plugin drops a job).
     *
     * @param namespace the jobs' namespace, as a plugin id: lower-case letters, digits and {@code -}, such as
     *                  {@code billing}; not the id of a loaded plugin
     * @param jobs      the jobs, with distinct names
     * @throws IllegalArgumentException naming the namespace or the job that is refused, and why; nothing is
     *                                  registered then
     */
    public void register(String namespace, BackgroundJob... jobs) {
        register(namespace, Arrays.asList(Objects.requireNonNull(jobs, "jobs")));
    }

    /**
     * Registers the application's own jobs; see {@link #register(String, BackgroundJob...)}.
     *
     * @param namespace the jobs' namespace
     * @param jobs      the jobs, with distinct names
     */
    public void register(String namespace, List<? extends BackgroundJob> jobs) {
        requireOpen();
        List<PluginJob> accepted = ApplicationJobs.checked(namespace, jobs);
        boolean added;
        synchronized (registered) {
            added = registered.add(namespace); // first: from now on a plugin with this id is refused
        }
        if (plugins != null && plugins.pluginIds().contains(namespace)) {
            if (added) {
                synchronized (registered) {
                    registered.remove(namespace);
                }
            }
            throw new IllegalArgumentException("cannot register jobs under namespace '" + namespace
                    + "': a plugin with that id is loaded");
        }
        if (!added) {
            // Registering again replaces the namespace's jobs: those the new set lacks lose their code (their runs
            // are cancelled within the plugin stop grace) and become orphans; the others take the new code.
            Set<QName> kept = new HashSet<>();
            accepted.forEach(j -> kept.add(j.qname()));
            engine.detachJobs(namespace, config.pluginStopGrace(), qname -> !kept.contains(qname));
        }
        engine.attachApplication(namespace, accepted);
        pluginState(new PluginNode(namespace, BUILD_VERSION, "application", List.of()));
    }

    /**
     * Takes back what {@link #register} registered under a namespace: running runs are cancelled (they get the
     * plugin stop grace to end) and the jobs become orphans, whose state is kept for the orphan retention so that
     * registering them again carries on where they were.
     *
     * @param namespace the namespace
     * @return whether anything was registered under it
     */
    public boolean unregister(String namespace) {
        requireOpen();
        synchronized (registered) {
            if (!registered.remove(namespace)) {
                return false;
            }
        }
        engine.detach(namespace, config.pluginStopGrace());
        dropPluginNode(namespace);
        return true;
    }

    /** @return every job, by name */
    public List<JobView> jobs() {
        return jobSnapshots().stream().map(Views::job).toList();
    }

    /** For tests of persistence: the jobs' records, which are not public API. */
    List<JobRecord> records() {
        return engine.jobs().stream().map(JobSnapshot::record).toList();
    }

    /**
     * @param qname a job's name
     * @return the job, if it exists
     */
    public Optional<JobView> job(QName qname) {
        return new Context().job(qname).map(Views::job);
    }

    /**
     * The jobs as this host shows them: its engine's, and in cluster mode the jobs other hosts fire as the shared
     * store has them (this host's copy of those is only kept for when their shard comes here).
     */
    private List<JobSnapshot> jobSnapshots() {
        List<JobSnapshot> here = engine.jobs();
        if (shared == null) {
            return here;
        }
        Map<QName, JobRecord> stored = new HashMap<>();
        try {
            shared.currentJobs().forEach(r -> stored.put(r.qname(), r));
        } catch (RuntimeException e) {
            // This host's copies of other hosts' jobs are stale: shown as the cluster's, they would mislead.
            throw new StoreUnavailableException(e.getMessage() + "; belfry status shows this host's own state", e);
        }
        List<JobSnapshot> out = new ArrayList<>(stored.size());
        for (JobSnapshot job : here) {
            JobRecord record = stored.remove(job.record().qname());
            boolean elsewhere = engine.isElsewhere(job.record().qname());
            if (elsewhere && record == null) {
                continue; // removed by its owner; this host's copy goes when the shard comes here
            }
            out.add(elsewhere ? new JobSnapshot(record, List.of(), Optional.empty()) : job);
        }
        stored.values().forEach(r -> out.add(new JobSnapshot(r, List.of(), Optional.empty())));
        out.sort((a, b) -> a.record().qname().compareTo(b.record().qname()));
        return out;
    }

    private List<RunLogRecords.Run> runHistory(QName qname) {
        if (shared == null) {
            return runs.runs(qname);
        }
        try {
            return shared.runs(qname);
        } catch (RuntimeException e) {
            throw new StoreUnavailableException(e.getMessage(), e);
        }
    }

    /**
     * In cluster mode, an operation done on this host's engine is confirmed only once the cluster's database has it:
     * a change left in memory would be lost if the lease ran out before the database came back, after the operator
     * was told it was done. An operation forwarded to another host is confirmed by that host.
     */
    private void confirm(QName qname, String done) {
        if (shared == null || engine.isElsewhere(qname)) {
            return;
        }
        try {
            store.flush().get(CONFIRM_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            String why = cause instanceof TimeoutException ? "no answer within " + CONFIRM_WITHIN.toSeconds() + " s"
                    : cause.getMessage() == null ? cause.toString() : cause.getMessage().lines().findFirst().orElse("");
            throw new JobOperationException(JobOperationException.Reason.CONFLICT, "job " + qname + ": " + done
                    + " on this host, but the cluster database has not confirmed it (" + why + "); it is lost if the"
                    + " database stays out of reach longer than the lease: ask again once belfry status shows the"
                    + " host ready");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobOperationException(JobOperationException.Reason.CONFLICT, "job " + qname + ": " + done
                    + ", not confirmed: interrupted");
        }
    }

    /**
     * @param qname a job's name as text, such as {@code billing.invoices}
     * @return the job, if it exists
     * @throws IllegalArgumentException naming the text if it is not a job's name
     */
    public Optional<JobView> job(String qname) {
        return job(QName.parse(qname));
    }

    /**
     * The job's last runs, kept across restarts: up to {@link HostConfig#runHistory()} per job. A run is written to
     * the data directory within the commit interval after it ends (and synced within a second), so a crash loses
     * at most the runs of that last moment; a removed job's runs are forgotten with it.
     *
     * @param qname a job's name
     * @return its last runs, newest first; none for a job that has not run (or with the run history off)
     */
    public List<RunView> runs(QName qname) {
        return runHistory(Objects.requireNonNull(qname, "qname")).stream().map(Views::run).toList();
    }

    /**
     * Fires a job now, as {@link #trigger(QName)} does.
     *
     * @param qname the job's name as text, such as {@code billing.invoices}
     * @return what happened
     * @throws IllegalArgumentException naming the text if it is not a job's name
     * @throws JobOperationException    if there is no such job or it cannot run
     */
    public TriggerOutcome trigger(String qname) {
        return trigger(QName.parse(qname));
    }

    /**
     * Fires a job now, whatever its schedule, through its overlap policy.
     *
     * @param qname the job
     * @return what happened
     * @throws JobOperationException if there is no such job or it cannot run
     */
    public TriggerOutcome trigger(QName qname) {
        requireOpen();
        return new Context().trigger(qname);
    }

    /**
     * @param qname the job to stop firing until resumed
     * @throws JobOperationException if there is no such job
     */
    public void pause(QName qname) {
        requireOpen();
        new Context().pause(qname);
    }

    /**
     * @param qname the job to let fire again (its missed fires go through its misfire policy)
     * @throws JobOperationException if there is no such job
     */
    public void resume(QName qname) {
        requireOpen();
        new Context().resume(qname);
    }

    /**
     * Cancels a job: a dynamic job is removed, a declared job is disabled until resumed.
     *
     * @param qname the job
     * @throws JobOperationException if there is no such job
     */
    public void cancel(QName qname) {
        requireOpen();
        new Context().cancel(qname);
    }

    /** @return the ids of the running plugins, in start order */
    public List<String> plugins() {
        return plugins == null ? List.of() : plugins.pluginIds();
    }

    /** @return the running plugins, in start order */
    public List<PluginView> pluginViews() {
        return plugins == null ? List.of() : plugins.plugins().stream().map(Views::plugin).toList();
    }

    /**
     * @return the plugin problems that still hold (refused plugins and jobs), oldest first: those of a file that was
     *         removed since, or that has loaded since, are gone
     */
    public List<PluginProblemView> pluginProblems() {
        return currentProblems().stream().map(Views::problem).toList();
    }

    private List<PluginProblem> currentProblems() {
        return problems.current();
    }

    /** Checks the plugins folder now, instead of waiting for the next scan; does nothing without one. */
    public void rescanPlugins() {
        requireOpen();
        if (plugins != null) {
            plugins.scan();
        }
    }

    /**
     * @return completes once every state change so far is on disk
     */
    public CompletableFuture<Void> flushState() {
        return store.flush();
    }

    /**
     * Shuts down gracefully: stops firing, lets running runs finish within the shutdown grace, cancels the rest,
     * stops the plugins in reverse start order, closes the modules, writes the state and releases the data
     * directory. On a failing disk the state is retried once a second for what is left of the grace, then the
     * number of changes that did not reach the disk is logged.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (engine.isRunThread()) {
            // The shutdown waits for every run to end, this one included: it would wait out the whole grace and
            // then cut the run off, its own final state unsaved.
            throw new IllegalStateException("close() was called from inside a run of this host; close the host from"
                    + " a thread of the application's own");
        }
        log.info("Belfry shutting down (grace {})", shortDuration(config.shutdownGrace()));
        stop(config.shutdownGrace());
        if (exitGuard != null) {
            exitGuard.close(); // after the plugins' stop(), which is plugin code too
        }
        closeQuietly(lock);
        log.info("Belfry stopped");
    }

    /** Operations on a closed host are a mistake in the caller: say so instead of answering from a dead engine. */
    private void requireOpen() {
        if (closing) {
            throw new IllegalStateException("this host (data " + config.dataDir() + ") is closed");
        }
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
        engine.shutdown(grace);
        if (plugins != null) {
            plugins.close();
        }
        // The final commit starts now; the modules stop while it is written (or, on a failing disk, retried), so
        // the state is on disk as early as it can be and the grace bounds the whole shutdown.
        store.beginClose();
        List<AttachedModule> reversed = new ArrayList<>(modules.values());
        java.util.Collections.reverse(reversed);
        reversed.forEach(AttachedModule::close);
        unsavedAtClose = store.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        if (shared != null) {
            shared.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        runs.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
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

    private Map<String, Long> jobsByStatus() {
        Map<String, Long> out = new TreeMap<>();
        engine.jobsByStatus().forEach((status, n) -> {
            if (n > 0) {
                out.put(status.jsonName(), (long) n);
            }
        });
        return out;
    }

    private Map<String, Object> health() {
        Map<String, Optional<Map<String, Object>>> sections = new LinkedHashMap<>();
        modules.forEach((name, m) -> sections.put(name, m.healthSection()));
        if (shared != null) {
            sections.put("cluster", Optional.of(shared.health()));
        }
        Map<String, Object> report = HealthReport.of(BUILD_VERSION, engine.stats(), store.health(), sections,
                plugins().size(),
                currentProblems().stream().map(Object::toString).toList());
        if (shared != null && !shared.ready()) {
            report.put("status", "degraded"); // not firing: no current lease, or the shared store is out of reach
        }
        return report;
    }

    private void pluginState(PluginNode node) {
        List<PluginNode> all;
        synchronized (pluginNodes) {
            pluginNodes.put(node.id(), node);
            all = List.copyOf(pluginNodes.values());
        }
        changes.pluginsChanged(all);
    }

    // Left out of the list, the plugin shows in the graph as gone and no longer hosted, as docs/graph-model.md
    // says; a replaced or reloaded plugin is back with its next pluginStarted.
    private void dropPluginNode(String id) {
        List<PluginNode> all;
        synchronized (pluginNodes) {
            if (pluginNodes.remove(id) == null) {
                return;
            }
            all = List.copyOf(pluginNodes.values());
        }
        changes.pluginsChanged(all);
    }

    /** What the modules see of this host. */
    private final class Context implements HostContext {
        @Override
        public Path dataDir() {
            return config.dataDir();
        }

        @Override
        public Clock clock() {
            return config.clock();
        }

        @Override
        public String hostId() {
            return hostId;
        }

        @Override
        public List<JobSnapshot> jobs() {
            return jobSnapshots();
        }

        @Override
        public Optional<JobSnapshot> job(QName qname) {
            if (shared != null && (engine.isElsewhere(qname) || engine.job(qname).isEmpty())) {
                try {
                    return shared.currentJob(qname).map(r -> new JobSnapshot(r, List.of(), Optional.empty()));
                } catch (RuntimeException e) {
                    throw new StoreUnavailableException(e.getMessage(), e);
                }
            }
            return engine.job(qname);
        }

        @Override
        public JobsAtAGlance atAGlance(Instant horizon, int max) {
            if (shared != null) {
                return JobsAtAGlance.of(jobSnapshots().stream().map(JobSnapshot::record).toList(), horizon, max);
            }
            return new JobsAtAGlance(engine.jobsByStatus(), engine.upcomingFires(horizon, max));
        }

        @Override
        public Optional<List<QName>> names() {
            // In a cluster, jobs come and go on other hosts too: only the full list (jobs()) knows them all.
            return shared == null ? Optional.of(engine.names()) : Optional.empty();
        }

        @Override
        public List<JobSnapshot> jobs(List<QName> qnames) {
            if (shared != null) {
                return qnames.stream().map(this::job).flatMap(Optional::stream).toList();
            }
            return engine.jobs(qnames);
        }

        @Override
        public List<JobRecord> committedJobs() {
            return store.snapshot();
        }

        @Override
        public boolean clustered() {
            return shared != null;
        }

        @Override
        public boolean owns(QName qname) {
            return store.owns(qname);
        }

        @Override
        public Instant startedAt() {
            return startedAt;
        }

        @Override
        public List<RunLogRecords.Run> runs(QName qname) {
            return runHistory(qname);
        }

        @Override
        public TriggerOutcome trigger(QName qname) {
            TriggerOutcome outcome = engine.trigger(qname);
            confirm(qname, outcome == TriggerOutcome.STARTED ? "triggered (its run waits for its claim)"
                    : "triggered (" + outcome.name().toLowerCase() + ")");
            return outcome;
        }

        @Override
        public void pause(QName qname) {
            engine.pause(qname);
            confirm(qname, "paused");
        }

        @Override
        public void resume(QName qname) {
            engine.resume(qname);
            confirm(qname, "resumed");
        }

        @Override
        public void cancel(QName qname) {
            engine.cancel(qname);
            confirm(qname, "cancelled");
        }

        @Override
        public List<PluginSupervisor.RunningPlugin> plugins() {
            return plugins == null ? List.of() : plugins.plugins();
        }

        @Override
        public PluginSupervisor.ReloadOutcome reload(String pluginId) {
            if (plugins == null) {
                return new PluginSupervisor.ReloadOutcome(false, Optional.empty());
            }
            return plugins.reload(pluginId);
        }

        @Override
        public EngineStats engineStats() {
            return engine.stats();
        }

        @Override
        public StateStore.Health stateHealth() {
            return store.health();
        }

        @Override
        public Map<String, Long> jobsByStatus() {
            return Host.this.jobsByStatus();
        }

        @Override
        public Map<String, Object> health() {
            return Host.this.health();
        }

        @Override
        public List<String> notReady() {
            return Host.this.notReady();
        }

        @Override
        public Map<String, Map<String, Double>> gauges() {
            Map<String, Map<String, Double>> out = new LinkedHashMap<>();
            modules.forEach((name, m) -> out.put(name, m.gauges()));
            if (shared != null) {
                Map<String, Double> cluster = new LinkedHashMap<>();
                shared.health().forEach((name, value) -> {
                    if (value instanceof Number n) {
                        cluster.put(name, n.doubleValue());
                    } else if (value instanceof Boolean b) {
                        cluster.put(name, b ? 1.0 : 0.0);
                    }
                });
                out.put("cluster", cluster);
            }
            return out;
        }
    }

    /** Connects the plugin layer to the engine. */
    private final class Wiring implements PluginListener {
        @Override
        public boolean isReservedNamespace(String pluginId) {
            synchronized (registered) {
                return registered.contains(pluginId);
            }
        }

        @Override
        public void pluginStarted(LoadedPlugin plugin) {
            engine.attach(plugin.id(), plugin.jobs());
            pluginState(new PluginNode(plugin.id(), plugin.version(), "started", plugin.dependencies()));
            changes.pluginLoaded(plugin);
        }

        @Override
        public void pluginStopping(String pluginId) {
            problems.stopping(pluginId);
            if (!closing) { // at shutdown the engine has already stopped every run; jobs keep their state
                engine.detach(pluginId, config.pluginStopGrace());
                dropPluginNode(pluginId);
            }
        }

        @Override
        public void pluginLoading(Path file, String pluginId) {
            problems.loading(file, pluginId);
        }

        @Override
        public void problem(PluginProblem problem) {
            problems.add(problem);
            changes.pluginRefused(problem);
        }
    }
}
