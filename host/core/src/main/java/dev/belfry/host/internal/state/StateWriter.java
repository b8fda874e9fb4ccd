package dev.belfry.host.internal.state;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.StateSink;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit of job state to the sidecar: the engine's changes land in memory at once, and one writer thread
 * rewrites the whole document with the durable atomic protocol, at most once per commit interval, so any number of
 * changes in between cost one write. A change is on disk within about one interval plus one write. A durable start
 * does not wait for the interval: it asks for a commit now.
 *
 * <p>A failed write changes nothing on disk (the protocol keeps the old file); the writer keeps the state, reports
 * the error, and tries again a second later, so the next successful commit contains everything. Closing keeps that
 * pause: a failing disk is retried once a second until the close's deadline, then given up with the number of
 * changes that did not reach the disk logged.
 *
 * <p>Constructing a writer starts no thread: {@link #start()} does. Changes handed over before it are kept and
 * written once it runs.
 */
public final class StateWriter implements StateStore, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StateWriter.class);
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(1);
    /**
     * How long close waits, past its deadline, for a write already under way: a healthy disk finishes one in well
     * under a second even at 100,000 jobs, and a hung one must not hold the process forever.
     */
    private static final Duration WRITE_IN_PROGRESS_WAIT = Duration.ofSeconds(10);

    private final SidecarStore store;
    private final Clock clock;
    private final Duration interval;
    private final SidecarDocument template;
    /**
     * Every job's state as of the last merge; touched only while holding this map's own monitor (the writer thread
     * and {@link #snapshot()}), never by the engine.
     */
    private final TreeMap<QName, JobRecord> state = new TreeMap<>();
    /**
     * Changes since the last merge, newest per job; a null value is a removal. Guarded by {@code this}. The engine
     * only ever touches this small map, so copying the whole state for a commit never holds it up.
     */
    private Map<QName, JobRecord> changes = new HashMap<>();
    private final TreeMap<Long, List<CompletableFuture<Void>>> waiters = new TreeMap<>();
    /** The writer thread; null until {@link #start()}. Guarded by {@code this}. */
    private Thread thread;

    private long submitted;
    private long committed;
    private boolean urgent;
    private boolean closing;
    /** Set once close's deadline has passed: a failed write is not tried again. */
    private boolean givingUp;
    private long commits;
    private long failures;
    private Optional<String> lastError = Optional.empty();
    private Optional<Instant> lastCommitAt = Optional.empty();
    private Duration lastCommitTook = Duration.ZERO;
    private long lastCommitBytes;

    /**
     * @param store    where the document is written
     * @param clock    stamps the document's {@code written_at}
     * @param interval the commit interval: the bound on how long a change stays only in memory, before write time
     * @param initial  the document loaded at start (its jobs and unknown fields are carried on)
     */
    public StateWriter(SidecarStore store, Clock clock, Duration interval, SidecarDocument initial) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.interval = Objects.requireNonNull(interval, "interval");
        this.template = Objects.requireNonNull(initial, "initial");
        synchronized (state) {
            initial.jobs().forEach(j -> state.put(j.qname(), j));
        }
    }

    /**
     * Starts the writer thread, {@code belfry-sidecar-writer}. Calling it again, or after {@link #beginClose()} or
     * {@link #close()} (which start the thread themselves for the final write), does nothing.
     */
    public synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = new Thread(this::writeLoop, "belfry-sidecar-writer");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public synchronized long put(JobRecord record) {
        changes.put(record.qname(), record);
        return changed();
    }

    @Override
    public synchronized long remove(QName qname) {
        changes.put(qname, null);
        return changed();
    }

    private long changed() {
        // Only a writer with nothing to write waits for changes; once one is pending, the writer is gathering
        // more for the interval, writing, or about to write again, and waking it for every further change (a busy
        // engine makes thousands a second) only costs CPU and lock hand-offs. Durable waiters and close() wake it
        // themselves.
        if (submitted == committed) {
            notifyAll();
        }
        submitted++;
        return submitted;
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

    /** @return every job's latest state, committed or not: what a full resync of a mirror should show */
    public List<JobRecord> snapshot() {
        synchronized (state) {
            Map<QName, JobRecord> latest;
            synchronized (this) {
                latest = new HashMap<>(changes);
            }
            TreeMap<QName, JobRecord> view = new TreeMap<>(state);
            merge(latest, view);
            return List.copyOf(view.values());
        }
    }

    private static void merge(Map<QName, JobRecord> from, Map<QName, JobRecord> into) {
        for (Map.Entry<QName, JobRecord> e : from.entrySet()) {
            if (e.getValue() == null) {
                into.remove(e.getKey());
            } else {
                into.put(e.getKey(), e.getValue());
            }
        }
    }

    /**
     * @return completes once every change made so far is on disk
     */
    public synchronized CompletableFuture<Void> flush() {
        return durable(submitted);
    }

    /** @return the writer's state for health reports */
    public synchronized WriterHealth health() {
        return new WriterHealth(commits, failures, submitted - committed, lastCommitAt, lastCommitTook,
                lastCommitBytes, lastError);
    }

    private void writeLoop() {
        while (true) {
            synchronized (this) {
                try {
                    while (submitted == committed && !closing) {
                        wait();
                    }
                    if (submitted == committed) {
                        return; // closing with nothing left to write
                    }
                    // Coalesce: let changes gather for up to one interval, unless someone waits on durability.
                    long deadline = System.nanoTime() + interval.toNanos();
                    long left;
                    while (!urgent && !closing && (left = deadline - System.nanoTime()) > 0) {
                        TimeUnit.NANOSECONDS.timedWait(this, left);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            List<JobRecord> snapshot;
            long ticket;
            synchronized (state) {
                Map<QName, JobRecord> batch;
                synchronized (this) {
                    urgent = false;
                    batch = changes;
                    changes = new HashMap<>();
                    ticket = submitted;
                }
                // Merging and copying 100,000 entries takes milliseconds: done without the engine's monitor.
                merge(batch, state);
                snapshot = List.copyOf(state.values());
            }
            if (!write(snapshot, ticket)) {
                synchronized (this) {
                    if (givingUp) {
                        return; // close's deadline has passed: what is left stays unwritten, and close says so
                    }
                }
            }
        }
    }

    /** @return whether the write succeeded; after a failure it has sat out the retry pause */
    private boolean write(List<JobRecord> snapshot, long ticket) {
        long started = System.nanoTime();
        try {
            store.write(template.withJobs(snapshot, clock.instant()));
            synchronized (this) {
                committed = ticket;
                commits++;
                lastCommitAt = Optional.of(clock.instant());
                lastCommitTook = Duration.ofNanos(System.nanoTime() - started);
                lastCommitBytes = sizeOfFile();
                if (lastError.isPresent()) {
                    log.info("sidecar written again after {} failed attempt(s)", failures);
                }
                lastError = Optional.empty();
                completeWaiters(ticket, null);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            synchronized (this) {
                failures++;
                if (lastError.isEmpty()) {
                    log.error("writing the sidecar {} failed; state is kept in memory and retried: {}", store.file(),
                            message);
                }
                lastError = Optional.of(message);
                // Waiters must not hang on a disk that is failing: they hear of it now; the state is retried below.
                completeWaiters(ticket, e instanceof IOException io ? io : new IOException(message, e));
                try {
                    // Sit out the whole pause: every state change notifies this monitor, and a busy engine changes
                    // state many times a second, which would otherwise retry a failing disk at every interval. Only
                    // a durable waiter (urgent) or the end of close's deadline cuts it short; closing itself does
                    // not, or a shutdown on a full disk retries in a tight loop.
                    long deadline = System.nanoTime() + RETRY_AFTER_FAILURE.toNanos();
                    long left;
                    while (!givingUp && !urgent && (left = deadline - System.nanoTime()) > 0) {
                        TimeUnit.NANOSECONDS.timedWait(this, left);
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
            return false;
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

    private long sizeOfFile() {
        try {
            return java.nio.file.Files.size(store.file());
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Writes what is pending and stops the writer thread, waiting up to 30 seconds (see {@link #close(Duration)}).
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /**
     * Starts the final write of what is pending at once and lets the writer thread end when nothing is left, without
     * waiting for it: the caller can stop other things meanwhile, then {@link #close(Duration)}. Changes made after
     * this are still written. A writer never started is started for this final write.
     */
    public synchronized void beginClose() {
        if (!closing) {
            closing = true;
            urgent = true; // the one pause that closing cuts short: write now, not after the rest of a retry pause
            notifyAll();
        }
        start();
    }

    /**
     * Writes what is pending and stops the writer thread. What is pending is written at once (a commit interval is
     * not waited for) and always tried at least once, even with no time left; a failed write is retried once a
     * second, as while running, until {@code wait} has passed. If changes are still not on disk then, their number
     * and the last error are logged; the state on disk is the last successful commit. A writer never started is
     * started for this final write.
     *
     * @param wait how long failed writes may still be retried (the part of the shutdown grace that is left)
     * @return the number of changes that are not on disk; 0 when everything was written
     */
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
                log.error("state writer stopped with {} change(s) not on disk ({}); {} holds the last successful"
                        + " commit{}", unsaved, lastError.orElse("a write was still under way"), store.file(),
                        lastCommitAt.map(at -> ", of " + at).orElse(""));
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

    /**
     * The writer's health.
     *
     * @param commits         successful writes since start
     * @param failures        failed writes since start
     * @param pendingChanges  changes made but not yet on disk
     * @param lastCommitAt    when the last successful write finished
     * @param lastCommitTook  how long it took
     * @param lastCommitBytes the file's size after it
     * @param lastError       the error of the last write, if it failed
     */
    public record WriterHealth(long commits, long failures, long pendingChanges, Optional<Instant> lastCommitAt,
                               Duration lastCommitTook, long lastCommitBytes, Optional<String> lastError) {
    }
}
