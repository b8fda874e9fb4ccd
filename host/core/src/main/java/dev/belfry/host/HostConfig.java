package dev.belfry.host;

import dev.belfry.api.BackgroundJob;
import dev.belfry.host.internal.ApplicationJobs;
import dev.belfry.host.internal.Seams;
import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.host.internal.state.RunLog;
import dev.belfry.sidecar.SidecarFileOps;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link Host} runs. Immutable; made by {@link #builder()}, where every setting has a default, so that a new
 * setting never breaks a caller.
 *
 * <pre>{@code
 * HostConfig config = HostConfig.builder()
 *         .dataDir(Path.of("data"))
 *         .pluginsDir(Path.of("plugins"))
 *         .maxConcurrentRuns(16)
 *         .build();
 * }</pre>
 */
public final class HostConfig {
    private final Path dataDir;
    private final @Nullable Path pluginsDir;
    private final Clock clock;
    private final int maxConcurrentRuns;
    private final Duration misfireThreshold;
    private final Duration commitInterval;
    private final Duration shutdownGrace;
    private final Duration pluginStopGrace;
    private final Duration orphanRetention;
    private final Duration pluginScanInterval;
    private final int runHistory;
    private final boolean resetState;
    private final boolean requireTrustedPlugins;
    private final boolean exitGuard;
    private final @Nullable ThreadFactory runThreadFactory;
    private final List<HostModule> modules;
    private final List<HostListener> listeners;
    private final Map<String, List<BackgroundJob>> registrations;
    private final SidecarFileOps sidecarFileOps;
    private final JournalStore.Limits journalLimits;

    static {
        // Fault-injection tests reach the state file's operations through Seams, not through the public builder.
        Seams.registerSidecarFileOps((builder, ops) -> ((Builder) builder).sidecarFileOps = ops);
        Seams.registerJournalLimits((builder, limits) -> ((Builder) builder).journalLimits = limits);
    }

    private HostConfig(Builder b) {
        this.dataDir = b.dataDir;
        this.pluginsDir = b.pluginsDir;
        this.clock = b.clock;
        this.maxConcurrentRuns = b.maxConcurrentRuns;
        this.misfireThreshold = b.misfireThreshold;
        this.commitInterval = b.commitInterval;
        this.shutdownGrace = b.shutdownGrace;
        this.pluginStopGrace = b.pluginStopGrace;
        this.orphanRetention = b.orphanRetention;
        this.pluginScanInterval = b.pluginScanInterval;
        this.runHistory = b.runHistory;
        this.resetState = b.resetState;
        this.requireTrustedPlugins = b.requireTrustedPlugins;
        this.exitGuard = b.exitGuard;
        this.runThreadFactory = b.runThreadFactory;
        this.modules = List.copyOf(b.modules);
        this.listeners = List.copyOf(b.listeners);
        this.registrations = Collections.unmodifiableMap(new LinkedHashMap<>(b.registrations));
        this.sidecarFileOps = b.sidecarFileOps;
        this.journalLimits = b.journalLimits;
    }

    /** @return a builder with every default */
    public static Builder builder() {
        return new Builder();
    }

    /** @return where state lives (the sidecar under {@code _system/}); default {@code ./data} */
    public Path dataDir() {
        return dataDir;
    }

    /** @return the folder of plugin jars and exploded plugins; empty when the host loads no plugins */
    public Optional<Path> pluginsDir() {
        return Optional.ofNullable(pluginsDir);
    }

    /** @return the only source of time; default the system clock in UTC */
    public Clock clock() {
        return clock;
    }

    /** @return how many runs may execute at once across all jobs; default 4 per core, at least 8 */
    public int maxConcurrentRuns() {
        return maxConcurrentRuns;
    }

    /** @return how late a fire may be before its misfire policy applies; default 5 s */
    public Duration misfireThreshold() {
        return misfireThreshold;
    }

    /**
     * @return how long a change nobody waits for may stay only in memory before it is appended to the journal (the
     *         bound on unwritten state; a durable start does not wait for it); default 50 ms
     */
    public Duration commitInterval() {
        return commitInterval;
    }

    /** @return how long runs may take to finish at shutdown before they are cancelled; default 30 s */
    public Duration shutdownGrace() {
        return shutdownGrace;
    }

    /** @return how long a stopping plugin's cancelled runs may take to end; default 10 s */
    public Duration pluginStopGrace() {
        return pluginStopGrace;
    }

    /** @return how long an orphaned job's state is kept; default 30 days */
    public Duration orphanRetention() {
        return orphanRetention;
    }

    /** @return how often the plugins folder is checked for changes; zero turns hot deployment off; default 500 ms */
    public Duration pluginScanInterval() {
        return pluginScanInterval;
    }

    /**
     * @return how many of each job's last runs are kept, in memory and across restarts ({@link Host#runs}); 0 keeps
     *         none; default 50
     */
    public int runHistory() {
        return runHistory;
    }

    /** @return whether to start empty if the state file and its backup are both unusable (they are quarantined) */
    public boolean resetState() {
        return resetState;
    }

    /** @return whether only plugin jars whose SHA-256 is pinned in the data directory load; default false */
    public boolean requireTrustedPlugins() {
        return requireTrustedPlugins;
    }

    /** @return whether plugin code is kept from calling {@code System.exit} (a JVM-wide guard); default false */
    public boolean exitGuard() {
        return exitGuard;
    }

    /** @return the factory for the threads runs execute on; empty for the host's own daemon threads */
    public Optional<ThreadFactory> runThreadFactory() {
        return Optional.ofNullable(runThreadFactory);
    }

    /** @return the modules the host runs with (graph mirror, admin API), in the order added */
    public List<HostModule> modules() {
        return modules;
    }

    /** @return the listeners told of job, run and plugin events, in the order added */
    public List<HostListener> listeners() {
        return listeners;
    }

    /**
     * @return the application's own jobs by namespace, registered before the first fire (see
     *         {@link Builder#register(String, BackgroundJob...)})
     */
    public Map<String, List<BackgroundJob>> registrations() {
        return registrations;
    }

    /** @return this configuration with the data directory resolved to its real path, as the host uses it */
    HostConfig withRealDataDir(Path real) {
        Builder b = new Builder();
        b.dataDir = real;
        b.pluginsDir = pluginsDir;
        b.clock = clock;
        b.maxConcurrentRuns = maxConcurrentRuns;
        b.misfireThreshold = misfireThreshold;
        b.commitInterval = commitInterval;
        b.shutdownGrace = shutdownGrace;
        b.pluginStopGrace = pluginStopGrace;
        b.orphanRetention = orphanRetention;
        b.pluginScanInterval = pluginScanInterval;
        b.runHistory = runHistory;
        b.resetState = resetState;
        b.requireTrustedPlugins = requireTrustedPlugins;
        b.exitGuard = exitGuard;
        b.runThreadFactory = runThreadFactory;
        b.modules.addAll(modules);
        b.listeners.addAll(listeners);
        b.registrations.putAll(registrations);
        b.sidecarFileOps = sidecarFileOps;
        b.journalLimits = journalLimits;
        return new HostConfig(b);
    }

    SidecarFileOps sidecarFileOps() {
        return sidecarFileOps;
    }

    JournalStore.Limits journalLimits() {
        return journalLimits;
    }

    /** Builds a {@link HostConfig}; every setter refuses a bad value at once, naming the setting and the value. */
    public static final class Builder {
        private static final Duration AN_HOUR = Duration.ofHours(1);
        private static final Duration A_DAY = Duration.ofDays(1);
        private static final Duration A_YEAR = Duration.ofDays(366);
        private static final int MAX_RUN_HISTORY = RunLog.MAX_PER_JOB;
        private Path dataDir = Path.of("data");
        private @Nullable Path pluginsDir;
        private Clock clock = Clock.systemUTC();
        private int maxConcurrentRuns = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
        private Duration misfireThreshold = Duration.ofSeconds(5);
        private Duration commitInterval = Duration.ofMillis(50);
        private Duration shutdownGrace = Duration.ofSeconds(30);
        private Duration pluginStopGrace = Duration.ofSeconds(10);
        private Duration orphanRetention = Duration.ofDays(30);
        private Duration pluginScanInterval = Duration.ofMillis(500);
        private int runHistory = 50;
        private boolean resetState;
        private boolean requireTrustedPlugins;
        private boolean exitGuard;
        private @Nullable ThreadFactory runThreadFactory;
        private final List<HostModule> modules = new ArrayList<>();
        private final List<HostListener> listeners = new ArrayList<>();
        private final Map<String, List<BackgroundJob>> registrations = new LinkedHashMap<>();
        private SidecarFileOps sidecarFileOps = SidecarFileOps.nio();
        private JournalStore.Limits journalLimits = Seams.journalLimitsForNewHosts();

        private Builder() {
        }

        /**
         * @param dir where state lives; the host creates it (owner-only) if it is missing
         * @return this builder
         */
        public Builder dataDir(Path dir) {
            this.dataDir = required("dataDir", dir);
            return this;
        }

        /**
         * @param dir the folder of plugin jars and exploded plugins; without one the host loads no plugins and runs
         *            only the jobs the application registers
         * @return this builder
         */
        public Builder pluginsDir(Path dir) {
            this.pluginsDir = required("pluginsDir", dir);
            return this;
        }

        /**
         * @param c the only source of time the host uses (a fake one in tests)
         * @return this builder
         */
        public Builder clock(Clock c) {
            this.clock = required("clock", c);
            return this;
        }

        /**
         * @param n how many runs may execute at once across all jobs, at least 1; it bounds the run threads too
         * @return this builder
         */
        public Builder maxConcurrentRuns(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxConcurrentRuns must be at least 1, not '" + n + "'");
            }
            this.maxConcurrentRuns = n;
            return this;
        }

        /**
         * @param perJob how many of each job's last runs to keep, in memory and across restarts, 0 to 10,000; 0
         *               keeps none (the run history files in the data directory are then left as they are)
         * @return this builder
         */
        public Builder runHistory(int perJob) {
            if (perJob < 0 || perJob > MAX_RUN_HISTORY) {
                throw new IllegalArgumentException("runHistory must be 0 to " + MAX_RUN_HISTORY + ", not '" + perJob
                        + "'");
            }
            this.runHistory = perJob;
            return this;
        }

        /**
         * @param d how late a fire may be before its misfire policy applies; positive, at most 366 days
         * @return this builder
         */
        public Builder misfireThreshold(Duration d) {
            this.misfireThreshold = atMost("misfireThreshold", positive("misfireThreshold", d), A_YEAR);
            return this;
        }

        /**
         * @param d how long a change nobody waits for may stay only in memory before it is appended to the journal;
         *          positive, at most an hour
         * @return this builder
         */
        public Builder commitInterval(Duration d) {
            this.commitInterval = atMost("commitInterval", positive("commitInterval", d), AN_HOUR);
            return this;
        }

        /**
         * @param d how long runs may take to finish at shutdown before they are cancelled; 0 to a day
         * @return this builder
         */
        public Builder shutdownGrace(Duration d) {
            this.shutdownGrace = atMost("shutdownGrace", notNegative("shutdownGrace", d), A_DAY);
            return this;
        }

        /**
         * @param d how long a stopping plugin's cancelled runs may take to end; 0 to a day
         * @return this builder
         */
        public Builder pluginStopGrace(Duration d) {
            this.pluginStopGrace = atMost("pluginStopGrace", notNegative("pluginStopGrace", d), A_DAY);
            return this;
        }

        /**
         * @param d how long an orphaned job's state is kept; not negative
         * @return this builder
         */
        public Builder orphanRetention(Duration d) {
            this.orphanRetention = notNegative("orphanRetention", d);
            return this;
        }

        /**
         * @param d how often the plugins folder is checked for changes, at most a day; zero turns hot deployment off
         * @return this builder
         */
        public Builder pluginScanInterval(Duration d) {
            this.pluginScanInterval = atMost("pluginScanInterval", notNegative("pluginScanInterval", d), A_DAY);
            return this;
        }

        /**
         * @param reset whether to start empty when the state file and its backup are both unusable
         * @return this builder
         */
        public Builder resetState(boolean reset) {
            this.resetState = reset;
            return this;
        }

        /**
         * @param required whether only plugin jars pinned with {@code belfry plugins trust} load
         * @return this builder
         */
        public Builder requireTrustedPlugins(boolean required) {
            this.requireTrustedPlugins = required;
            return this;
        }

        /**
         * Keeps plugin code from calling {@code System.exit} while the host runs. The guard is a security manager,
         * which is JVM-wide: an application that owns its JVM (the {@code belfry} command does) turns it on; an
         * embedding application usually leaves it off. It needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}
         * on JDK 17-23 to install quietly, and JDK 24+ has no security manager (the guard is then inert).
         *
         * @param on whether to guard
         * @return this builder
         */
        public Builder exitGuard(boolean on) {
            this.exitGuard = on;
            return this;
        }

        /**
         * @param factory makes the threads runs execute on (at most {@code maxConcurrentRuns} of them, plus those
         *                abandoned runs still hold); default daemon threads named {@code belfry-run-N}
         * @return this builder
         */
        public Builder runThreadFactory(ThreadFactory factory) {
            this.runThreadFactory = required("runThreadFactory", factory);
            return this;
        }

        /**
         * Adds a module: the graph mirror from {@code belfry-graph}, the admin API from {@code belfry-admin}.
         *
         * @param module the module; at most one of each name
         * @return this builder
         */
        public Builder module(HostModule module) {
            required("module", module);
            if (modules.stream().anyMatch(m -> m.name().equals(module.name()))) {
                throw new IllegalArgumentException("module '" + module.name() + "' is already added");
            }
            modules.add(module);
            return this;
        }

        /**
         * @param listener told of job, run and plugin events; called on the host's threads, so it must be quick
         * @return this builder
         */
        public Builder listener(HostListener listener) {
            listeners.add(required("listener", listener));
            return this;
        }

        /**
         * Registers the application's own jobs under a namespace from the start: they are attached before the first
         * fire, so a restarted application's jobs carry on without ever showing as orphans. They are checked here,
         * as {@link Host#register(String, BackgroundJob...)} checks them.
         *
         * @param namespace the jobs' namespace, such as {@code billing}
         * @param jobs      the jobs
         * @return this builder
         * @throws IllegalArgumentException naming the namespace or the job, as {@code Host.register} does
         */
        public Builder register(String namespace, BackgroundJob... jobs) {
            required("namespace", namespace);
            ApplicationJobs.checked(namespace, Arrays.asList(required("jobs", jobs))); // refused now, not at start
            if (registrations.containsKey(namespace)) {
                throw new IllegalArgumentException("namespace '" + namespace + "' is already registered");
            }
            registrations.put(namespace, List.of(jobs));
            return this;
        }

        /** @return the config */
        public HostConfig build() {
            return new HostConfig(this);
        }

        private static <T> T required(String setting, @Nullable T value) {
            if (value == null) {
                throw new IllegalArgumentException(setting + " must not be null");
            }
            return value;
        }

        private static Duration positive(String setting, @Nullable Duration d) {
            if (required(setting, d).isNegative() || d.isZero()) {
                throw new IllegalArgumentException(setting + " must be positive, not '" + d + "'");
            }
            return d;
        }

        /**
         * Bounds far past any sensible setting: beyond them, deadlines computed from the setting (in nanoseconds,
         * or as instants) would overflow and fail later, far from the setting.
         */
        private static Duration atMost(String setting, Duration d, Duration max) {
            if (d.compareTo(max) > 0) {
                throw new IllegalArgumentException(setting + " must be at most " + max + ", not '" + d + "'");
            }
            return d;
        }

        private static Duration notNegative(String setting, @Nullable Duration d) {
            if (required(setting, d).isNegative()) {
                throw new IllegalArgumentException(setting + " must not be negative, not '" + d + "'");
            }
            return d;
        }
    }
}
