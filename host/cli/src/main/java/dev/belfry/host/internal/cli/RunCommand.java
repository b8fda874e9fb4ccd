package dev.belfry.host.internal.cli;

import dev.belfry.cluster.ClusterConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.HostStartException;
import dev.belfry.host.admin.AdminModule;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.internal.BackgroundPriority;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code belfry run}: the host in the foreground until SIGTERM or Ctrl-C, then a graceful shutdown (stop firing,
 * let runs finish within the grace period, cancel the rest, write the state).
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the host in the foreground: load the plugins folder and fire its jobs.")
final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);
    private final Clock clock;

    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default ./data).")
    Path data;

    @Option(names = "--plugins", paramLabel = "DIR", description = "Plugins folder (default ./plugins).")
    Path plugins;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Settings file of key = value lines (see docs/operations.md); options given here win.")
    Path configFile;

    @Option(names = "--graph", paramLabel = "off|embedded|URI",
            description = "Mirror of the job graph: the embedded Neo4j (default; off in cluster mode, where it is"
                    + " refused), an external server (bolt://HOST:PORT, password from --graph-password-env/-file),"
                    + " or off.")
    String graph;

    @Option(names = "--admin-port", paramLabel = "PORT|off",
            description = "Port of the admin API on 127.0.0.1 (default " + AdminModule.DEFAULT_PORT
                    + "; 0 picks a free one, written to DIR/admin.url; off turns the API off).")
    String adminPort;

    @Option(names = "--graph-port", paramLabel = "PORT", defaultValue = "7687",
            description = "Bolt port of the embedded Neo4j on 127.0.0.1 (default 7687; 0 picks a free one).")
    int graphPort;

    @picocli.CommandLine.Mixin
    GraphOptions graphOptions;

    @picocli.CommandLine.Mixin
    ClusterOptions clusterOptions;

    @Option(names = "--cluster-lease-time", paramLabel = "DURATION",
            description = "Cluster mode: how long a shard's lease lasts unrenewed, so how soon a crashed host's"
                    + " shards are taken over (default 10s, at least 3s).")
    String clusterLeaseTime;

    @Option(names = "--cluster-address", paramLabel = "TEXT",
            description = "Cluster mode: what belfry status on every host shows for this one (default: this"
                    + " machine's name, with :PORT when --admin-port is a fixed port, not 0 or off).")
    String clusterAddress;

    @Option(names = "--reset-state",
            description = "Start past damaged job state instead of refusing: if the state file and its backup are"
                    + " both unusable, start with no job state (both are moved aside); if the journal is damaged,"
                    + " keep what comes before the damage (the damaged segment is copied whole aside and cut there,"
                    + " or moved aside when nothing before it is usable) and move every later segment aside. Files"
                    + " moved aside get a corrupt-<timestamp> suffix; nothing is deleted, and usable state loads as"
                    + " it is.")
    boolean resetState;

    @Option(names = "--log-format", paramLabel = "text|json",
            description = "How log lines are written to standard error: text (the default), or json, one JSON"
                    + " object per line with the MDC (job, plugin, run) for log shippers. The environment variable"
                    + " BELFRY_LOG_FORMAT sets it too.")
    String logFormat;

    /** The log level the distribution's logback.xml reads, from a system property or the environment. */
    static final String LOG_LEVEL = "BELFRY_LOG_LEVEL";
    private static final List<String> LOG_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");
    /**
     * Logback takes a level it does not know for DEBUG without a word; a typo there is refused before the start.
     *
     * @param value the level asked for, null if none
     * @throws BelfryCli.BadInputException naming the variable and the levels there are
     */
    static void checkLogLevel(String value) {
        if (value != null && !LOG_LEVELS.contains(value.strip().toUpperCase(Locale.ROOT))) {
            throw new BelfryCli.BadInputException(LOG_LEVEL + ": \"" + value + "\" is not a log level (one of "
                    + String.join(", ", LOG_LEVELS) + ")");
        }
    }

    RunCommand(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Integer call() throws InterruptedException {
        checkLogLevel(System.getProperty(LOG_LEVEL, System.getenv(LOG_LEVEL)));
        LogFormat.check(System.getenv(LogFormat.VARIABLE), LogFormat.VARIABLE);
        LogFormat.check(logFormat, "--log-format");
        RunSettings builder = new RunSettings();
        builder.host.clock(clock);
        if (configFile != null) {
            HostConfigFile.apply(configFile, builder);
        }
        if (data != null) {
            builder.host.dataDir(data);
        }
        if (plugins != null) {
            builder.host.pluginsDir(plugins);
        }
        if (adminPort != null) {
            try {
                builder.adminPort = HostConfigFile.adminPort(adminPort);
            } catch (IllegalArgumentException e) {
                throw new BelfryCli.BadInputException("--admin-port: " + e.getMessage());
            }
        }
        ClusterOptions.Settings db = clusterOptions.over(builder.cluster);
        if (db.any()) {
            builder.clusterConfig = Optional.of(clusterConfig(db, builder));
        } else if (clusterLeaseTime != null || clusterAddress != null || builder.clusterLeaseTime.isPresent()
                || builder.clusterAddress.isPresent()) {
            // A cluster setting without a cluster would start a single host in what may be a cluster's data dir.
            String option = clusterLeaseTime != null || builder.clusterLeaseTime.isPresent() ? "cluster-lease-time"
                    : "cluster-address";
            throw new BelfryCli.BadInputException((builder.fromFile.containsKey(option) && (option.equals(
                    "cluster-lease-time") ? clusterLeaseTime == null : clusterAddress == null)
                    ? builder.fromFile.get(option) : "--" + option) + " is a cluster mode setting: give --cluster too"
                    + " (or the settings file's cluster key)");
        }
        builder.graph = graph(builder.clusterConfig.isPresent());
        builder.host.resetState(resetState);
        HostConfig config = builder.build();
        Host host;
        try {
            host = Host.start(config);
        } catch (HostStartException e) {
            spec.commandLine().getErr().println("belfry: " + e.getMessage());
            return BelfryCli.EXIT_FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread stop = new Thread(() -> {
            long signalled = System.nanoTime();
            host.close();
            exitFailedIfStateUnsaved(host.unsavedChanges(), Runtime.getRuntime()::halt);
            haltIfHooksOverrun(signalled + config.shutdownGrace().toNanos());
            stopped.countDown();
        }, "belfry-shutdown");
        try {
            Runtime.getRuntime().addShutdownHook(stop);
        } catch (IllegalStateException shuttingDown) {
            // SIGTERM came while the host was starting: the JVM is running its hooks and ends when they are done,
            // so this thread stops the host as the hook would have, as far as it gets (what is committed is durable).
            stop.run();
            return 0;
        }
        // This JVM is the host alone: code compiled late (a dashboard's pages) waits for a core a fire needs.
        BackgroundPriority.lowerCompilerThreads();
        stopped.await(); // until SIGTERM / Ctrl-C runs the hook
        return 0;
    }

    /**
     * Each host of a cluster mirrors only the shards it owns, so an embedded Neo4j per host would show each a part of
     * the jobs: the cluster's graph is one external server, or none.
     */
    GraphConfig graph(boolean cluster) {
        if (cluster && "embedded".equals(graph)) {
            throw new BelfryCli.BadInputException("--graph embedded cannot be used in cluster mode (each host would"
                    + " mirror only its own shards); give --graph bolt://HOST:PORT for the cluster's one Neo4j, or"
                    + " --graph off");
        }
        if (graph == null) {
            return cluster ? GraphConfig.off() : graphOptions.config("embedded", graphPort);
        }
        return graphOptions.config(graph, graphPort);
    }

    private ClusterConfig clusterConfig(ClusterOptions.Settings db, RunSettings settings) {
        // A setting the command line did not give came from the settings file, whose errors name file, line and key.
        UnaryOperator<String> label = key -> spec.commandLine().getParseResult().hasMatchedOption("--" + key)
                ? "--" + key : settings.fromFile.getOrDefault(key, "--" + key);
        ClusterConfig.Builder b = db.builder(label);
        Optional<Duration> lease = settings.clusterLeaseTime;
        if (clusterLeaseTime != null) {
            try {
                lease = Optional.of(HostConfigFile.duration(clusterLeaseTime));
            } catch (IllegalArgumentException e) {
                throw new BelfryCli.BadInputException("--cluster-lease-time: " + e.getMessage());
            }
        }
        lease.ifPresent(b::leaseTime);
        b.address(clusterAddress != null ? clusterAddress
                : settings.clusterAddress.orElseGet(() -> defaultAddress(settings.adminPort)));
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new BelfryCli.BadInputException(label.apply("cluster-lease-time") + ": " + e.getMessage());
        }
    }

    /** What the other hosts show for this one unless told: the machine, and the admin port when it is fixed. */
    static String defaultAddress(int adminPort) {
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            name = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown host");
        }
        return adminPort > 0 ? name + ":" + adminPort : name;
    }

    /**
     * After SIGTERM the JVM exits 143, which service managers are told to count as success; a shutdown that left state
     * changes off the disk must not pass for one, so the process ends with 1 instead (halt is the only way to set the
     * status from a shutdown hook).
     *
     * @param unsaved the state changes the final write could not save
     * @param halt    ends the process with the given status
     */
    static void exitFailedIfStateUnsaved(long unsaved, IntConsumer halt) {
        if (unsaved > 0) {
            log.error("exiting with status 1: {} state change(s) could not be saved (see above)", unsaved);
            System.out.flush();
            System.err.flush();
            halt.accept(BelfryCli.EXIT_FAILED);
        }
    }

    /**
     * The JVM ends only once every shutdown hook has returned, and a plugin may have registered one that never does:
     * the host would have stopped yet the process would live on, and a service manager would wait for it until it
     * kills. A daemon thread ends the process at the end of the shutdown grace if the hooks have not let it end by
     * then (at least a second after the host stopped, so other hooks can finish their work). Exit status 143 is what
     * the JVM gives after SIGTERM.
     */
    private static void haltIfHooksOverrun(long deadlineNanos) {
        long at = Math.max(deadlineNanos, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
        Thread watchdog = new Thread(() -> {
            try {
                TimeUnit.NANOSECONDS.sleep(at - System.nanoTime());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            List<String> others = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.isAlive() && !t.isDaemon() && t != Thread.currentThread())
                    .map(Thread::getName).filter(n -> !n.equals("main") && !n.equals("DestroyJavaVM")).sorted()
                    .toList();
            log.warn("Belfry stopped, but a shutdown hook that is not Belfry's (a plugin's?) is still running at the"
                    + " end of the shutdown grace; ending the JVM without it (threads still running: {})", others);
            Runtime.getRuntime().halt(143);
        }, "belfry-exit-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }
}
