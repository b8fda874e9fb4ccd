package dev.belfry.host.internal.state;

import dev.belfry.api.QName;
import dev.belfry.host.internal.BackgroundPriority;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JournalRecords;
import dev.belfry.sidecar.JournalSegment;
import dev.belfry.sidecar.JournalWriter;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFileOps;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's state store: every change is appended to the journal, and the sidecar is rewritten only now and then,
 * as a checkpoint, off the firing path. Making a change durable costs the change, not every job.
 *
 * <p><b>Group commit.</b> One writer thread appends whatever changes are queued (the newest per job), syncs the
 * segment ({@code fdatasync}), acknowledges every durable waiter the batch covered, and starts the next batch at
 * once with what arrived meanwhile: a durable waiter waits for at most the sync under way and its own. Changes
 * nobody waits for gather for up to the commit interval, which bounds how long a change stays only in memory.
 *
 * <p><b>Checkpoints.</b> When the segment passes {@link Limits#checkpointBytes()} (or, once it holds
 * {@link Limits#minimumAgedBytes()}, {@link Limits#checkpointAge()}), the writer opens the next segment and hands
 * the state as of that moment to a checkpoint thread, which writes the sidecar (durable atomic protocol) naming the
 * new segment's generation and then deletes the segments it covers. A crash at any step recovers: see
 * {@link Journal}.
 *
 * <p><b>Failures.</b> A failed append or sync fails the waiters it covered (a durable start is then not
 * acknowledged) and leaves the segment's end unknown, so nothing more is appended to it: the next attempt, a second
 * later, opens a new segment and writes a full checkpoint naming it; only when
 * both succeed are changes acknowledged again. A segment found deleted, replaced or cut after a sync counts as a
 * failed sync. If close's deadline passes while commits fail, one last checkpoint alone is tried. State is never
 * dropped from memory.
 */
public final class JournalStore implements StateStore {
    private static final Logger log = LoggerFactory.getLogger(JournalStore.class);
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(1);
    /** How long close waits, past its deadline, for a write already under way (a hung disk must not hold it). */
    private static final Duration WRITE_IN_PROGRESS_WAIT = Duration.ofSeconds(10);
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /**
     * When a checkpoint is written.
     *
     * @param checkpointBytes  a segment this large is checkpointed; at least the last checkpoint's size is used, so
     *                         the sidecar is rewritten at most once per as many journal bytes as it has
     * @param checkpointAge    a segment this old is checkpointed, if it holds at least {@code minimumAgedBytes}
     * @param minimumAgedBytes what an old segment must hold to be worth a checkpoint
     */
    public record Limits(long checkpointBytes, Duration checkpointAge, long minimumAgedBytes) {
        /** The defaults: 64 MiB, or an hour and 1 MiB. */
        public static final Limits DEFAULT = new Limits(64L << 20, Duration.ofHours(1), 1L << 20);
    }

    private final SidecarStore checkpoints;
    private final SidecarFileOps ops;
    private final Path dir;
    private final Clock clock;
    private final Duration interval;
    private final Limits limits;
    private final SidecarDocument template;

    /** Every job's state as handed to the journal; written by the writer thread, read by snapshots. */
    private final HashMap<QName, JobRecord> state;
    /** Changes not yet handed to the journal, newest per job; null is a removal. Guarded by {@code this}. */
    private Map<QName, JobRecord> changes = new HashMap<>();
    private final TreeMap<Long, List<CompletableFuture<Void>>> waiters = new TreeMap<>();
    private Thread thread;
    private long submitted;
    private long committed;
    /** System.nanoTime() of the oldest change not yet handed over; meaningful while submitted > handed. */
    private long oldestPendingAt;
    private boolean urgent;
    private boolean closing;
    private boolean givingUp;
    private long commits;
    private long failures;
    private Optional<String> lastError = Optional.empty();
    private Optional<Instant> lastCommitAt = Optional.empty();
    private Duration lastCommitTook = Duration.ZERO;
    private long checkpointsWritten;
    private long lastCheckpointBytes;
    private long journalBytes;

    // Owned by the writer thread.
    private final JournalRecords.Encoder encoder = new JournalRecords.Encoder();
    private FileChannel channel;
    private JournalWriter writer;
    private long generation;
    private Path segmentFile;
    /** The segment's identity (device and inode where the file system has them), to notice it being replaced. */
    private Object segmentKey;
    private long segmentOpenedAt;
    /** Set when an append or sync failed: the segment's end is unknown and only a checkpoint may follow. */
    private boolean poisoned;
    private long nextRollAttempt;
    private CompletableFuture<Void> checkpointInFlight = CompletableFuture.completedFuture(null);

    private JournalStore(SidecarStore checkpoints, SidecarFileOps ops, Clock clock, Duration interval, Limits limits,
                         SidecarDocument template, Map<QName, JobRecord> jobs) {
        this.checkpoints = checkpoints;
        this.ops = ops;
        this.dir = checkpoints.file().getParent();
        this.clock = clock;
        this.interval = interval;
        this.limits = limits;
        this.template = template;
        this.state = new HashMap<>(jobs);
        this.lastCheckpointBytes = sizeOf(checkpoints.file());
    }

    /**
     * Opens the store over what recovery loaded: truncates a torn tail, deletes segments the checkpoint holds, and
     * creates the next segment (which proves the state can be written before any job fires). With
     * {@code checkpointFirst} (the state did not come whole from the main sidecar file) it writes a checkpoint of
     * the recovered state first. Starts no thread.
     *
     * @param checkpoints     the sidecar
     * @param ops             the file operations
     * @param clock           stamps checkpoints
     * @param interval        how long a change nobody waits for may stay only in memory
     * @param limits          when checkpoints are written
     * @param checkpoint      the sidecar as loaded
     * @param recovery        the journal replayed over it
     * @param checkpointFirst whether to write a checkpoint before the first segment
     * @return the store
     * @throws IOException if a step fails; the message names the file and the step
     */
    public static JournalStore open(SidecarStore checkpoints, SidecarFileOps ops, Clock clock, Duration interval,
                                    Limits limits, SidecarDocument checkpoint, Journal.Recovery recovery,
                                    boolean checkpointFirst) throws IOException {
        JournalStore store = new JournalStore(checkpoints, ops, clock, interval, limits, checkpoint,
                recovery.jobs());
        Optional<Journal.TornTail> torn = recovery.tornTail();
        long next = recovery.nextGeneration();
        if (torn.isPresent()) {
            Path file = torn.get().segment().file();
            log.warn("journal {} ends in a record cut short by a crash (never acknowledged); cut to {} bytes: {}",
                    file, torn.get().validLength(), torn.get().problem());
            if (torn.get().validLength() == 0) {
                ops.deleteIfExists(file);
                // A segment whose header the crash cut short is made again under its own generation: the next one
                // would leave a gap, which the start after another crash refuses as a lost segment.
                next = torn.get().segment().generation();
            } else {
                ops.truncate(file, torn.get().validLength());
            }
        }
        for (Journal.SegmentFile s : recovery.obsolete()) {
            ops.deleteIfExists(s.file());
        }
        if (checkpointFirst) {
            store.writeCheckpoint(next, recovery.jobs().values().toArray(new JobRecord[0]));
        }
        store.openSegment(next);
        return store;
    }

    @Override
    public synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = new Thread(this::writeLoop, "belfry-journal-writer");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public synchronized long put(JobRecord record) {
        boolean first = changes.isEmpty();
        changes.put(record.qname(), record);
        return changed(first);
    }

    @Override
    public synchronized long remove(QName qname) {
        boolean first = changes.isEmpty();
        changes.put(qname, null);
        return changed(first);
    }

    private long changed(boolean first) {
        // Only an idle writer waits for a change; a writer already gathering or writing would only be woken for
        // nothing (a busy engine makes thousands of changes a second). Only the first change starts the interval:
        // a job changing faster than it would otherwise postpone the write for as long as it keeps changing.
        if (first) {
            oldestPendingAt = System.nanoTime();
            notifyAll();
        }
        return ++submitted;
    }

    @Override
    public synchronized CompletableFuture<Void> durable(long ticket) {
        if (ticket <= committed) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        waiters.computeIfAbsent(ticket, t -> new ArrayList<>(1)).add(f);
        urgent = true;
        notifyAll();
        return f;
    }

    @Override
    public List<JobRecord> snapshot() {
        TreeMap<QName, JobRecord> view;
        synchronized (state) {
            view = new TreeMap<>(state);
        }
        synchronized (this) {
            changes.forEach((q, r) -> {
                if (r == null) {
                    view.remove(q);
                } else {
                    view.put(q, r);
                }
            });
        }
        return List.copyOf(view.values());
    }

    @Override
    public synchronized CompletableFuture<Void> flush() {
        return durable(submitted);
    }

    @Override
    public synchronized Health health() {
        return new Health(commits, failures, submitted - committed, lastCommitAt, lastCommitTook, lastCheckpointBytes,
                lastError, checkpointsWritten, journalBytes);
    }

    private void writeLoop() {
        while (true) {
            Map<QName, JobRecord> batch;
            long ticket;
            synchronized (this) {
                try {
                    if (!awaitBatch()) {
                        break;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                urgent = false;
                batch = changes;
                changes = new HashMap<>();
                ticket = submitted;
            }
            long started = System.nanoTime();
            try {
                if (poisoned) {
                    merge(batch);
                    rollAndCheckpointNow();
                } else {
                    append(batch);
                }
                committedUpTo(ticket, started);
            } catch (IOException | RuntimeException e) {
                if (!failed(ticket, e)) {
                    lastResortCheckpoint();
                    return;
                }
                continue;
            }
            if (!closing()) {
                maybeStartCheckpoint();
            }
        }
        finalCheckpoint();
    }

    /** @return false once closing with nothing left to write */
    private boolean awaitBatch() throws InterruptedException {
        while (true) {
            if (submitted == committed && changes.isEmpty()) {
                if (closing) {
                    return false;
                }
                wait();
                continue;
            }
            if (urgent || closing) {
                return true;
            }
            if (changes.isEmpty()) {
                // Nothing new since a failure: the retry pause is over, so try again (with a checkpoint).
                return true;
            }
            long left = oldestPendingAt + interval.toNanos() - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    private synchronized boolean closing() {
        return closing;
    }

    private void append(Map<QName, JobRecord> batch) throws IOException {
        // Merged before anything is written: if a write or the sync fails, the checkpoint that follows must hold
        // these changes (a batch larger than the writer's buffer is partly written while it is appended).
        merge(batch);
        // Before writing too: a write at the old position would fill a cut file back up with zeros, hiding the cut
        // from the check after the sync while recovery would stop at the hole.
        checkSegmentIntact();
        for (Map.Entry<QName, JobRecord> e : batch.entrySet()) {
            if (e.getValue() == null) {
                encoder.remove(e.getKey());
            } else {
                encoder.put(e.getValue());
            }
            writer.append(encoder.buffer(), 0, encoder.length());
        }
        writer.sync();
        checkSegmentIntact();
    }

    private void merge(Map<QName, JobRecord> batch) {
        synchronized (state) {
            for (Map.Entry<QName, JobRecord> e : batch.entrySet()) {
                if (e.getValue() == null) {
                    state.remove(e.getKey());
                } else {
                    state.put(e.getKey(), e.getValue());
                }
            }
        }
    }

    private void committedUpTo(long ticket, long startedNanos) {
        synchronized (this) {
            committed = ticket;
            commits++;
            lastCommitAt = Optional.of(clock.instant());
            lastCommitTook = Duration.ofNanos(System.nanoTime() - startedNanos);
            journalBytes = writer.written();
            if (lastError.isPresent()) {
                log.info("job state written again after {} failed attempt(s)", failures);
                lastError = Optional.empty();
            }
            completeWaiters(ticket, null);
        }
    }

    /** @return whether to go on (false once close has given up) */
    private boolean failed(long ticket, Exception e) {
        poisoned = true;
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        synchronized (this) {
            failures++;
            if (lastError.isEmpty()) {
                log.error("writing the job state in {} failed; state is kept in memory and retried: {}", dir,
                        message);
            }
            lastError = Optional.of(message);
            completeWaiters(ticket, e instanceof IOException io ? io : new IOException(message, e));
            try {
                // Sit out the whole pause: only the end of close's deadline cuts it short. Neither a busy engine's
                // changes nor durable waiters (the engine retries refused durable starts every second, job by job)
                // may turn a failing disk into a tight retry loop; a waiter hears of the next attempt's result.
                long deadline = System.nanoTime() + RETRY_AFTER_FAILURE.toNanos();
                long left;
                while (!givingUp && (left = deadline - System.nanoTime()) > 0) {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return false;
            }
            return !givingUp;
        }
    }

    private void completeWaiters(long upTo, IOException failure) {
        Map<Long, List<CompletableFuture<Void>>> done = waiters.headMap(upTo, true);
        for (List<CompletableFuture<Void>> list : done.values()) {
            for (CompletableFuture<Void> f : list) {
                if (failure == null) {
                    f.complete(null);
                } else {
                    f.completeExceptionally(failure);
                }
            }
        }
        done.clear();
    }

    // ------------------------------------------------------------------------------------------------ segments

    private void openSegment(long g) throws IOException {
        Path file = Journal.segment(dir, g);
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                && Files.size(file) <= JournalSegment.HEADER_BYTES) {
            // Left by an earlier attempt that failed and could not delete it either (a failing disk): it holds no
            // record. Kept, it would fail every later roll and retry.
            ops.deleteIfExists(file);
        }
        FileChannel ch;
        try {
            ch = ops.createSegment(file);
        } catch (FileAlreadyExistsException e) {
            // Something took the next segment's name (a stray file, a link): recovery would read it as part of the
            // journal, so it is moved aside, never written through or deleted.
            Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + STAMP.format(clock.instant()));
            try {
                ops.atomicMove(file, aside);
            } catch (IOException moveFailed) {
                throw new IOException("could not create journal segment " + file + ": something is in the way and"
                        + " cannot be moved aside: " + IoErrors.describe(moveFailed), moveFailed);
            }
            log.error("{} was in the way of the next journal segment (never written by this host); moved aside to"
                    + " {}", file, aside);
            try {
                ch = ops.createSegment(file);
            } catch (IOException again) {
                throw new IOException("could not create journal segment " + file + ": " + IoErrors.describe(again),
                        again);
            }
        } catch (IOException e) {
            throw new IOException("could not create journal segment " + file + ": " + IoErrors.describe(e), e);
        }
        try {
            JournalWriter w = new JournalWriter(ch, file, ops);
            w.writeHeader(g);
            w.sync();
            ops.forceDirectory(dir);
            closeChannel();
            channel = ch;
            writer = w;
            generation = g;
            segmentFile = file;
            segmentKey = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            segmentOpenedAt = System.nanoTime();
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } finally {
                ops.deleteIfExists(file);
            }
            throw new IOException("could not create journal segment " + file + ": "
                    + (e instanceof IOException io ? IoErrors.describe(io) : e.toString()), e);
        }
    }

    /**
     * Checks that the segment synced is still the file this store writes, whole: one deleted, replaced or cut
     * while the host runs would silently lose what was acknowledged, so that is a failure like a failed sync.
     */
    private void checkSegmentIntact() throws IOException {
        BasicFileAttributes now;
        try {
            now = Files.readAttributes(segmentFile, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new IOException("journal segment " + segmentFile + " was deleted while the host wrote it", e);
        }
        if (!Objects.equals(now.fileKey(), segmentKey)) {
            throw new IOException("journal segment " + segmentFile + " was replaced by another file while the host"
                    + " wrote it");
        }
        if (now.size() < writer.written()) {
            throw new IOException("journal segment " + segmentFile + " was cut to " + now.size() + " bytes while the"
                    + " host wrote it (" + writer.written() + " written)");
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("closing journal segment {} failed: {}", generation, e.toString());
            }
        }
    }

    private JobRecord[] stateArray() {
        synchronized (state) {
            return state.values().toArray(new JobRecord[0]);
        }
    }

    /**
     * After a failure: a new segment, then a full checkpoint naming it, before anything is appended again. Only
     * when both succeed are changes acknowledged again; a failure of either is retried after the pause.
     */
    private void rollAndCheckpointNow() throws IOException {
        awaitCheckpointInFlight();
        long next = generation + 1;
        openSegment(next);
        writeCheckpoint(next, stateArray());
        poisoned = false;
    }

    private void maybeStartCheckpoint() {
        long size = writer.written();
        long age = System.nanoTime() - segmentOpenedAt;
        boolean due = size >= Math.max(limits.checkpointBytes(), lastCheckpointBytes())
                || (age >= limits.checkpointAge().toNanos() && size >= limits.minimumAgedBytes());
        if (!due || !checkpointInFlight.isDone() || System.nanoTime() - nextRollAttempt < 0) {
            return;
        }
        long next = generation + 1;
        try {
            openSegment(next);
        } catch (IOException | RuntimeException e) {
            nextRollAttempt = System.nanoTime() + RETRY_AFTER_FAILURE.toNanos();
            log.error("could not start a checkpoint (journal keeps growing until one succeeds): {}", e.getMessage());
            return;
        }
        JobRecord[] snapshot = stateArray(); // the state exactly as of the roll: nothing was appended since
        checkpointInFlight = CompletableFuture.runAsync(() -> {
            // Encoding 50 MB must not take a core from a fire: the checkpoint is in no hurry.
            BackgroundPriority.lowerCurrentThread();
            try {
                writeCheckpoint(next, snapshot);
            } catch (IOException | RuntimeException e) {
                synchronized (this) {
                    failures++;
                }
                log.error("checkpoint {} failed; the journal keeps every change and the next checkpoint tries"
                        + " again: {}", next, e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }, r -> {
            Thread t = new Thread(r, "belfry-checkpoint");
            t.setDaemon(true);
            t.start();
        });
    }

    private synchronized long lastCheckpointBytes() {
        return lastCheckpointBytes;
    }

    private void awaitCheckpointInFlight() {
        try {
            checkpointInFlight.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // logged by the checkpoint itself
        }
    }

    /**
     * Writes the sidecar holding {@code jobs}, naming {@code next} as the first segment not in it, then deletes the
     * segments it covers. Checkpoints are written one at a time, in generation order.
     */
    private void writeCheckpoint(long next, JobRecord[] jobs) throws IOException {
        long started = System.nanoTime();
        Arrays.sort(jobs, (a, b) -> a.qname().compareTo(b.qname()));
        SidecarDocument doc = new SidecarDocument(template.version(), clock.instant(), Arrays.asList(jobs),
                template.unknown(), next);
        checkpoints.write(doc);
        for (Journal.SegmentFile s : Journal.list(dir)) {
            if (s.generation() < next) {
                ops.deleteIfExists(s.file());
            }
        }
        ops.forceDirectory(dir);
        long bytes = sizeOf(checkpoints.file());
        synchronized (this) {
            checkpointsWritten++;
            lastCheckpointBytes = bytes;
        }
        log.debug("checkpoint {} of {} jobs written in {} ms", next, jobs.length,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /**
     * Close's deadline passed with commits failing: one last try to make everything durable by a checkpoint alone,
     * which needs no new segment (a segment that cannot be created must not cost the changes a sidecar write can
     * keep). Nothing is appended after it.
     */
    private void lastResortCheckpoint() {
        Map<QName, JobRecord> rest;
        long ticket;
        synchronized (this) {
            rest = changes;
            changes = new HashMap<>();
            ticket = submitted;
        }
        merge(rest);
        awaitCheckpointInFlight();
        try {
            closeChannel();
            channel = null;
            writeCheckpoint(generation + 1, stateArray());
            synchronized (this) {
                committed = ticket;
                completeWaiters(ticket, null);
            }
            log.warn("the last commits failed, but a final checkpoint holds every change");
        } catch (IOException | RuntimeException e) {
            log.debug("the final checkpoint failed too: {}", e.toString());
        }
    }

    /** On close, after the last append: a checkpoint of everything, so a cleanly stopped host leaves no journal. */
    private void finalCheckpoint() {
        awaitCheckpointInFlight();
        synchronized (this) {
            if (submitted != committed) {
                return; // a failing disk: the journal holds what it could, and close says what is not on disk
            }
        }
        try {
            closeChannel();
            channel = null;
            writeCheckpoint(generation + 1, stateArray());
        } catch (IOException e) {
            log.warn("final checkpoint failed; the journal holds every change and the next start replays it: {}",
                    e.getMessage());
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    // ------------------------------------------------------------------------------------------------ closing

    @Override
    public synchronized void beginClose() {
        if (!closing) {
            closing = true;
            urgent = true;
            notifyAll();
        }
        start();
    }

    @Override
    public long close(Duration wait) {
        long deadline = System.nanoTime() + Math.max(0, wait.toNanos());
        beginClose();
        Thread writing;
        synchronized (this) {
            writing = thread;
        }
        try {
            joinUntil(writing, deadline);
            if (writing.isAlive()) {
                synchronized (this) {
                    givingUp = true;
                    notifyAll();
                }
                joinUntil(writing, System.nanoTime() + WRITE_IN_PROGRESS_WAIT.toNanos());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            long unsaved = submitted - committed;
            if (unsaved != 0) {
                log.error("state store stopped with {} change(s) not on disk ({}); {} and its journal hold the last"
                        + " successful commit{}", unsaved, lastError.orElse("a write was still under way"),
                        checkpoints.file(), lastCommitAt.map(at -> ", of " + at).orElse(""));
            }
            return unsaved;
        }
    }

    private static void joinUntil(Thread thread, long deadline) throws InterruptedException {
        long left;
        while (thread.isAlive() && (left = deadline - System.nanoTime()) > 0) {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
    }
}
