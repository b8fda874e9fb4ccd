package dev.belfry.test;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobScheduler;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.host.internal.plugins.ScheduleValidator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link JobContext} for unit-testing one job's {@code run} without a host: it records the progress, the
 * checkpoints and the scheduler calls the run makes, and the test can cancel the run. It checks what the host
 * checks (checkpoint length, schedules of dynamic jobs, duplicate names), so a job that passes here is not refused
 * by a host for those reasons.
 *
 * <pre>{@code
 * FakeJobContext context = FakeJobContext.of("ingest-demo.ingest").checkpoint("100");
 * context.run(new IngestJob());
 * assertThat(context.savedCheckpoints()).containsExactly("200");
 * }</pre>
 *
 * <p>Thread-safe: a test may cancel from another thread while the run is on its own.
 */
public final class FakeJobContext implements JobContext {
    private final QName qname;
    private volatile Instant scheduledFor = Instant.parse("2026-01-01T00:00:00Z");
    private volatile Instant firedAt = scheduledFor;
    private volatile int attempt = 1;
    private volatile boolean cancelled;
    private volatile Thread runner;
    private volatile Optional<String> checkpoint = Optional.empty();
    private final List<Runnable> onCancel = new CopyOnWriteArrayList<>();
    private final List<Progress> progress = new CopyOnWriteArrayList<>();
    private final List<String> saved = new CopyOnWriteArrayList<>();
    private final FakeScheduler scheduler;

    private FakeJobContext(QName qname) {
        this.qname = qname;
        this.scheduler = new FakeScheduler(qname.namespace());
    }

    /**
     * @param qname the job's qualified name, such as {@code hello-jobs.greeting}
     * @return a context for the first attempt of a run scheduled for {@code 2026-01-01T00:00:00Z}, with no
     *         checkpoint
     */
    public static FakeJobContext of(String qname) {
        return new FakeJobContext(QName.parse(qname));
    }

    /**
     * @param text the checkpoint the run finds, as a previous run saved it
     * @return this context
     * @throws IllegalArgumentException if the text is longer than a host keeps
     */
    public FakeJobContext checkpoint(String text) {
        checkLength(Objects.requireNonNull(text, "text"));
        this.checkpoint = Optional.of(text);
        return this;
    }

    /**
     * Names the jobs the plugin declares (the job's own among them, if it is declared), as the host's scheduler
     * knows them: a dynamic job may not take their names, {@code cancel} of one disables it, and
     * {@link JobScheduler#jobs()} lists them.
     *
     * @param names the declared jobs' local names
     * @return this context
     */
    public FakeJobContext declared(String... names) {
        scheduler.declare(names);
        return this;
    }

    /**
     * Runs {@code job} on this thread with this context, as a host's worker would: a {@link #cancel()} from another
     * thread meanwhile interrupts it, as the host interrupts a cancelled run's thread.
     *
     * @param job the job
     * @throws Exception whatever the job's {@code run} throws
     */
    public void run(BackgroundJob job) throws Exception {
        runner = Thread.currentThread();
        try {
            job.run(this);
        } finally {
            runner = null;
            Thread.interrupted(); // an interrupt meant for the run must not leak into the test's next steps
        }
    }

    /**
     * @param at the instant the run is for; also when it fired
     * @return this context
     */
    public FakeJobContext scheduledFor(Instant at) {
        this.scheduledFor = Objects.requireNonNull(at, "at");
        this.firedAt = at;
        return this;
    }

    /**
     * @param n which attempt the run is, 1 for the first
     * @return this context
     */
    public FakeJobContext attempt(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("attempt must be at least 1, not '" + n + "'");
        }
        this.attempt = n;
        return this;
    }

    /**
     * Cancels the run as the host would on a timeout, an operator's cancel or a shutdown: {@link #isCancelled()}
     * turns true and the run's {@code onCancel} callbacks are called, on this thread.
     */
    public void cancel() {
        synchronized (onCancel) {
            if (cancelled) {
                return;
            }
            cancelled = true;
        }
        onCancel.forEach(Runnable::run);
        Thread t = runner;
        if (t != null) {
            t.interrupt();
        }
    }

    /** @return every progress report, oldest first */
    public List<Progress> progressReports() {
        return List.copyOf(progress);
    }

    /** @return every checkpoint the run saved, oldest first */
    public List<String> savedCheckpoints() {
        return List.copyOf(saved);
    }

    /** @return what the run did with its scheduler */
    public FakeScheduler schedulerCalls() {
        return scheduler;
    }

    @Override
    public QName qname() {
        return qname;
    }

    @Override
    public Instant scheduledFor() {
        return scheduledFor;
    }

    @Override
    public Instant firedAt() {
        return firedAt;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public void onCancel(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        synchronized (onCancel) {
            if (!cancelled) {
                onCancel.add(callback);
                return;
            }
        }
        callback.run(); // as the host does: a callback registered after the cancel runs at once
    }

    @Override
    public void progress(double fraction, String message) {
        if (Double.isNaN(fraction)) {
            return;
        }
        progress.add(new Progress(Math.max(0, Math.min(1, fraction)), message == null ? "" : message));
    }

    @Override
    public Optional<String> checkpoint() {
        return checkpoint;
    }

    @Override
    public void saveCheckpoint(String text) {
        checkLength(Objects.requireNonNull(text, "checkpoint"));
        saved.add(text);
        checkpoint = Optional.of(text);
    }

    @Override
    public JobScheduler scheduler() {
        return scheduler;
    }

    private void checkLength(String text) {
        if (text.length() > MAX_CHECKPOINT_CHARS) {
            throw new IllegalArgumentException("job " + qname + ": checkpoint is " + text.length()
                    + " characters long, more than the " + MAX_CHECKPOINT_CHARS + " allowed"); // as the host says
        }
    }

    /**
     * One progress report.
     *
     * @param fraction the fraction done, clamped to 0..1 as the host does
     * @param message  the note that came with it
     */
    public record Progress(double fraction, String message) {
    }

    /** The run's scheduler: it keeps the namespace's dynamic jobs, knows its declared ones, records every call. */
    public static final class FakeScheduler implements JobScheduler {
        private final String namespace;
        private final Map<String, BackgroundJob> jobs = new LinkedHashMap<>();
        private final Set<String> declared = new TreeSet<>();
        private final List<String> calls = new ArrayList<>();
        private final ScheduleValidator validator = ScheduleValidator.compiling();

        private FakeScheduler(String namespace) {
            this.namespace = namespace;
        }

        @Override
        public String namespace() {
            return namespace;
        }

        private synchronized void declare(String... names) {
            declared.addAll(List.of(names));
        }

        @Override
        public synchronized QName add(BackgroundJob job) {
            JobSpec spec = checked(job);
            if (jobs.containsKey(spec.name())) {
                throw new IllegalStateException("job " + namespace + "." + spec.name()
                        + " already exists; use replace to change it");
            }
            jobs.put(spec.name(), job);
            calls.add("add " + spec.name());
            return new QName(namespace, spec.name());
        }

        @Override
        public synchronized QName replace(BackgroundJob job) {
            JobSpec spec = checked(job);
            jobs.put(spec.name(), job);
            calls.add("replace " + spec.name());
            return new QName(namespace, spec.name());
        }

        @Override
        public synchronized boolean cancel(String name) {
            calls.add("cancel " + name);
            return jobs.remove(name) != null || declared.contains(name); // a declared job is disabled, not removed
        }

        @Override
        public synchronized Set<QName> jobs() {
            Set<QName> out = new TreeSet<>();
            jobs.keySet().forEach(n -> out.add(new QName(namespace, n)));
            declared.forEach(n -> out.add(new QName(namespace, n)));
            return out;
        }

        /** @return the calls made, oldest first, as {@code add NAME}, {@code replace NAME}, {@code cancel NAME} */
        public synchronized List<String> calls() {
            return List.copyOf(calls);
        }

        /**
         * @param name a dynamic job's local name
         * @return the job the run added or replaced under that name, if it is still there
         */
        public synchronized Optional<BackgroundJob> job(String name) {
            return Optional.ofNullable(jobs.get(name));
        }

        private JobSpec checked(BackgroundJob job) {
            JobSpec spec = Objects.requireNonNull(job, "job").spec();
            if (spec == null) {
                throw new IllegalArgumentException(job.getClass().getName() + ".spec() returned null");
            }
            try {
                validator.validate(spec.schedule());
            } catch (InvalidScheduleException e) {
                throw e.forJob(namespace, spec.name());
            }
            if (declared.contains(spec.name())) {
                throw new IllegalStateException("job " + namespace + "." + spec.name() + " is declared by plugin "
                        + namespace + "; a dynamic job cannot take its name");
            }
            return spec;
        }
    }
}
