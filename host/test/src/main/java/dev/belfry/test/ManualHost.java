package dev.belfry.test;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.QName;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.HostListener;
import dev.belfry.host.JobView;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.Seams;
import dev.belfry.host.internal.SteppedHosts;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A real host, with its real engine, state file and policies, that a test drives by hand: it has no timer thread,
 * its clock moves only when the test says so, and runs execute on the test's own thread. Nothing sleeps.
 *
 * <pre>{@code
 * try (ManualHost host = ManualHost.builder(tempDir).register("billing", new InvoiceJob()).start()) {
 *     host.advance(Duration.ofHours(1));          // fires what falls due in that hour, in order
 *     assertThat(host.job("billing.invoices").runCount()).isEqualTo(1);
 * }
 * }</pre>
 *
 * <p>A run executes when the step that dispatched it ends ({@link #advance}, {@link #runDue}, {@link #trigger}),
 * unless the test {@linkplain Builder#holdRuns() holds runs} to look at them while they are "running" and lets
 * them go with {@link #runPending()}. A run on the test's thread cannot be timed out while it runs.
 */
public final class ManualHost implements AutoCloseable {
    /** A bound on the steps of one advance, so that a schedule that never moves on fails the test, not hangs it. */
    private static final int MAX_STEPS = 1_000_000;

    private final Host host;
    private final SettableClock clock;
    private final boolean holdRuns;
    private final SteppedHosts stepping = Seams.steppedHosts();
    /** Runs the engine dispatched and the test has not executed yet; guarded by itself. */
    private final Deque<Runnable> pending = new ArrayDeque<>();

    private ManualHost(Builder b) {
        this.clock = b.clock;
        this.holdRuns = b.holdRuns;
        HostConfig.Builder config = HostConfig.builder().dataDir(b.dataDir).clock(clock)
                .pluginScanInterval(Duration.ZERO);
        if (b.pluginsDir != null) {
            config.pluginsDir(b.pluginsDir);
        }
        b.registrations.forEach((ns, jobs) -> config.register(ns, jobs.toArray(BackgroundJob[]::new)));
        b.listeners.forEach(config::listener);
        b.more.accept(config);
        this.host = stepping.start(config.build(), this::hold);
        if (!holdRuns) {
            runPending(); // fires a restart's misfire policy runs at once, as a host does
        }
    }

    /**
     * @param dataDir the host's data directory (a test's temporary directory)
     * @return a builder with a clock at {@code 2026-01-01T00:00:00Z}, no plugins folder and runs executed at once
     */
    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    private void hold(Runnable run) {
        synchronized (pending) {
            pending.addLast(run);
        }
    }

    /** @return the host, for everything this class does not wrap */
    public Host host() {
        return host;
    }

    /** @return the host's clock */
    public SettableClock clock() {
        return clock;
    }

    /**
     * Moves the clock forwards by {@code d}, stopping at every instant something falls due on the way (fires,
     * retries, misfire checks) to handle it and execute its runs, so that things happen in the order and at the
     * instants they would in production.
     *
     * @param d how far to move; not negative
     * @return how many runs executed
     */
    public int advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("advance takes a duration that is not negative, not '" + d + "'");
        }
        Instant target = clock.instant().plus(d);
        int ran = 0;
        for (int step = 0; step < MAX_STEPS; step++) {
            Optional<Instant> due = stepping.nextDue(host);
            if (due.isEmpty() || due.get().isAfter(target)) {
                clock.set(target);
                return ran + runDue();
            }
            if (due.get().isAfter(clock.instant())) {
                clock.set(due.get());
            }
            ran += runDue();
        }
        throw new IllegalStateException("advance(" + d + ") took more than " + MAX_STEPS + " steps; a timer keeps"
                + " falling due at " + clock.instant());
    }

    /**
     * Handles what is due at the clock's current instant and executes the runs it starts (unless runs are held).
     *
     * @return how many runs executed
     */
    public int runDue() {
        stepping.runDue(host);
        return holdRuns ? 0 : runPending();
    }

    /**
     * Executes, on this thread, every run dispatched and not yet executed, including those they lead to.
     *
     * @return how many runs executed
     */
    public int runPending() {
        int ran = 0;
        while (true) {
            Runnable next;
            synchronized (pending) {
                next = pending.pollFirst();
            }
            if (next == null) {
                return ran;
            }
            next.run();
            ran++;
        }
    }

    /** @return how many dispatched runs wait for {@link #runPending()} */
    public int pendingRuns() {
        synchronized (pending) {
            return pending.size();
        }
    }

    /**
     * Fires a job now, as {@link Host#trigger} does, and executes its run (unless runs are held).
     *
     * @param qname the job, such as {@code billing.invoices}
     * @return what happened
     */
    public TriggerOutcome trigger(String qname) {
        TriggerOutcome outcome = host.trigger(QName.parse(qname));
        if (!holdRuns) {
            runPending();
        }
        return outcome;
    }

    /**
     * @param qname a job's name, such as {@code billing.invoices}
     * @return the job
     * @throws AssertionError if there is no such job
     */
    public JobView job(String qname) {
        return host.job(QName.parse(qname)).orElseThrow(() -> new AssertionError("no job " + qname + "; the host has "
                + host.jobs().stream().map(j -> j.qname().toString()).toList()));
    }

    /** @return every job */
    public List<JobView> jobs() {
        return host.jobs();
    }

    /** Closes the host; runs still pending are dropped (the host records them as cut off). */
    @Override
    public void close() {
        host.close();
    }

    /** Builds a {@link ManualHost}. */
    public static final class Builder {
        private final Path dataDir;
        private SettableClock clock = SettableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
        private Path pluginsDir;
        private boolean holdRuns;
        private final java.util.Map<String, List<BackgroundJob>> registrations = new java.util.LinkedHashMap<>();
        private final List<HostListener> listeners = new java.util.ArrayList<>();
        private Consumer<HostConfig.Builder> more = b -> { };

        private Builder(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        }

        /**
         * @param c the clock the host runs on
         * @return this builder
         */
        public Builder clock(SettableClock c) {
            this.clock = Objects.requireNonNull(c, "clock");
            return this;
        }

        /**
         * @param dir a folder of plugin jars, loaded once at start
         * @return this builder
         */
        public Builder pluginsDir(Path dir) {
            this.pluginsDir = Objects.requireNonNull(dir, "pluginsDir");
            return this;
        }

        /**
         * @param namespace the jobs' namespace
         * @param jobs      the application's jobs, as {@link HostConfig.Builder#register} takes them
         * @return this builder
         */
        public Builder register(String namespace, BackgroundJob... jobs) {
            registrations.put(namespace, List.of(jobs));
            return this;
        }

        /**
         * @param l a listener, as {@link HostConfig.Builder#listener} takes it
         * @return this builder
         */
        public Builder listener(HostListener l) {
            listeners.add(Objects.requireNonNull(l, "listener"));
            return this;
        }

        /**
         * Keeps dispatched runs until {@link ManualHost#runPending()}, to look at runs in flight.
         *
         * @return this builder
         */
        public Builder holdRuns() {
            this.holdRuns = true;
            return this;
        }

        /**
         * @param settings any other host setting (misfire threshold, max concurrent runs, ...)
         * @return this builder
         */
        public Builder configure(Consumer<HostConfig.Builder> settings) {
            this.more = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * @return the started host, its registered jobs attached; nothing has fired but what a restart's misfire
         *         policy runs at once (executed already, unless runs are held)
         */
        public ManualHost start() {
            return new ManualHost(this);
        }
    }
}
