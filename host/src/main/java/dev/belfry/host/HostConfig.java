package dev.belfry.host;

import dev.belfry.sidecar.SidecarFileOps;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Host} runs. Immutable; build with {@link #builder()}, where every value has a default.
 *
 * @param dataDir            where state lives (the sidecar under {@code _system/}); default {@code ./data}
 * @param pluginsDir         the folder of plugin jars and exploded plugins; default {@code ./plugins}
 * @param clock              the only source of time; default the system clock in UTC
 * @param maxConcurrentRuns  runs executing at once across all jobs; default 4 per core, at least 8
 * @param misfireThreshold   how late a fire may be before its misfire policy applies; default 5 s
 * @param commitInterval     the sidecar's group-commit interval, the bound on unwritten state; default 50 ms
 * @param shutdownGrace      how long runs may take to finish at shutdown before they are cancelled; default 30 s
 * @param pluginStopGrace    how long a stopping plugin's cancelled runs may take to end; default 10 s
 * @param orphanRetention    how long an orphaned job's state is kept; default 30 days
 * @param pluginScanInterval how often the plugins folder is checked for changes; zero turns hot deployment off;
 *                           default 500 ms
 * @param resetState         start empty if the sidecar and its backup are both unusable (they are quarantined)
 * @param graph              where the job graph is mirrored; default the embedded Neo4j
 * @param adminPort          the admin API's port on 127.0.0.1; {@value #ANY_FREE_PORT} picks a free port (its
 *                           address is in {@code <data>/admin.url}); {@value #ADMIN_OFF} turns the API off; default
 *                           {@value #DEFAULT_ADMIN_PORT}
 * @param sidecarFileOps     the file operations the state file is written with; default real NIO (a seam for
 *                           fault-injection tests and unusual file systems)
 * @param requireTrustedPlugins only plugin jars whose SHA-256 is pinned in the data directory load (see
 *                           {@code belfry plugins trust}); default false
 */
public record HostConfig(Path dataDir, Path pluginsDir, Clock clock, int maxConcurrentRuns,
                         Duration misfireThreshold, Duration commitInterval, Duration shutdownGrace,
                         Duration pluginStopGrace, Duration orphanRetention, Duration pluginScanInterval,
                         boolean resetState, GraphConfig graph, int adminPort,
                         SidecarFileOps sidecarFileOps, boolean requireTrustedPlugins) {

    /** The admin API's default port. */
    public static final int DEFAULT_ADMIN_PORT = 7688;
    /** An admin port value that lets the system pick a free port (tests, several hosts on one machine). */
    public static final int ANY_FREE_PORT = 0;
    /** The admin port value that turns the admin API off ({@code --admin-port off}). */
    public static final int ADMIN_OFF = -1;

    /**
     * Validates the values.
     *
     * @throws IllegalArgumentException naming the value that is out of range
     */
    public HostConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(pluginsDir, "pluginsDir");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(graph, "graph");
        Objects.requireNonNull(sidecarFileOps, "sidecarFileOps");
        requirePositive("commitInterval", commitInterval);
        requirePositive("misfireThreshold", misfireThreshold);
        requireNotNegative("shutdownGrace", shutdownGrace);
        requireNotNegative("pluginStopGrace", pluginStopGrace);
        requireNotNegative("orphanRetention", orphanRetention);
        requireNotNegative("pluginScanInterval", pluginScanInterval);
        if (maxConcurrentRuns < 1) {
            throw new IllegalArgumentException("maxConcurrentRuns must be at least 1: " + maxConcurrentRuns);
        }
        checkAdminPort(adminPort);
    }

    private static void checkAdminPort(int port) {
        if (port < ADMIN_OFF || port > 65_535) {
            throw new IllegalArgumentException("adminPort must be between 0 (any free port) and 65535, or -1 (off): "
                    + port);
        }
    }


    private static void requirePositive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }

    private static void requireNotNegative(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative: " + d);
        }
    }

    /** @return a builder with every default */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link HostConfig}. */
    public static final class Builder {
        private Path dataDir = Path.of("data");
        private Path pluginsDir = Path.of("plugins");
        private Clock clock = Clock.systemUTC();
        private int maxConcurrentRuns = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
        private Duration misfireThreshold = Duration.ofSeconds(5);
        private Duration commitInterval = Duration.ofMillis(50);
        private Duration shutdownGrace = Duration.ofSeconds(30);
        private Duration pluginStopGrace = Duration.ofSeconds(10);
        private Duration orphanRetention = Duration.ofDays(30);
        private Duration pluginScanInterval = Duration.ofMillis(500);
        private boolean resetState;
        private GraphConfig graph = GraphConfig.embedded();
        private int adminPort = DEFAULT_ADMIN_PORT;
        private SidecarFileOps sidecarFileOps = SidecarFileOps.nio();
        private boolean requireTrustedPlugins;

        private Builder() {
        }

        /** @param dir the data directory @return this builder */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /** @param dir the plugins folder @return this builder */
        public Builder pluginsDir(Path dir) {
            this.pluginsDir = dir;
            return this;
        }

        /** @param c the clock @return this builder */
        public Builder clock(Clock c) {
            this.clock = c;
            return this;
        }

        /** @param n runs at once @return this builder */
        public Builder maxConcurrentRuns(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxConcurrentRuns must be at least 1: " + n);
            }
            this.maxConcurrentRuns = n;
            return this;
        }

        /** @param d the misfire threshold @return this builder */
        public Builder misfireThreshold(Duration d) {
            requirePositive("misfireThreshold", d);
            this.misfireThreshold = d;
            return this;
        }

        /** @param d the commit interval @return this builder */
        public Builder commitInterval(Duration d) {
            requirePositive("commitInterval", d);
            this.commitInterval = d;
            return this;
        }

        /** @param d the shutdown grace @return this builder */
        public Builder shutdownGrace(Duration d) {
            requireNotNegative("shutdownGrace", d);
            this.shutdownGrace = d;
            return this;
        }

        /** @param d the plugin stop grace @return this builder */
        public Builder pluginStopGrace(Duration d) {
            requireNotNegative("pluginStopGrace", d);
            this.pluginStopGrace = d;
            return this;
        }

        /** @param d the orphan retention @return this builder */
        public Builder orphanRetention(Duration d) {
            requireNotNegative("orphanRetention", d);
            this.orphanRetention = d;
            return this;
        }

        /** @param d the plugin scan interval, zero for none @return this builder */
        public Builder pluginScanInterval(Duration d) {
            requireNotNegative("pluginScanInterval", d);
            this.pluginScanInterval = d;
            return this;
        }

        /** @param reset whether to start empty when the state is unusable @return this builder */
        public Builder resetState(boolean reset) {
            this.resetState = reset;
            return this;
        }

        /** @param g where the job graph is mirrored @return this builder */
        public Builder graph(GraphConfig g) {
            this.graph = Objects.requireNonNull(g, "graph");
            return this;
        }

        /** @param port the admin port: 0 any free port, -1 ({@link #ADMIN_OFF}) off @return this builder */
        public Builder adminPort(int port) {
            checkAdminPort(port);
            this.adminPort = port;
            return this;
        }

        /** @param ops the state file's file operations @return this builder */
        public Builder sidecarFileOps(SidecarFileOps ops) {
            this.sidecarFileOps = Objects.requireNonNull(ops, "sidecarFileOps");
            return this;
        }

        /** @param required whether only pinned plugin jars load @return this builder */
        public Builder requireTrustedPlugins(boolean required) {
            this.requireTrustedPlugins = required;
            return this;
        }

        /** @return the config @throws IllegalArgumentException if a value is out of range */
        public HostConfig build() {
            return new HostConfig(dataDir, pluginsDir, clock, maxConcurrentRuns, misfireThreshold, commitInterval,
                    shutdownGrace, pluginStopGrace, orphanRetention, pluginScanInterval, resetState, graph,
                    adminPort, sidecarFileOps, requireTrustedPlugins);
        }
    }
}
