package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.BackgroundPriority;
import dev.belfry.host.internal.module.PluginNode;
import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.graph.MirrorQueue.JobChange;
import dev.belfry.host.internal.graph.MirrorQueue.PluginsChange;
import dev.belfry.host.internal.graph.MirrorQueue.RunBatch;
import dev.belfry.host.internal.graph.MirrorQueue.RunChange;
import dev.belfry.host.internal.Views;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.RunLogRecords;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Logging;
import org.neo4j.driver.Session;
import org.neo4j.driver.TransactionContext;
import org.neo4j.driver.exceptions.ClientException;
import org.neo4j.driver.exceptions.SecurityException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirrors the host's jobs, plugins and recent runs into Neo4j through the Bolt driver, from one thread
 * ({@value #THREAD_NAME}). Callers only touch a bounded in-memory queue; the thread writes batches of up to
 * {@value #BATCH_SIZE} rows with {@code UNWIND} in managed transactions, and resyncs everything from the sidecar
 * state whenever it (re)connects and every {@value #RESYNC_MINUTES} minutes while connected. If Neo4j is down or
 * refuses the credentials, the mirror says so once in the log, reports itself disconnected, and retries with
 * exponential backoff for as long as it runs.
 *
 * <p>See {@code docs/graph-model.md} for the model and the queries it is meant for.
 */
public final class Neo4jMirror implements GraphMirror {
    private static final Logger log = LoggerFactory.getLogger(Neo4jMirror.class);

    /** The mirror thread's name. */
    public static final String THREAD_NAME = "belfry-graph-mirror";
    /** Rows per transaction. */
    static final int BATCH_SIZE = 1_000;
    /** Runs that may wait; beyond that the oldest are dropped. */
    static final int RUN_CAPACITY = 10_000;
    static final Duration INITIAL_BACKOFF = Duration.ofSeconds(1);
    /**
     * Caps the wait between reconnection attempts, so the graph catches up within seconds of Neo4j coming back
     * however long it was away (with 60 s, a long outage left it stale for up to a minute more). An attempt on a
     * down server is one refused connection; 10 s also stays above the time Neo4j locks a user out after failed
     * logins (5 s by default).
     */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
    /** Minutes between resyncs while connected: how long a change made to the graph from outside can last. */
    public static final int RESYNC_MINUTES = 5;
    static final Duration RESYNC_INTERVAL = Duration.ofMinutes(RESYNC_MINUTES);
    /**
     * How far before the newest run the mirror has written (the host node's {@code runs_written_until}) a
     * reconnection still writes the host's run history. A run's {@code finished_at} is taken before the run reaches
     * the mirror's queue, so a run handed over a moment late (its worker descheduled, a GC pause) can be written
     * after a newer one, and a clock stepped back makes later runs look older: a run that waited out an outage with a
     * {@code finished_at} up to this much before the mark still comes back. Runs re-sent inside the margin are
     * merged by their key and cost a lookup each: at 1,000 runs a second, 60,000 at a reconnection, against every
     * kept run of every job without the mark.
     */
    static final Duration RUN_MARGIN = Duration.ofMinutes(1);
    /**
     * Cluster mode: a resync deletes a job missing from the cluster's state only if no host wrote it since this long
     * before the state was read. Another host may have created the job after the read and written it at once; the
     * margin also covers the clocks of the hosts (each stamps {@code updated_at} with its own) being that far apart.
     * A job removed meanwhile is deleted by its owner's mirror, or by a later resync.
     */
    static final Duration CLUSTER_WRITE_MARGIN = Duration.ofMinutes(1);
    /** How often to look for the endpoint while the embedded server is still starting. */
    private static final Duration ENDPOINT_POLL = Duration.ofMillis(500);
    /** How long an idle thread waits for work before looking around again. */
    private static final Duration IDLE_WAIT = Duration.ofSeconds(1);
    /** How long {@link #close()} lets the thread finish its current write before interrupting it. */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
    /** Bounds a driver call: connecting, and retrying a transaction inside {@code executeWrite}. */
    private static final Duration DRIVER_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration DROP_WARNING_INTERVAL = Duration.ofMinutes(1);

    private final Supplier<Optional<GraphEndpoint>> endpoint;
    private final Supplier<List<JobRecord>> fullState;
    private final Clock clock;
    private final GraphWriter writer;
    private final MirrorQueue queue;
    private final String runPrefix;
    private final Function<QName, List<RunLogRecords.Run>> runHistory;
    private final String hostId;
    private final int runsPerJob;
    /** Cluster mode: other hosts mirror into the same graph, and this host writes only the jobs it owns. */
    private final boolean clustered;
    private final Predicate<QName> owns;
    private final Duration initialBackoff;
    private final Duration maxBackoff;

    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicReference<Driver> driver = new AtomicReference<>();
    private final AtomicLong rowsWritten = new AtomicLong();
    /**
     * What this mirror last wrote of each job, so that a later version is sent as what changed since (mirror thread
     * only). Holds records the engine has usually moved on from; cleared and refilled by every resync.
     */
    private final Map<QName, JobRecord> lastWritten = new HashMap<>();
    private volatile Thread thread;
    private volatile boolean connected;
    private volatile Optional<String> lastError = Optional.empty();
    private volatile Optional<Instant> lastSyncAt = Optional.empty();

    // Mirror thread only.
    private boolean outageLogged;
    private long historyRunsWritten;
    private long droppedReported;
    private Instant droppedReportedAt = Instant.EPOCH;
    private volatile int outageWarnings;

    /**
     * Creates a mirror; nothing happens until {@link #start()}.
     *
     * @param endpoint      where Neo4j is; empty until the embedded server is up (asked again at every connection)
     * @param fullState     the sidecar state snapshot, read on the mirror thread for every resync
     * @param hostId        this host's id, the {@code _Host} node's key
     * @param hostStartedAt when this host process started; with the host id it makes run ids unique across restarts
     * @param runsPerJob    how many recent runs per job the graph keeps, 0 to 10000 (0 keeps none)
     * @param clock         the time source for lag, {@code updated_at} and {@code lastSyncAt}
     * @throws IllegalArgumentException if {@code runsPerJob} is out of range or {@code hostId} is blank
     * @throws NullPointerException     if an argument is null
     */
    public Neo4jMirror(Supplier<Optional<GraphEndpoint>> endpoint, Supplier<List<JobRecord>> fullState,
                       String hostId, Instant hostStartedAt, int runsPerJob, Clock clock) {
        this(endpoint, fullState, q -> List.of(), hostId, hostStartedAt, runsPerJob, clock);
    }

    /**
     * Creates a mirror that also writes the host's run history when it connects (after a restart or an outage), so
     * the graph gets the runs it missed; nothing happens until {@link #start()}.
     *
     * @param endpoint      where Neo4j is; empty until the embedded server is up (asked again at every connection)
     * @param fullState     the sidecar state snapshot, read on the mirror thread for every resync
     * @param runHistory    a job's last runs, newest first, from the host's run history
     * @param hostId        this host's id, the {@code _Host} node's key
     * @param hostStartedAt when this host process started; with the host id it makes run ids unique across restarts
     * @param runsPerJob    how many recent runs per job the graph keeps, 0 to 10000 (0 keeps none)
     * @param clock         the time source for lag, {@code updated_at} and {@code lastSyncAt}
     * @throws IllegalArgumentException if {@code runsPerJob} is out of range or {@code hostId} is blank
     * @throws NullPointerException     if an argument is null
     */
    public Neo4jMirror(Supplier<Optional<GraphEndpoint>> endpoint, Supplier<List<JobRecord>> fullState,
                       Function<QName, List<RunLogRecords.Run>> runHistory, String hostId, Instant hostStartedAt,
                       int runsPerJob, Clock clock) {
        this(endpoint, fullState, runHistory, hostId, hostStartedAt, runsPerJob, clock, INITIAL_BACKOFF, MAX_BACKOFF,
                RUN_CAPACITY);
    }

    /** For tests: shorter backoff and a smaller run queue. */
    Neo4jMirror(Supplier<Optional<GraphEndpoint>> endpoint, Supplier<List<JobRecord>> fullState, String hostId,
                Instant hostStartedAt, int runsPerJob, Clock clock, Duration initialBackoff, Duration maxBackoff,
                int runCapacity) {
        this(endpoint, fullState, q -> List.of(), hostId, hostStartedAt, runsPerJob, clock, initialBackoff,
                maxBackoff, runCapacity);
    }

    /** For tests: shorter backoff, a smaller run queue and a run history. */
    Neo4jMirror(Supplier<Optional<GraphEndpoint>> endpoint, Supplier<List<JobRecord>> fullState,
                Function<QName, List<RunLogRecords.Run>> runHistory, String hostId, Instant hostStartedAt,
                int runsPerJob, Clock clock, Duration initialBackoff, Duration maxBackoff, int runCapacity) {
        this(endpoint, fullState, runHistory, Optional.empty(), hostId, hostStartedAt, runsPerJob, clock,
                initialBackoff, maxBackoff, runCapacity);
    }

    /**
     * Creates the mirror of one host of a cluster, which shares the graph with the cluster's other hosts: it writes
     * the jobs this host owns and makes this host their owner ({@code (:_Host)-[:OWNS]->(:_BackgroundJob)}); a resync
     * writes the cluster's other jobs only where the graph lacks them, or no host owns them and the graph holds an
     * older version, and never takes them. It writes no run history at a connection: the cluster's runs are not told apart by host. Nothing happens
     * until {@link #start()}.
     *
     * @param endpoint      where Neo4j is
     * @param clusterState  every job of the cluster, read on the mirror thread for every resync
     * @param owns          whether this host owns a job now
     * @param hostId        this host's id, the {@code _Host} node's key
     * @param hostStartedAt when this host process started
     * @param runsPerJob    how many recent runs per job the graph keeps, 0 to 10000 (0 keeps none)
     * @param clock         the time source for lag, {@code updated_at} and {@code lastSyncAt}
     * @return the mirror
     * @throws IllegalArgumentException if {@code runsPerJob} is out of range or {@code hostId} is blank
     * @throws NullPointerException     if an argument is null
     */
    public static Neo4jMirror forCluster(Supplier<Optional<GraphEndpoint>> endpoint,
                                         Supplier<List<JobRecord>> clusterState, Predicate<QName> owns, String hostId,
                                         Instant hostStartedAt, int runsPerJob, Clock clock) {
        return new Neo4jMirror(endpoint, clusterState, q -> List.of(), Optional.of(Objects.requireNonNull(owns, "owns")),
                hostId, hostStartedAt, runsPerJob, clock, INITIAL_BACKOFF, MAX_BACKOFF, RUN_CAPACITY);
    }

    private Neo4jMirror(Supplier<Optional<GraphEndpoint>> endpoint, Supplier<List<JobRecord>> fullState,
                        Function<QName, List<RunLogRecords.Run>> runHistory, Optional<Predicate<QName>> cluster,
                        String hostId, Instant hostStartedAt, int runsPerJob, Clock clock, Duration initialBackoff,
                        Duration maxBackoff, int runCapacity) {
        this.clustered = cluster.isPresent();
        this.owns = cluster.orElse(q -> true);
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.fullState = Objects.requireNonNull(fullState, "fullState");
        this.runHistory = Objects.requireNonNull(runHistory, "runHistory");
        this.hostId = hostId;
        this.runsPerJob = runsPerJob;
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(hostStartedAt, "hostStartedAt");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (hostId.isBlank()) {
            throw new IllegalArgumentException("host id must not be blank: \"" + hostId + "\"");
        }
        if (runsPerJob < 0 || runsPerJob > 10_000) {
            throw new IllegalArgumentException("runs kept per job must be between 0 and 10000: " + runsPerJob);
        }
        if (initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoff must be positive and at most its maximum: " + initialBackoff
                    + ", " + maxBackoff);
        }
        this.writer = new GraphWriter(hostId, hostStartedAt, runsPerJob, clustered);
        this.queue = new MirrorQueue(runCapacity);
        this.runPrefix = GraphRows.runPrefix(hostId, hostStartedAt);
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
    }

    /**
     * Starts the mirror thread. Changes handed over before this call are kept and written once it connects.
     *
     * @throws IllegalStateException if the mirror was started before or is closed
     */
    public void start() {
        if (closed.get()) {
            throw new IllegalStateException("graph mirror is closed");
        }
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("graph mirror already started");
        }
        Thread t = new Thread(this::loop, THREAD_NAME);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    @Override
    public void jobChanged(JobRecord record) {
        if (record == null || closed.get()) {
            return;
        }
        try {
            queue.jobChanged(record, clock.instant());
        } catch (RuntimeException e) {
            log.debug("graph mirror ignored a job change", e);
        }
    }

    @Override
    public void jobRemoved(QName qname) {
        if (qname == null || closed.get()) {
            return;
        }
        try {
            queue.jobRemoved(qname, clock.instant());
        } catch (RuntimeException e) {
            log.debug("graph mirror ignored a job removal", e);
        }
    }

    @Override
    public void runFinished(RunResult result) {
        if (result == null || closed.get()) {
            return;
        }
        try {
            queue.runFinished(result, clock.instant());
        } catch (RuntimeException e) {
            log.debug("graph mirror ignored a run", e);
        }
    }

    @Override
    public void pluginsChanged(List<PluginNode> plugins) {
        if (plugins == null || closed.get()) {
            return;
        }
        try {
            queue.pluginsChanged(plugins, clock.instant());
        } catch (RuntimeException e) {
            log.debug("graph mirror ignored a plugin list", e);
        }
    }

    @Override
    public MirrorStatus status() {
        Instant now = clock.instant();
        Optional<Duration> lag = queue.oldest().map(o -> o.isAfter(now) ? Duration.ZERO : Duration.between(o, now));
        return new MirrorStatus(true, connected, queue.depth(), lag, lastError, lastSyncAt, rowsWritten.get());
    }

    /** @return how many outages were logged (once each, however many retries they took) */
    int outageWarnings() {
        return outageWarnings;
    }

    /** @return runs dropped since the start: the queue was full, or Neo4j refused a batch of them */
    long runsDropped() {
        return queue.runsDropped();
    }

    /**
     * Stops the thread (letting it finish the write in progress for a few seconds, then interrupting it) and closes
     * the driver. Waits at most about seven seconds plus the driver's own close.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stop.countDown();
        queue.close();
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(CLOSE_GRACE.toMillis());
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(2_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                log.warn("graph mirror thread did not stop within {}; closing its connection anyway", CLOSE_GRACE);
            }
        }
        closeDriver();
        connected = false;
    }

    // ---------------------------------------------------------------- the mirror thread

    private void loop() {
        BackgroundPriority.lowerCurrentThread(); // and so the driver's I/O threads, which this thread creates
        Duration backoff = initialBackoff;
        try {
            while (!stopping()) {
                if (driver.get() == null) {
                    Optional<GraphEndpoint> ep = currentEndpoint();
                    if (ep.isEmpty()) {
                        pause(ENDPOINT_POLL);
                        continue;
                    }
                    try {
                        connectAndResync(ep.get());
                        backoff = initialBackoff;
                    } catch (RuntimeException e) {
                        failed(ep.get(), e);
                        pause(backoff);
                        backoff = doubled(backoff);
                    }
                    continue;
                }
                try {
                    if (queue.awaitWork(IDLE_WAIT) && !stopping()) {
                        flush();
                    }
                    reportDroppedRuns();
                    if (!stopping() && lastSyncAt.map(at -> !clock.instant().isBefore(at.plus(RESYNC_INTERVAL)))
                            .orElse(false)) {
                        periodicResync();
                    }
                } catch (RuntimeException e) {
                    failed(null, e);
                    pause(backoff);
                    backoff = doubled(backoff);
                }
            }
            if (connected) {
                flush(); // one last batch, best-effort; the next start resyncs anyway
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.debug("graph mirror: last write at close failed", e);
        } finally {
            closeDriver();
            connected = false;
        }
    }

    private Optional<GraphEndpoint> currentEndpoint() {
        try {
            return Objects.requireNonNullElse(endpoint.get(), Optional.empty());
        } catch (RuntimeException e) {
            log.debug("graph endpoint not available", e);
            return Optional.empty();
        }
    }

    private void connectAndResync(GraphEndpoint ep) {
        Config config = Config.builder()
                .withConnectionTimeout(DRIVER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .withConnectionAcquisitionTimeout(DRIVER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .withMaxTransactionRetryTime(DRIVER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .withMaxConnectionPoolSize(2)
                .withUserAgent("belfry-graph-mirror")
                // The driver would log every retry; the mirror logs an outage once, itself.
                .withLogging(Logging.none())
                .build();
        Driver d = GraphDatabase.driver(ep.uri(), AuthTokens.basic(ep.user(), ep.password()), config);
        closeDriver();
        driver.set(d);
        if (closed.get()) {
            closeDriver();
            return;
        }
        d.verifyConnectivity();
        int jobs = resync(d, true);
        connected = true;
        lastError = Optional.empty();
        if (outageLogged) {
            log.info("graph mirror reconnected to {}; resynced {} jobs and {} runs of the run history", ep, jobs,
                    historyRunsWritten);
        } else {
            log.info("graph mirror connected to {}; synced {} jobs and {} runs of the run history", ep, jobs,
                    historyRunsWritten);
        }
        outageLogged = false;
    }

    /**
     * Puts back what a change from outside (a {@code belfry query --write}, another tool) altered of the host's nodes:
     * a job deleted by hand would otherwise stay missing until the job next changes, or for ever if it is idle.
     */
    private void periodicResync() {
        Driver d = driver.get();
        if (d == null) {
            return;
        }
        int jobs = resync(d, false);
        log.debug("graph mirror resynced {} jobs", jobs);
    }

    /**
     * Makes the graph match the sidecar state: upserts every job, deletes the rest, syncs the plugins; on a
     * (re)connection ({@code withRuns}) also writes what the graph may lack of the run history, which holds the runs
     * of earlier lives of the host and those that waited out an outage. In cluster mode the state is the cluster's:
     * this host's jobs are written and claimed as in a host of its own (but never rolled back: the database may be a
     * commit behind this mirror), the others only filled in where the graph lacks them, or no host owns them and the
     * graph holds an older version (their owners write them), and a job is deleted only if it was not written shortly
     * before the state was read (another host may have just created it).
     */
    private int resync(Driver d, boolean withRuns) {
        Instant readAt = clock.instant();
        List<JobRecord> state = List.copyOf(fullState.get());
        Map<Boolean, List<JobRecord>> byOwner = clustered
                ? state.stream().collect(Collectors.partitioningBy(r -> owns.test(r.qname())))
                : Map.of(true, state, false, List.of());
        List<JobRecord> mine = byOwner.get(true);
        List<JobRecord> others = byOwner.get(false);
        Instant now = clock.instant();
        lastWritten.clear(); // until the resync is done, nothing is known of the graph
        Optional<List<PluginNode>> plugins = queue.knownPlugins();
        try (Session s = d.session()) {
            for (String statement : GraphWriter.SCHEMA) {
                s.executeWrite(tx -> tx.run(statement).consume());
            }
            List<String> qnames = new ArrayList<>(state.size());
            upsert(s, mine, true, plugins.isPresent(), now);
            upsert(s, others, false, plugins.isPresent(), now);
            state.forEach(r -> qnames.add(r.qname().toString()));
            Optional<Instant> since = clustered ? Optional.of(readAt.minus(CLUSTER_WRITE_MARGIN)) : Optional.empty();
            rowsWritten.addAndGet(s.executeWrite(tx -> writer.deleteJobsExcept(tx, qnames, since)));
            if (plugins.isPresent()) {
                rowsWritten.addAndGet(s.executeWrite(tx -> writer.syncPlugins(tx, plugins.get())));
            } else {
                s.executeWrite(tx -> {
                    writer.mergeHost(tx);
                    return null;
                });
            }
            if (withRuns && !clustered) {
                writeHistory(s, state);
            }
        }
        mine.forEach(r -> lastWritten.put(r.qname(), r));
        lastSyncAt = Optional.of(clock.instant());
        return state.size();
    }

    /**
     * @param own  the jobs are this host's, and claimed; on a host of its own also written whatever their version in
     *             the graph (the state file wins). A cluster's state is read from the database, which this host's own
     *             mirror may be ahead of: it never rolls a job back. Others' jobs are written only over an older
     *             version and left to their owners.
     */
    private void upsert(Session s, List<JobRecord> jobs, boolean own, boolean pluginsKnown, Instant now) {
        boolean force = own && !clustered;
        for (int from = 0; from < jobs.size(); from += BATCH_SIZE) {
            List<Map<String, Object>> rows = jobs.subList(from, Math.min(jobs.size(), from + BATCH_SIZE))
                    .stream().map(GraphRows::job).toList();
            rowsWritten.addAndGet(s.executeWrite(tx -> writer.upsertJobs(tx, rows, force, own, pluginsKnown, now)));
        }
    }

    /**
     * Writes the runs of the history the graph may lack. A graph that knows nothing of this host's runs (new, wiped,
     * foreign, or written before the mark existed) gets all of it. Otherwise a job gets the runs that finished after
     * the mark less {@link #RUN_MARGIN}, unless the graph holds fewer of its runs than the history has from before
     * that point (someone deleted them, a batch was refused, more are kept per job now): then it gets all of its
     * history again. Runs are merged by their key, so a run the graph holds already is left as it is.
     */
    private void writeHistory(Session s, List<JobRecord> state) {
        historyRunsWritten = 0;
        if (runsPerJob == 0) {
            return;
        }
        Optional<Instant> cutoff = s.executeRead(writer::runsWrittenUntil).map(until -> until.minus(RUN_MARGIN));
        Map<String, Long> inGraph = cutoff.isPresent() ? s.executeRead(writer::runCounts) : Map.of();
        List<Map<String, Object>> rows = new ArrayList<>();
        Instant newest = Instant.MIN;
        for (JobRecord job : state) {
            List<RunLogRecords.Run> runs = runHistory.apply(job.qname());
            List<RunLogRecords.Run> kept = runs.subList(0, Math.min(runs.size(), runsPerJob));
            for (RunLogRecords.Run run : missing(kept, cutoff, inGraph.getOrDefault(job.qname().toString(), 0L))) {
                rows.add(GraphRows.run(Views.result(run), GraphRows.runPrefix(hostId, run.hostStartedAt())));
                newest = run.finishedAt().isAfter(newest) ? run.finishedAt() : newest;
                if (rows.size() == BATCH_SIZE) {
                    writeHistoryBatch(s, List.copyOf(rows));
                    rows.clear();
                }
            }
        }
        if (!rows.isEmpty()) {
            writeHistoryBatch(s, rows);
        }
        if (historyRunsWritten > 0) {
            // Only now: the history goes job by job, and a mark moved by its first batch would hide the runs of the
            // jobs after it from the next reconnection if this one failed half-way.
            Instant until = newest;
            s.executeWrite(tx -> {
                writer.advanceRunMark(tx, until);
                return null;
            });
        }
    }

    private void writeHistoryBatch(Session s, List<Map<String, Object>> rows) {
        rowsWritten.addAndGet(s.executeWrite(tx -> writer.insertRuns(tx, rows, false)));
        historyRunsWritten += rows.size();
    }

    /**
     * @param kept    a job's runs from the history, as many as the graph keeps
     * @param cutoff  the mark less the margin; empty if the graph has no mark of this host
     * @param inGraph how many runs of the job the graph holds
     * @return the runs to write
     */
    private static List<RunLogRecords.Run> missing(List<RunLogRecords.Run> kept, Optional<Instant> cutoff, long inGraph) {
        if (cutoff.isEmpty()) {
            return kept;
        }
        Instant from = cutoff.get();
        List<RunLogRecords.Run> recent = kept.stream().filter(r -> r.finishedAt().isAfter(from)).toList();
        // The older runs were all written, and the graph trims a job's runs only down to the number it keeps (no
        // fewer than these): holding fewer, it lost some.
        return inGraph < kept.size() - recent.size() ? kept : recent;
    }

    /**
     * Writes the runs waiting, after the job changes that waited with them (a run's job may be new to the graph),
     * then the plugin list. A failure gives back what was taken and is thrown.
     */
    private void flush() {
        Driver d = driver.get();
        if (d == null) {
            return;
        }
        try (Session s = d.session()) {
            RunBatch runs = queue.takeRuns(BATCH_SIZE);
            try {
                int jobsLeft = runs.jobsAhead();
                int written;
                do {
                    written = writeJobBatch(s);
                    jobsLeft -= written;
                } while (jobsLeft > 0 && written > 0);
            } catch (RuntimeException e) {
                queue.giveBackRuns(runs.runs());
                throw e;
            }
            if (!runs.runs().isEmpty()) {
                writeRuns(s, runs.runs());
            }
            Optional<PluginsChange> plugins = queue.takePlugins();
            if (plugins.isPresent()) {
                try {
                    rowsWritten.addAndGet(s.executeWrite(tx -> writer.syncPlugins(tx, plugins.get().plugins())));
                    queue.pluginsWritten();
                } catch (RuntimeException e) {
                    queue.giveBackPlugins(plugins.get());
                    throw e;
                }
            }
        }
    }

    /** @return how many job changes were taken and written; 0 if none waited */
    private int writeJobBatch(Session s) {
        List<JobChange> taken = queue.takeJobs(BATCH_SIZE);
        if (taken.isEmpty()) {
            return 0;
        }
        // A cluster host writes a job only while it owns it: a change that waited here while the job moved to another
        // host would otherwise take the job back in the graph.
        List<JobChange> jobs = clustered
                ? taken.stream().filter(c -> c.isRemoval() || owns.test(c.qname())).toList() : taken;
        boolean pluginsKnown = queue.knownPlugins().isPresent();
        Instant now = clock.instant();
        try {
            if (!jobs.isEmpty()) {
                rowsWritten.addAndGet(s.executeWrite(tx -> writeJobs(tx, jobs, pluginsKnown, now)));
            }
            rememberWritten(jobs);
            queue.jobsWritten();
            return taken.size();
        } catch (RuntimeException e) {
            queue.giveBackJobs(taken);
            throw e;
        }
    }

    private void writeRuns(Session s, List<RunChange> runs) {
        List<Map<String, Object>> rows = runs.stream().map(r -> GraphRows.run(r.result(), runPrefix)).toList();
        try {
            rowsWritten.addAndGet(s.executeWrite(tx -> writer.insertRuns(tx, rows, true)));
            queue.runsWritten();
        } catch (ClientException e) {
            if (e instanceof SecurityException) {
                queue.giveBackRuns(runs);
                throw e;
            }
            // Neo4j refused the statement itself: retrying cannot help, and runs are best-effort history.
            queue.runsWritten();
            queue.dropped(runs.size());
            lastError = Optional.of(describe(e));
            log.warn("graph mirror dropped {} runs Neo4j refused: {}", runs.size(), describe(e));
        } catch (RuntimeException e) {
            queue.giveBackRuns(runs);
            throw e;
        }
    }

    /**
     * One job batch in one transaction: removals first (also for jobs that came back), then the changes of jobs this
     * mirror wrote before (what changed since), then whole rows for the others and for any change that did not
     * apply. Reads {@link #lastWritten} and changes nothing outside the transaction, which the driver may run twice.
     */
    int writeJobs(TransactionContext tx, List<JobChange> jobs, boolean pluginsKnown, Instant now) {
        List<String> deletions = new ArrayList<>();
        List<Map<String, Object>> changes = new ArrayList<>();
        Map<String, JobRecord> changed = new HashMap<>();
        List<Map<String, Object>> whole = new ArrayList<>();
        for (JobChange c : jobs) {
            if (c.isRemoval() || c.removeFirst()) {
                deletions.add(c.qname().toString());
            }
            if (c.isRemoval()) {
                continue;
            }
            JobRecord record = c.record().get();
            JobRecord before = c.removeFirst() ? null : lastWritten.get(c.qname());
            if (before != null && before.version() < record.version()) {
                changes.add(GraphRows.jobChanges(before, record));
                changed.put(c.qname().toString(), record);
            } else {
                whole.add(GraphRows.job(record));
            }
        }
        int written = 0;
        if (!deletions.isEmpty()) {
            written += writer.deleteJobs(tx, deletions);
        }
        if (!changes.isEmpty()) {
            Set<String> applied = writer.updateJobs(tx, changes, now);
            written += applied.size();
            changed.forEach((qname, record) -> {
                if (!applied.contains(qname)) {
                    whole.add(GraphRows.job(record));
                }
            });
        }
        if (!whole.isEmpty()) {
            written += writer.upsertJobs(tx, whole, false, pluginsKnown, now);
        }
        return written;
    }

    /** After a job batch is committed: what the graph now has of each job, for the next batch's changes. */
    void rememberWritten(List<JobChange> jobs) {
        for (JobChange c : jobs) {
            if (c.isRemoval()) {
                lastWritten.remove(c.qname());
            } else if (c.removeFirst()) {
                lastWritten.put(c.qname(), c.record().get()); // written afresh, whatever version it had before
            } else {
                lastWritten.merge(c.qname(), c.record().get(),
                        (known, written) -> written.version() > known.version() ? written : known);
            }
        }
    }

    private void failed(GraphEndpoint ep, RuntimeException e) {
        connected = false;
        String why = describe(e);
        closeDriver();
        if (!outageLogged) {
            outageLogged = true;
            outageWarnings++;
            log.warn("graph mirror cannot write to Neo4j{}: {}; the host carries on, and the mirror retries in the"
                    + " background (backoff up to {}) and resyncs once it is back", ep == null ? "" : " at " + ep,
                    why, maxBackoff);
        } else {
            log.debug("graph mirror still cannot write to Neo4j: {}", why);
        }
        lastError = Optional.of(why);
    }

    private void reportDroppedRuns() {
        long dropped = queue.runsDropped();
        Instant now = clock.instant();
        if (dropped > droppedReported
                && Duration.between(droppedReportedAt, now).compareTo(DROP_WARNING_INTERVAL) >= 0) {
            log.warn("graph mirror dropped {} runs so far: more finished than it could write", dropped);
            droppedReported = dropped;
            droppedReportedAt = now;
        }
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message.strip());
    }

    private Duration doubled(Duration backoff) {
        Duration next = backoff.multipliedBy(2);
        return next.compareTo(maxBackoff) > 0 ? maxBackoff : next;
    }

    private boolean stopping() {
        return stop.getCount() == 0;
    }

    /** Sleeps, waking early on close. */
    private void pause(Duration d) throws InterruptedException {
        stop.await(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void closeDriver() {
        Driver d = driver.getAndSet(null);
        if (d != null) {
            try {
                d.close();
            } catch (RuntimeException e) {
                log.debug("closing the graph driver failed", e);
            }
        }
    }
}
