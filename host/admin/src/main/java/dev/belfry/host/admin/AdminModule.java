package dev.belfry.host.admin;

import dev.belfry.host.HostModule;
import dev.belfry.host.internal.admin.AdminHostModule;

/**
 * The admin API as a host module: an HTTP API on 127.0.0.1 that the {@code belfry} command line uses (jobs,
 * plugins, health, Prometheus metrics at {@code /metrics}), authenticated by a token kept owner-only in the data
 * directory, plus the host's figures over JMX.
 *
 * <pre>{@code
 * HostConfig.builder().module(AdminModule.onPort(AdminModule.DEFAULT_PORT))
 * }</pre>
 */
public final class AdminModule {
    /** The admin API's default port. */
    public static final int DEFAULT_PORT = 7688;
    /** The port value that lets the system pick a free port; its address is in {@code <data>/admin.url}. */
    public static final int ANY_FREE_PORT = 0;
    /** How many jobs get metric series of their own by default (docs/operations.md, "Metrics"). */
    public static final int DEFAULT_JOB_LABEL_LIMIT = dev.belfry.host.internal.module.JobLabels.DEFAULT_LIMIT;

    private AdminModule() {
    }

    /**
     * @param port the port on 127.0.0.1, 1 to 65535, or {@link #ANY_FREE_PORT}
     * @return the module: the HTTP API and JMX
     * @throws IllegalArgumentException naming the port if it is out of range
     */
    public static HostModule onPort(int port) {
        return onPort(port, DEFAULT_JOB_LABEL_LIMIT);
    }

    /**
     * @param port          the port on 127.0.0.1, 1 to 65535, or {@link #ANY_FREE_PORT}
     * @param jobLabelLimit how many jobs get metric series of their own (labelled with the job); the runs of
     *                      further jobs are counted per plugin under {@code belfry_job="_other"}; 0 for per-plugin series only
     * @return the module: the HTTP API and JMX
     * @throws IllegalArgumentException naming the port or the limit if it is out of range
     */
    public static HostModule onPort(int port, int jobLabelLimit) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("admin port must be between 0 (any free port) and 65535, not '"
                    + port + "'");
        }
        return new AdminHostModule(port, jobLabelLimit);
    }

    /**
     * @return the module without the HTTP API: JMX only; a stale {@code admin.url} of an earlier run is removed so
     *         that the command line does not talk to a port someone else may hold now
     */
    public static HostModule jmxOnly() {
        return jmxOnly(DEFAULT_JOB_LABEL_LIMIT);
    }

    /**
     * @param jobLabelLimit as for {@link #onPort(int, int)}
     * @return the module without the HTTP API (see {@link #jmxOnly()})
     */
    public static HostModule jmxOnly(int jobLabelLimit) {
        return new AdminHostModule(-1, jobLabelLimit);
    }
}
