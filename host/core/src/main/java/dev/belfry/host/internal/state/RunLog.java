package dev.belfry.host.internal.state;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JournalWriter;
import dev.belfry.sidecar.RunLogRecords;
import dev.belfry.sidecar.SidecarFileOps;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's durable run history: the last runs of every job, in memory in a compact form, and on disk in a log of
 * its own beside the job state's journal ({@code <data>/_system/background_jobs.runs.<n>}, journal segment framing,
 * records as {@link RunLogRecords} encodes them). History is not job state: nobody waits for a run to be written,
 * and a damaged log never refuses a start.
 *
 * <p><b>Writing.</b> Runs are handed over under the engine's lock ({@link #add}, {@link #drop}) and cost a copy into
 * memory. A writer thread appends what gathered as one record per batch, at most a commit interval after the oldest
 * run of the batch ended, and syncs the segment at most once a second: a killed process loses the runs of the last
 * interval, a power loss up to a second more.
 *
 * <p><b>Compaction.</b> Every segment opens with a snapshot (records between {@code SNAPSHOT_START} and
 * {@code SNAPSHOT_END}) and goes on with appended records. When the log holds twice the runs memory holds, the
 * writer writes the next segment: the snapshot of memory, {@code SNAPSHOT_END}, sync, directory sync; then appends
 * go there, and the older segments are deleted. A start loads the highest segment whose snapshot is complete and
 * deletes the others, so a crash at any step leaves one whole log.
 */
public final class RunLog {
    private static final Logger log = LoggerFactory.getLogger(RunLog.class);
    /** The prefix of every segment's file name; the segment number follows it in decimal. */
    public static final String SEGMENT_PREFIX = "background_jobs.runs.";
    /** What a damaged segment is renamed to: its name with this suffix. */
    public static final String DAMAGED_SUFFIX = ".damaged";
    /** The most runs per job a host may keep. */
    public static final int MAX_PER_JOB = 10_000;
    private static final long SYNC_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** A batch record is cut here, far below the framing's 1 MiB payload limit. */
    private static final int RECORD_BYTES = 256 * 1024;

    /**
     * When the log is compacted.
     *
     * @param minimumBytes a log smaller than this is never compacted, however many of its runs are dead
     */
    public record Limits(long minimumBytes) {
        /** The default: 1 MiB. */
        public static final Limits DEFAULT = new Limits(1L << 20);
    }

    private final Path dir;
    private final SidecarFileOps ops;
    private final int perJob;
    private final Duration interval;
    private final Limits limits;
    /** This process's start, to the millisecond: the life every run added now belongs to. */
    private final Instant life;

    // Guarded by this.
    private final RecentRuns memory;
    private int currentLife;
    /** Runs and drops not yet taken by the writer, in the order they happened; a QName is a drop. */
    private List<Object> pending = new ArrayList<>();
    private long pendingSeqEnd;
    private long oldestPendingAt;
    private boolean closing;
    private Thread thread;
    private long bytesWritten;
    private long runsWritten;

    // Owned by the writer (the thread, or the caller of writeNow()).
    private FileChannel channel;
    private JournalWriter writer;
    private RunLogRecords.Encoder encoder;
    private long segment = -1;
    /** Runs the current segment holds, dead ones included. */
    private long logRuns;
    /** Sequence number of the last pending entry the writer took. */
    private long taken;
    /** Set when a write failed: the segment's end is unknown, and only a compaction into a new one may follow. */
    private boolean poisoned;
    private boolean unsynced;
    private long lastSyncAt = System.nanoTime();
    private long nextAttemptAt = System.nanoTime();
    /** Whether the last write failed, so the next success is logged; guarded by this, read by the waiting writer. */
    private boolean failing;

    private RunLog(Path dir, SidecarFileOps ops, int perJob, Duration interval, Limits limits, Instant life) {
        this.dir = dir;
        this.ops = ops;
        this.perJob = perJob;
        this.memory = new RecentRuns(perJob);
        this.interval = interval;
        this.limits = limits;
        this.life = life.truncatedTo(ChronoUnit.MILLIS);
    }

    /**
     * Loads the run log in {@code dir} and opens it for appending: cuts a torn tail, deletes segments a compaction
     * left, moves a damaged segment aside (one ERROR line, keeping the runs read before the damage). With
     * {@code perJob} 0 nothing is read or written. Starts no thread.
     *
     * @param dir           the {@code _system} directory
     * @param ops           the file operations
     * @param perJob        how many runs to keep per job, 0 to {@link #MAX_PER_JOB}
     * @param interval      how long a run may wait in memory before it is written
     * @param limits        when the log is compacted
     * @param hostStartedAt when this host process started
     * @return the run log
     * @throws IOException if the log cannot be written (a damaged one is moved aside instead)
     */
    public static RunLog open(Path dir, SidecarFileOps ops, int perJob, Duration interval, Limits limits,
                              Instant hostStartedAt) throws IOException {
        if (perJob < 0 || perJob > MAX_PER_JOB) {
            throw new IllegalArgumentException("runs kept per job must be 0 to " + MAX_PER_JOB + ": " + perJob);
        }
        RunLog runs = new RunLog(dir, ops, perJob, interval, limits, hostStartedAt);
        if (perJob > 0) {
            runs.load();
        }
        synchronized (runs) {
            runs.currentLife = runs.memory.lifeIndex(runs.life);
        }
        return runs;
    }

    // ------------------------------------------------------------------------------------------------ memory

    /**
     * Keeps a run that ended; called under the engine's lock, so it only copies.
     *
     * @param result the run
     */
    public synchronized void add(RunResult result) {
        if (perJob == 0) {
            return;
        }
        long seq = memory.add(result.job(), result.runId(), result.scheduledFor(), result.firedAt(),
                result.finishedAt(), result.attempt(), result.error().orElse(null), currentLife);
        pend(result, seq);
    }

    /**
     * Forgets a job's runs: it was removed (a cancelled dynamic job, a pruned orphan).
     *
     * @param job the job
     */
    public synchronized void drop(QName job) {
        if (perJob == 0) {
            return;
        }
        memory.forget(job);
        pend(job, memory.nextSeq());
    }

    private void pend(Object entry, long seq) {
        if (pending.isEmpty()) {
            oldestPendingAt = System.nanoTime();
            notifyAll();
        }
        pending.add(entry);
        pendingSeqEnd = seq;
    }

    /**
     * @param job a job
     * @return its last runs, newest first; none for a job without runs
     */
    public synchronized List<RunLogRecords.Run> runs(QName job) {
        return memory.runs(job);
    }

    /** @return every job that has runs, in no order */
    public synchronized List<QName> jobs() {
        return memory.jobs();
    }

    /** @return how many runs memory holds */
    public synchronized long size() {
        return memory.size();
    }

    /** @return bytes written to the log since it opened, headers and compactions included */
    public synchronized long bytesWritten() {
        return bytesWritten;
    }

    /** @return runs written to the log since it opened, by appends and compactions */
    public synchronized long runsWritten() {
        return runsWritten;
    }

    // ------------------------------------------------------------------------------------------------ loading

    private void load() throws IOException {
        RunLogLoader.Loaded loaded;
        synchronized (this) { // memory is guarded by this; nobody else holds the log yet, so this waits on no one
            loaded = new RunLogLoader(dir, ops).load(memory);
            taken = memory.lastSeq();
        }
        if (loaded instanceof RunLogLoader.Appending a) {
            channel = a.channel();
            writer = a.writer();
            encoder = a.encoder();
            segment = a.segment();
            logRuns = a.runs();
        } else if (loaded instanceof RunLogLoader.Rewrite r) {
            compact(r.segment());
        } else {
            throw new IllegalStateException("unknown load outcome: " + loaded);
        }
    }

    // ------------------------------------------------------------------------------------------------ writing

    /** Starts the writer thread; does nothing when runs are not kept. */
    public synchronized void start() {
        if (perJob == 0 || thread != null) {
            return;
        }
        thread = new Thread(this::writeLoop, "belfry-run-log");
        thread.setDaemon(true);
        thread.start();
    }

    private void writeLoop() {
        while (true) {
            synchronized (this) {
                try {
                    if (!awaitBatch()) {
                        break;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            writeNow();
        }
        finish();
    }

    /** The last write: no retry pause before it, so runs kept through a failure get their last chance. */
    private void finish() {
        nextAttemptAt = System.nanoTime();
        writeNow();
        sync();
    }

    /** @return false once closing */
    private boolean awaitBatch() throws InterruptedException {
        while (!closing) {
            long now = System.nanoTime();
            long dueAt = pending.isEmpty() ? Long.MAX_VALUE : oldestPendingAt + interval.toNanos();
            if (failing) {
                dueAt = Math.max(dueAt == Long.MAX_VALUE ? now : dueAt, nextAttemptAt);
            }
            if (unsynced) {
                dueAt = Math.min(dueAt, lastSyncAt + SYNC_EVERY_NANOS);
            }
            if (dueAt != Long.MAX_VALUE && dueAt - now <= 0) {
                return true;
            }
            if (dueAt == Long.MAX_VALUE) {
                wait();
            } else {
                TimeUnit.NANOSECONDS.timedWait(this, dueAt - now);
            }
        }
        return false;
    }

    /**
     * One step of the writer: appends what is pending, syncs if a second has passed, compacts if the log holds
     * twice the runs memory does (or a write failed). Called by the writer thread, or by a test that starts none.
     */
    void writeNow() {
        if (perJob == 0) {
            return;
        }
        try {
            if (poisoned) {
                drain();
            } else {
                append();
                if (System.nanoTime() - lastSyncAt >= SYNC_EVERY_NANOS) {
                    sync();
                }
            }
            if ((poisoned || compactionDue()) && System.nanoTime() - nextAttemptAt >= 0) {
                compact(segment + 1);
            }
        } catch (IOException | RuntimeException e) {
            failed(e);
        }
    }

    /** While the segment is unusable, memory holds every run and the next compaction writes them. */
    private void drain() {
        synchronized (this) {
            if (!pending.isEmpty()) {
                pending = new ArrayList<>();
                taken = pendingSeqEnd;
            }
        }
    }

    private void append() throws IOException {
        List<Object> batch;
        long seqEnd;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            batch = pending;
            pending = new ArrayList<>();
            seqEnd = pendingSeqEnd;
        }
        taken = seqEnd;
        poisoned = true; // until the batch is written whole
        long before = writer.written();
        int runs = 0;
        int i = 0;
        while (i < batch.size()) {
            if (batch.get(i) instanceof QName) {
                encoder.startDrops();
                while (i < batch.size() && batch.get(i) instanceof QName q) {
                    encoder.drop(q);
                    i++;
                }
            } else {
                encoder.startRuns();
                while (i < batch.size() && batch.get(i) instanceof RunResult r && encoder.length() < RECORD_BYTES) {
                    encoder.run(new RunLogRecords.Run(r.job(), life, r.runId(), r.scheduledFor(), r.firedAt(),
                            r.finishedAt(), r.attempt(), r.error()));
                    runs++;
                    i++;
                }
            }
            writer.append(encoder.buffer(), 0, encoder.length());
        }
        writer.flush();
        poisoned = false;
        unsynced = true;
        logRuns += runs;
        written(writer.written() - before, runs);
        recovered();
    }

    private void sync() {
        if (!unsynced || writer == null) {
            return;
        }
        try {
            writer.sync();
            unsynced = false;
            lastSyncAt = System.nanoTime();
        } catch (IOException | RuntimeException e) {
            failed(e);
        }
    }

    private synchronized boolean compactionDue() {
        return logRuns >= 2 * Math.max(1, memory.size()) && writer.written() >= limits.minimumBytes();
    }

    /**
     * Writes segment {@code g}: a snapshot of every run memory held when the writer last took pending entries, then
     * {@code SNAPSHOT_END}; syncs it and the directory; appends go there from now on; then deletes the older
     * segments. On a failure the new segment is deleted and the old one stays the log.
     */
    private void compact(long g) throws IOException {
        Path file = RunLogLoader.file(dir, g);
        long cut = taken;
        FileChannel ch = ops.createSegment(file);
        RunLogRecords.Encoder next = new RunLogRecords.Encoder();
        JournalWriter w = new JournalWriter(ch, file, ops);
        long runs = 0;
        try {
            w.writeHeader(g);
            next.snapshotStart();
            w.append(next.buffer(), 0, next.length());
            List<QName> names = jobs();
            List<RunLogRecords.Run> job = new ArrayList<>();
            next.startRuns();
            for (QName q : names) {
                job.clear();
                synchronized (this) {
                    memory.runsUpTo(q, cut, job);
                }
                for (RunLogRecords.Run run : job) {
                    next.run(run);
                    runs++;
                }
                if (next.length() >= RECORD_BYTES) {
                    w.append(next.buffer(), 0, next.length());
                    next.startRuns();
                }
            }
            if (next.length() > 1) {
                w.append(next.buffer(), 0, next.length());
            }
            next.snapshotEnd();
            w.append(next.buffer(), 0, next.length());
            w.sync();
            ops.forceDirectory(dir);
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } finally {
                ops.deleteIfExists(file);
            }
            throw e;
        }
        FileChannel old = channel;
        channel = ch;
        writer = w;
        encoder = next;
        segment = g;
        logRuns = runs;
        poisoned = false;
        unsynced = false;
        lastSyncAt = System.nanoTime();
        written(w.written(), runs);
        if (old != null) {
            closeQuietly(old);
        }
        for (long s : RunLogLoader.list(dir)) {
            if (s < g) {
                ops.deleteIfExists(RunLogLoader.file(dir, s));
            }
        }
        ops.forceDirectory(dir);
        recovered();
    }

    private synchronized void written(long bytes, long runs) {
        bytesWritten += bytes;
        runsWritten += runs;
    }

    private void failed(Exception e) {
        poisoned = true;
        nextAttemptAt = System.nanoTime() + RETRY_NANOS;
        synchronized (this) {
            if (!failing) {
                log.error("writing the run history in {} failed; runs are kept in memory and the log is rewritten"
                        + " once writing works again: {}", dir, e.getMessage() == null ? e.toString() : e.getMessage());
            }
            failing = true;
        }
    }

    private synchronized void recovered() {
        if (failing && !poisoned) {
            failing = false;
            log.info("run history written again");
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            log.debug("closing a run history segment failed: {}", e.toString());
        }
    }

    /**
     * Writes what is pending and stops the writer, waiting at most {@code wait} for it.
     *
     * @param wait how long to wait for the last write
     */
    public void close(Duration wait) {
        Thread writing;
        synchronized (this) {
            closing = true;
            notifyAll();
            writing = thread;
        }
        if (perJob == 0) {
            return;
        }
        if (writing == null) {
            finish();
        } else {
            try {
                writing.join(Math.max(1, wait.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (writing == null || !writing.isAlive()) {
            if (channel != null) {
                closeQuietly(channel);
            }
        }
    }

    /** For tests: the current segment's number. */
    long segment() {
        return segment;
    }

    /** For tests that step the writer: a compaction now, whether due or not. */
    void compactNow() throws IOException {
        compact(segment + 1);
    }
}
