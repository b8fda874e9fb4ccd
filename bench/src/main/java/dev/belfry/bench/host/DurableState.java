package dev.belfry.bench.host;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.engine.EngineStats;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.host.internal.state.StateLoader;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.SidecarFileOps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The durable measurements: Belfry's engine over the real {@link JournalStore} in a temporary directory, firing
 * {@code jobs / period} times a second. In order, on one engine and store:
 * <ol>
 *   <li>fire lag over the measured window, with a checkpoint of every job forced into its middle (the store's
 *       checkpoint age is set to fall there), the lag of the fires that started while it ran, and the bytes the
 *       process wrote to disk in the window ({@code /proc/self/io});</li>
 *   <li>durable-start acknowledgements at a steady rate while the jobs go on firing: {@code put} of a record, then
 *       {@code durable(ticket)}; the time from the put to the acknowledgement;</li>
 *   <li>with the engine stopped, durable starts per second at saturation: threads that each put a record and wait
 *       for it to be durable, over and over.</li>
 * </ol>
 */
final class DurableState {
    private static final Duration SAMPLE_EVERY = Duration.ofMillis(1);
    private static final int[] SATURATION_THREADS = {8, 64};

    private final Options options;

    DurableState(Options options) {
        this.options = options;
    }

    String run() throws Exception {
        Clock clock = Clock.systemUTC();
        LagRecorder lag = new LagRecorder();
        LagRecorder duringCheckpoint = new LagRecorder();
        AtomicBoolean checkpointing = new AtomicBoolean();
        LongAdder started = new LongAdder();
        List<PluginJob> jobs = BelfryRig.periodicJobs(options.jobs(), options.period(), context -> {
            long lagNanos = Duration.between(context.scheduledFor(), clock.instant()).toNanos();
            lag.record(lagNanos);
            if (checkpointing.get()) {
                duringCheckpoint.record(lagNanos);
            }
            started.increment();
        });
        // The first segment reaches this age in the middle of the measured window; the next one only after it.
        Duration checkpointAt = options.warmup().plus(options.measure().dividedBy(2));
        JournalStore.Limits limits = new JournalStore.Limits(JournalStore.Limits.DEFAULT.checkpointBytes(),
                checkpointAt, 1L << 20);
        Path dir = Files.createTempDirectory("belfry-bench-durable-");
        JournalStore store = StateLoader.load(dir, SidecarFileOps.nio(), clock, Duration.ofMillis(50), limits, false)
                .store();
        store.start();
        ExecutorService workers = BelfryRig.workers();
        Engine engine = BelfryRig.engine(clock, store, workers, EngineListener.NONE);
        StringBuilder out = new StringBuilder();
        Sampler sampler = new Sampler(store, checkpointing);
        try {
            engine.attach(BelfryRig.PLUGIN, jobs);
            engine.start();
            sampler.start();
            Thread.sleep(options.warmup().toMillis());

            lag.interval();
            duringCheckpoint.interval();
            long started0 = started.sum();
            long cpu0 = Machine.processCpuNanos();
            long[] gc0 = Machine.gcTimeAndCount();
            long disk0 = Machine.diskWriteBytes();
            long allocated0 = Machine.allocatedBytes();
            long journal0 = sampler.journalBytes();
            long checkpoints0 = store.health().checkpoints();
            long t0 = System.nanoTime();
            Thread.sleep(options.measure().toMillis());
            long elapsed = System.nanoTime() - t0;
            LagRecorder.Snapshot window = lag.interval();
            LagRecorder.Snapshot checkpointWindow = duringCheckpoint.interval();
            long fires = started.sum() - started0;
            long disk = Machine.diskWriteBytes() - disk0;
            long allocated = Machine.allocatedBytes() - allocated0;
            long journal = sampler.journalBytes() - journal0;
            long cpu = Machine.processCpuNanos() - cpu0;
            long[] gc = Machine.gcTimeAndCount();
            StateStore.Health h = store.health();
            long expected = Math.round(options.jobs() * (double) elapsed / options.period().toNanos());
            EngineStats stats = engine.stats();
            out.append(new FireLag.Result("Belfry (journal store)", window, expected, fires, 100.0 * cpu / elapsed,
                    gc[0] - gc0[0], gc[1] - gc0[1], String.format(Locale.ROOT, "engine: skipped %d, missed %d,"
                    + " waiting for worker %d", stats.firesSkipped(), stats.firesMissed(),
                    stats.firesWaitingForWorker())).line()).append('\n');
            out.append(String.format(Locale.ROOT, "  checkpoints in the window: %d (sidecar %,d bytes), each %s;"
                            + " fires started while one ran: %,d, lag p50 %s p99 %s p99.9 %s max %s ms%n",
                    h.checkpoints() - checkpoints0, h.checkpointBytes(), sampler.checkpointTimes(),
                    checkpointWindow.count(), FireLag.ms(checkpointWindow.percentile(50)),
                    FireLag.ms(checkpointWindow.percentile(99)), FireLag.ms(checkpointWindow.percentile(99.9)),
                    FireLag.ms(checkpointWindow.max())));
            out.append(String.format(Locale.ROOT, "  disk: %,d bytes written by the process in the window"
                            + " (/proc/self/io write_bytes - cancelled_write_bytes) = %.0f bytes per fire; journal"
                            + " appended %,d bytes = %.1f bytes per fire; %d commits so far%n"
                            + "  heap: %,.0f bytes allocated per fire (all threads of the process, the benchmark's"
                            + " own sampler and probe included)%n", disk,
                    disk / (double) Math.max(1, fires), journal, journal / (double) Math.max(1, fires),
                    h.commits(), allocated / (double) Math.max(1, fires)));

            out.append(acknowledgements(store, lag, started)).append('\n');
            engine.shutdown(Duration.ofSeconds(1));
            for (int threads : SATURATION_THREADS) {
                out.append(saturation(store, threads)).append('\n');
            }
            return out.toString();
        } finally {
            sampler.interrupt();
            engine.shutdown(Duration.ofSeconds(1));
            workers.shutdownNow();
            store.close(Duration.ofSeconds(30));
            Options.deleteTree(dir);
        }
    }

    /**
     * {@code ackRate} durable starts a second for {@code ackTime}, each a put of a job the engine does not know and
     * a wait for its ticket, issued on a fixed timetable (not after the previous acknowledgement, so a slow sync
     * shows in the latencies of every start that waited for it).
     */
    private String acknowledgements(JournalStore store, LagRecorder lag, LongAdder started) {
        int rate = options.ackRate();
        Recorder acks = new Recorder(3);
        LongAdder failed = new LongAdder();
        Schedule schedule = Schedule.once(Instant.parse("2030-01-01T00:00:00Z"));
        JobRecord[] records = new JobRecord[rate];
        for (int i = 0; i < rate; i++) {
            records[i] = JobRecord.pending(new QName(BelfryRig.PLUGIN, "once-" + i), BelfryRig.PLUGIN, schedule)
                    .withDynamic(true);
        }
        lag.interval();
        long started0 = started.sum();
        long spacing = 1_000_000_000L / rate;
        long total = options.ackTime().toNanos() / spacing;
        long t0 = System.nanoTime();
        for (long i = 0; i < total; i++) {
            long due = t0 + i * spacing;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            JobRecord r = records[(int) (i % rate)];
            long putAt = System.nanoTime();
            long ticket = store.put(r.withRunStarted(Instant.now(), i + 1).withStatus(JobStatus.RUNNING));
            store.durable(ticket).whenComplete((v, e) -> {
                if (e == null) {
                    acks.recordValue((System.nanoTime() - putAt) / 1_000);
                } else {
                    failed.increment();
                }
            });
        }
        store.flush().join();
        double seconds = (System.nanoTime() - t0) / 1e9;
        Histogram h = acks.getIntervalHistogram();
        LagRecorder.Snapshot firing = lag.interval();
        return String.format(Locale.ROOT, "durable-start acknowledgement at %,d/s for %.0f s while firing (put, then"
                        + " durable(ticket)): %,d acknowledged, %d failed; p50 %s p99 %s p99.9 %s max %s ms%n"
                        + "  fire lag meanwhile (%,d fires): p50 %s p99 %s p99.9 %s max %s ms", rate, seconds,
                h.getTotalCount(), failed.sum(), FireLag.ms(h.getValueAtPercentile(50)),
                FireLag.ms(h.getValueAtPercentile(99)), FireLag.ms(h.getValueAtPercentile(99.9)),
                FireLag.ms(h.getMaxValue()), started.sum() - started0, FireLag.ms(firing.percentile(50)),
                FireLag.ms(firing.percentile(99)), FireLag.ms(firing.percentile(99.9)), FireLag.ms(firing.max()));
    }

    /** Threads that each put a record of their own job and wait for it to be durable, as fast as they can. */
    private String saturation(JournalStore store, int threads) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder done = new LongAdder();
        Schedule schedule = Schedule.once(Instant.parse("2030-01-01T00:00:00Z"));
        List<Thread> starters = new ArrayList<>();
        long commits0 = store.health().commits();
        for (int t = 0; t < threads; t++) {
            JobRecord base = JobRecord.pending(new QName(BelfryRig.PLUGIN, "burst-" + t), BelfryRig.PLUGIN, schedule)
                    .withDynamic(true);
            Thread starter = new Thread(() -> {
                long n = 0;
                while (!stop.get()) {
                    long ticket = store.put(base.withRunStarted(Instant.now(), ++n).withStatus(JobStatus.RUNNING));
                    store.durable(ticket).join();
                    done.increment();
                }
            }, "bench-durable-" + t);
            starter.setDaemon(true);
            starters.add(starter);
        }
        long cpu0 = Machine.processCpuNanos();
        long t0 = System.nanoTime();
        starters.forEach(Thread::start);
        Thread.sleep(options.ackTime().toMillis() / 2);
        stop.set(true);
        for (Thread t : starters) {
            t.join();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long commits = store.health().commits() - commits0;
        return String.format(Locale.ROOT, "durable starts at saturation, %d threads (put, wait for durable, again),"
                        + " engine stopped, %,d jobs in the store: %,.0f/s over %.1f s, %,.0f syncs/s (%.1f starts"
                        + " per sync), CPU %.0f%% of one core", threads, store.snapshot().size(), done.sum() / seconds,
                seconds, commits / seconds, done.sum() / (double) Math.max(1, commits),
                100.0 * (Machine.processCpuNanos() - cpu0) / (System.nanoTime() - t0));
    }

    /**
     * Watches the store's health every millisecond: a segment smaller than at the last look means the writer rolled
     * to a new one and handed a checkpoint to its thread; the count of checkpoints going up means it is written.
     */
    private static final class Sampler extends Thread {
        private final JournalStore store;
        private final AtomicBoolean checkpointing;
        private final LongAdder journal = new LongAdder();
        private final StringBuilder times = new StringBuilder();

        Sampler(JournalStore store, AtomicBoolean checkpointing) {
            super("bench-health-sampler");
            setDaemon(true);
            this.store = store;
            this.checkpointing = checkpointing;
        }

        long journalBytes() {
            return journal.sum();
        }

        synchronized String checkpointTimes() {
            return times.length() == 0 ? "(none seen)" : times.toString();
        }

        @Override
        public void run() {
            StateStore.Health last = store.health();
            long rolledAt = 0;
            while (!isInterrupted()) {
                LockSupport.parkNanos(SAMPLE_EVERY.toNanos());
                StateStore.Health h = store.health();
                if (h.journalBytes() < last.journalBytes()) {
                    journal.add(h.journalBytes());
                    checkpointing.set(true);
                    rolledAt = System.nanoTime();
                } else {
                    journal.add(h.journalBytes() - last.journalBytes());
                }
                if (h.checkpoints() > last.checkpoints() && checkpointing.get()) {
                    checkpointing.set(false);
                    synchronized (this) {
                        times.append(times.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                                "%.0f ms from the roll to written",
                                TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - rolledAt) / 1000.0));
                    }
                }
                last = h;
            }
        }
    }
}
