package dev.belfry.host.internal;

import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Hosts that a test drives step by step (belfry-test's {@code ManualHost}): no timer thread and no folder watch;
 * the test moves the clock and asks the host to handle what is due, and runs go to an executor the test holds.
 */
public interface SteppedHosts {

    /**
     * Starts a host as {@link Host#start} does, but without its timer and folder watch.
     *
     * @param config how to run; its clock is the test's
     * @param runs   where runs go; must not run them on the calling thread (hold them and run them later)
     * @return the host
     */
    Host start(HostConfig config, Executor runs);

    /**
     * @param host a stepped host
     * @return how many runs this step handed to the executor
     */
    int runDue(Host host);

    /**
     * @param host a stepped host
     * @return when its next timer falls due
     */
    Optional<Instant> nextDue(Host host);
}
