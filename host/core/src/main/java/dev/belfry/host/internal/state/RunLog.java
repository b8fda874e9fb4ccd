package dev.belfry.host.internal.state;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JournalFormatException;
import dev.belfry.sidecar.JournalReader;
import dev.belfry.sidecar.JournalSegment;
import dev.belfry.sidecar.JournalWriter;
import dev.belfry.sidecar.RunLogRecords;
import dev.belfry.sidecar.SidecarFileOps;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    private final Map<QName, Runs> jobs = new HashMap<>();
    private final List<Instant> lives = new ArrayList<>();
    private int currentLife;
    private long nextSeq = 1;
    private long liveRuns;
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
            runs.currentLife = runs.lifeIndex(runs.life);
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
        keep(result.job(), nextSeq, result.runId(), result.scheduledFor(), result.firedAt(), result.finishedAt(),
                result.attempt(), result.error().orElse(null), currentLife);
        pend(result);
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
        Runs r = jobs.remove(job);
        if (r != null) {
            liveRuns -= r.size;
        }
        pend(job);
    }

    private void pend(Object entry) {
        if (pending.isEmpty()) {
            oldestPendingAt = System.nanoTime();
            notifyAll();
        }
        pending.add(entry);
        pendingSeqEnd = nextSeq++;
    }

    private void keep(QName job, long seq, long runId, Instant scheduled, Instant started, Instant finished,
                      int attempt, String error, int lifeIndex) {
        Runs r = jobs.get(job);
        if (r == null) {
            r = new Runs(Math.min(perJob, 4));
            jobs.put(job, r);
        }
        liveRuns += r.add(perJob, seq, runId, scheduled, started, finished, attempt, error, lifeIndex);
    }

    private int lifeIndex(Instant at) {
        int i = lives.indexOf(at);
        if (i < 0) {
            lives.add(at);
            i = lives.size() - 1;
        }
        return i;
    }

    /**
     * @param job a job
     * @return its last runs, newest first; none for a job without runs
     */
    public synchronized List<RunLogRecords.Run> runs(QName job) {
        Runs r = jobs.get(job);
        if (r == null) {
            return List.of();
        }
        List<RunLogRecords.Run> out = new ArrayList<>(r.size);
        for (int i = r.size - 1; i >= 0; i--) {
            out.add(r.run(job, i, lives));
        }
        return out;
    }

    /** @return every job that has runs, in no order */
    public synchronized List<QName> jobs() {
        return List.copyOf(jobs.keySet());
    }

    /** @return how many runs memory holds */
    public synchronized long size() {
        return liveRuns;
    }

    /** @return bytes written to the log since it opened, headers and compactions included */
    public synchronized long bytesWritten() {
        return bytesWritten;
    }

    /** @return runs written to the log since it opened, by appends and compactions */
    public synchronized long runsWritten() {
        return runsWritten;
    }

    /**
     * One job's last runs: a ring of parallel primitive arrays, a few dozen bytes a run, where a deque of run
     * objects would cost three times as much. Grows to the bound as runs come.
     */
    private static final class Runs {
        private static final int LONGS = 5;
        private static final int INTS = 5;
        /** seq, run id, scheduled seconds, started seconds, finished seconds. */
        long[] longs;
        /** scheduled nanos, started nanos, finished nanos, attempt, life. */
        int[] ints;
        /** Allocated with the first failed run. */
        String[] errors;
        int head;
        int size;

        Runs(int capacity) {
            longs = new long[capacity * LONGS];
            ints = new int[capacity * INTS];
        }

        int capacity() {
            return ints.length / INTS;
        }

        /** @return how many runs were added, net: 1, or 0 when the oldest was dropped for it */
        int add(int bound, long seq, long runId, Instant scheduled, Instant started, Instant finished, int attempt,
                String error, int lifeIndex) {
            if (size == capacity() && size < bound) {
                grow(Math.min(bound, Math.max(4, size * 2)));
            }
            int slot;
            int added;
            if (size == capacity()) {
                slot = head;
                head = (head + 1) % capacity();
                added = 0;
            } else {
                slot = (head + size) % capacity();
                size++;
                added = 1;
            }
            int l = slot * LONGS;
            longs[l] = seq;
            longs[l + 1] = runId;
            longs[l + 2] = scheduled.getEpochSecond();
            longs[l + 3] = started.getEpochSecond();
            longs[l + 4] = finished.getEpochSecond();
            int n = slot * INTS;
            ints[n] = scheduled.getNano();
            ints[n + 1] = started.getNano();
            ints[n + 2] = finished.getNano();
            ints[n + 3] = attempt;
            ints[n + 4] = lifeIndex;
            if (error != null && errors == null) {
                errors = new String[capacity()];
            }
            if (errors != null) {
                errors[slot] = error;
            }
            return added;
        }

        private void grow(int capacity) {
            long[] l = new long[capacity * LONGS];
            int[] n = new int[capacity * INTS];
            String[] e = errors == null ? null : new String[capacity];
            for (int i = 0; i < size; i++) {
                int from = (head + i) % capacity();
                System.arraycopy(longs, from * LONGS, l, i * LONGS, LONGS);
                System.arraycopy(ints, from * INTS, n, i * INTS, INTS);
                if (e != null) {
                    e[i] = errors[from];
                }
            }
            longs = l;
            ints = n;
            errors = e;
            head = 0;
        }

        /** @param i 0 for the oldest */
        long seq(int i) {
            return longs[((head + i) % capacity()) * LONGS];
        }

        RunLogRecords.Run run(QName job, int i, List<Instant> lives) {
            int slot = (head + i) % capacity();
            int l = slot * LONGS;
            int n = slot * INTS;
            return new RunLogRecords.Run(job, lives.get(ints[n + 4]), longs[l + 1],
                    Instant.ofEpochSecond(longs[l + 2], ints[n]), Instant.ofEpochSecond(longs[l + 3], ints[n + 1]),
                    Instant.ofEpochSecond(longs[l + 4], ints[n + 2]), ints[n + 3],
                    Optional.ofNullable(errors == null ? null : errors[slot]));
        }
    }

    // ------------------------------------------------------------------------------------------------ loading

    private void load() throws IOException {
        List<Long> segments = list(dir);
        int chosen = -1;
        JournalReader.Segment read = null;
        for (int i = segments.size() - 1; i >= 0 && chosen < 0; i--) {
            JournalReader.Segment s = readQuietly(segments.get(i));
            if (s != null && snapshotComplete(s)) {
                chosen = i;
                read = s;
            }
        }
        if (chosen < 0) {
            taken = nextSeq - 1;
            if (segments.stream().allMatch(this::unfinished)) {
                // The crash came while the first segment was being written: it never held a run.
                for (long g : segments) {
                    log.warn("run history segment {} was left by an unfinished compaction; deleted", file(g));
                    ops.deleteIfExists(file(g));
                }
            } else {
                List<Path> moved = new ArrayList<>();
                for (long g : segments) {
                    moved.add(moveAside(file(g)));
                }
                log.error("run history in {} is damaged (no segment holds a whole snapshot); moved aside to {};"
                        + " starting with no run history", dir, moved);
            }
            compact(segments.isEmpty() ? 0 : segments.get(segments.size() - 1) + 1);
            return;
        }
        for (int i = chosen + 1; i < segments.size(); i++) {
            log.warn("run history segment {} was left by an unfinished compaction; deleted", file(segments.get(i)));
            ops.deleteIfExists(file(segments.get(i)));
        }
        long g = segments.get(chosen);
        Path file = file(g);
        Replay replay = new Replay();
        int good = 0;
        Optional<String> damage = read.end() == JournalReader.End.CORRUPT_MIDDLE ? read.problem() : Optional.empty();
        for (; good < read.count(); good++) {
            try {
                replay.decoder.decode(read.bytes(), read.starts()[good], read.lengths()[good], replay);
            } catch (RuntimeException e) {
                damage = Optional.of(file.getFileName() + "@" + (read.starts()[good] - JournalSegment.FRAME_BYTES)
                        + ": record does not decode: " + e.getMessage());
                break;
            }
        }
        taken = nextSeq - 1;
        for (int i = 0; i < chosen; i++) {
            ops.deleteIfExists(file(segments.get(i)));
        }
        if (damage.isPresent()) {
            Path aside = moveAside(file);
            log.error("run history {} is damaged ({}); moved aside to {}; starting with the {} run(s) read before"
                    + " the damage", file, damage.get(), aside, liveRuns);
            compact(g + 1);
            return;
        }
        if (read.end() == JournalReader.End.TORN_TAIL) {
            log.warn("run history {} ends in a record cut short by a crash; cut to {} bytes: {}", file,
                    read.validLength(), read.problem().orElse("torn record"));
            ops.truncate(file, read.validLength());
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        ch.position(read.validLength());
        channel = ch;
        writer = new JournalWriter(ch, file, ops);
        encoder = RunLogRecords.Encoder.continuing(replay.decoder);
        segment = g;
        logRuns = replay.runs;
    }

    /** Replays a segment into memory. */
    private final class Replay implements RunLogRecords.Visitor {
        final RunLogRecords.Decoder decoder = new RunLogRecords.Decoder();
        long runs;

        @Override
        public void snapshotStart() {
        }

        @Override
        public void snapshotEnd() {
        }

        @Override
        public void run(RunLogRecords.Run run) {
            runs++;
            synchronized (RunLog.this) {
                keep(run.job(), nextSeq++, run.runId(), run.scheduledFor(), run.startedAt(), run.finishedAt(),
                        run.attempt(), run.error().orElse(null), lifeIndex(run.hostStartedAt()));
            }
        }

        @Override
        public void drop(QName job) {
            synchronized (RunLog.this) {
                Runs r = jobs.remove(job);
                if (r != null) {
                    liveRuns -= r.size;
                }
            }
        }
    }

    /** @return the segment, or null if it is not one (a bad header, a wrong number, unreadable) */
    private JournalReader.Segment readQuietly(long g) {
        try {
            JournalReader.Segment s = JournalReader.read(file(g));
            return s.header().generation() == g ? s : null;
        } catch (IOException | JournalFormatException e) {
            return null;
        }
    }

    /** A snapshot cut short by a crash: a header cut short, or valid records up to a torn tail, without the end. */
    private boolean unfinished(long g) {
        try {
            if (Files.size(file(g)) < JournalSegment.HEADER_BYTES) {
                return true;
            }
        } catch (IOException e) {
            return false;
        }
        JournalReader.Segment s = readQuietly(g);
        return s != null && s.end() != JournalReader.End.CORRUPT_MIDDLE && !snapshotComplete(s)
                && (s.count() == 0 || isSingle(s, 0, RunLogRecords.SNAPSHOT_START));
    }

    /** Opens with SNAPSHOT_START and holds SNAPSHOT_END among its valid records. */
    private static boolean snapshotComplete(JournalReader.Segment s) {
        if (s.count() == 0 || !isSingle(s, 0, RunLogRecords.SNAPSHOT_START)) {
            return false;
        }
        for (int i = 1; i < s.count(); i++) {
            if (isSingle(s, i, RunLogRecords.SNAPSHOT_END)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSingle(JournalReader.Segment s, int record, byte kind) {
        return s.lengths()[record] == 1 && s.bytes()[s.starts()[record]] == kind;
    }

    private Path moveAside(Path file) throws IOException {
        Path aside = file.resolveSibling(file.getFileName() + DAMAGED_SUFFIX);
        ops.atomicMove(file, aside);
        return aside;
    }

    private Path file(long g) {
        return dir.resolve(SEGMENT_PREFIX + g);
    }

    /** @return the segment numbers in {@code dir}, lowest first */
    static List<Long> list(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, SEGMENT_PREFIX + "*")) {
            for (Path p : entries) {
                long g = numberOf(String.valueOf(p.getFileName()));
                if (g >= 0 && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    out.add(g);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        out.sort(null);
        return out;
    }

    private static long numberOf(String name) {
        String digits = name.substring(SEGMENT_PREFIX.length());
        if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Long.parseLong(digits);
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
        return logRuns >= 2 * Math.max(1, liveRuns) && writer.written() >= limits.minimumBytes();
    }

    /**
     * Writes segment {@code g}: a snapshot of every run memory held when the writer last took pending entries, then
     * {@code SNAPSHOT_END}; syncs it and the directory; appends go there from now on; then deletes the older
     * segments. On a failure the new segment is deleted and the old one stays the log.
     */
    private void compact(long g) throws IOException {
        Path file = file(g);
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
                    Runs r = jobs.get(q);
                    for (int i = 0; r != null && i < r.size; i++) {
                        if (r.seq(i) <= cut) {
                            job.add(r.run(q, i, lives));
                        }
                    }
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
        for (long s : list(dir)) {
            if (s < g) {
                ops.deleteIfExists(file(s));
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
