package dev.belfry.host.internal.admin.ui;

import dev.belfry.host.internal.BackgroundPriority;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The dashboard's server-sent events: changes are gathered as the engine reports them (quickly, under its lock) and
 * sent to every open stream in one batch a few times a second, never once per change, so a busy host does not wake
 * the admin server per fire. When more changed in a batch than a page could use, the batch is one {@code reset}
 * event telling the pages to refresh, and while the host stays that busy one such event every few seconds at most.
 * Streams are bounded in number, and each in what it may leave unread (the server cuts it; the browser reconnects
 * with {@code Last-Event-ID} and catches up, or refreshes).
 */
public final class EventHub implements AutoCloseable {
    /** Streams open at once at most; more are refused with 503. */
    public static final int MAX_STREAMS = 32;
    /** Events kept to replay to a stream that reconnects. */
    static final int REPLAY = 512;
    /** Events in one batch at most; above it the batch is a single {@code reset}. */
    static final int MAX_BATCH = 200;
    /** How long the host counts as busy after a "many changes" reset (app.js slows its reloads as long). */
    static final Duration BUSY_FOR = Duration.ofSeconds(30);
    /** How often a batch goes out. */
    static final Duration FLUSH_EVERY = Duration.ofMillis(250);
    /**
     * How often a "many changes" reset goes out at most while the host stays busy: a page then reloads every 15 s
     * at most (app.js, after its gap, whatever came meanwhile), so a reset four times a second would tell it nothing
     * new, and cost the host a write to every stream each time.
     */
    static final Duration RESET_AT_MOST_EVERY = Duration.ofSeconds(5);
    /** How often an idle stream gets a comment line, so that proxies and the browser keep it open. */
    static final Duration HEARTBEAT_EVERY = Duration.ofSeconds(15);

    /** Where a stream's bytes go: the connection, which holds a bounded queue. */
    public interface Sink {
        /**
         * @param bytes bytes to send
         * @return false if the connection is gone or has too much unread; the hub then drops it
         */
        boolean send(byte[] bytes);

        /** Ends the connection. */
        void close();
    }

    /**
     * One change.
     *
     * @param id   its number, increasing
     * @param type {@code job}, {@code run}, {@code plugins} or {@code reset}
     * @param data its JSON
     */
    record Event(long id, String type, String data) {
        byte[] bytes() {
            return ("id: " + id + "\nevent: " + type + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    private final List<Sink> sinks = new ArrayList<>();
    private final Deque<Event> replay = new ArrayDeque<>();
    /** Guards {@link #pending} and {@link #overflowed}; everything else is guarded by the hub itself. */
    private final Object changes = new Object();
    private List<Change> pending = new ArrayList<>();
    /** The latest progress report of each run since the last batch, by run and job. */
    private Map<String, String> progress = new LinkedHashMap<>();
    private boolean overflowed;
    /** When the last "many changes" reset went out ({@link #nanoTime}), or 0 before the first. */
    private volatile long manyChangesAt;
    /** Whether changes were dropped since the last reset, which went out too recently for another. */
    private volatile boolean resetOwed;
    private final LongSupplier nanoTime;
    private long nextId = 1;
    private long lastSent;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(() -> {
            BackgroundPriority.lowerCurrentThread();
            r.run();
        }, "belfry-dashboard-events");
        t.setDaemon(true);
        return t;
    });

    /** Starts the hub's timer: batches and heartbeats. */
    public EventHub() {
        this(System::nanoTime);
    }

    /** @param nanoTime the time the hub spaces its resets by (a test's own) */
    EventHub(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        timer.scheduleWithFixedDelay(this::flush, FLUSH_EVERY.toMillis(), FLUSH_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::heartbeat, HEARTBEAT_EVERY.toMillis(), HEARTBEAT_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Records a change; cheap (the JSON is written when the batch goes out), called with the engine's lock held.
     *
     * @param type   the event type: {@code job}, {@code run} or {@code plugins}
     * @param job    the job concerned, or empty
     * @param detail what happened to it: a status, an outcome
     */
    public void publish(String type, String job, String detail) {
        // Its own small lock: the engine never waits for a batch being written or sent.
        synchronized (changes) {
            // Kept even while no stream is open: a page that reconnects learns from the replay what it missed.
            if (pending.size() >= MAX_BATCH) {
                overflowed = true;
                return;
            }
            pending.add(new Change(type, job, detail));
        }
    }

    /**
     * Records a run's progress report; only the latest of each run goes out with the next batch, as a
     * {@code progress} event without an id: it is not replayed (a page that reconnects draws the run afresh) and does
     * not make a page reload (app.js moves the run's bar).
     *
     * @param job      the job
     * @param runId    the run
     * @param fraction how far it is, 0 to 1
     * @param message  what it says it is doing
     */
    public void progress(String job, long runId, double fraction, String message) {
        int percent = Fields.percent(fraction);
        synchronized (changes) {
            String key = runId + " " + job;
            if (progress.size() < MAX_BATCH || progress.containsKey(key)) {
                progress.put(key, "{\"job\":" + quote(job) + ",\"run\":" + runId + ",\"percent\":" + percent
                        + ",\"message\":" + quote(Html.printable(message)) + "}");
            }
        }
    }

    private record Change(String type, String job, String detail) {
        String json() {
            return "{\"job\":" + quote(job) + ",\"detail\":" + quote(detail) + "}";
        }
    }

    /** @return the text as a JSON string */
    static String quote(String text) {
        StringBuilder b = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x2028 || c == 0x2029 || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /**
     * Opens a stream.
     *
     * @param sink        the connection
     * @param lastEventId the last event the browser saw, when it reconnects
     * @param limit       how many streams may be open, this one included (at most {@link #MAX_STREAMS}): fewer
     *                    for a viewer, so that some are always left for operators
     * @return false if {@code limit} streams are open already
     */
    public synchronized boolean open(Sink sink, Optional<Long> lastEventId, int limit) {
        if (sinks.size() >= Math.min(limit, MAX_STREAMS)) {
            return false;
        }
        // The retry line sets how soon the browser reconnects; the first event says where the stream stands.
        StringBuilder first = new StringBuilder("retry: 3000\n\n");
        if (lastEventId.isPresent()) {
            long seen = lastEventId.get();
            boolean covered = seen >= lastSent || !replay.isEmpty() && replay.peekFirst().id() <= seen + 1;
            if (covered) {
                replay.stream().filter(e -> e.id() > seen).forEach(e -> first.append(new String(e.bytes(),
                        StandardCharsets.UTF_8)));
            } else {
                first.append(new String(event("reset", "{\"reason\":\"missed events\"}").bytes(),
                        StandardCharsets.UTF_8));
            }
        } else {
            first.append(": open\n\n");
        }
        if (sink.send(first.toString().getBytes(StandardCharsets.UTF_8))) {
            sinks.add(sink);
        }
        return true;
    }

    /** @param sink a connection that closed */
    public synchronized void closed(Sink sink) {
        sinks.remove(sink);
    }

    /** @return the streams open now */
    public synchronized int streams() {
        return sinks.size();
    }

    private Event event(String type, String data) {
        Event e = new Event(nextId++, type, data);
        replay.addLast(e);
        while (replay.size() > REPLAY) {
            replay.removeFirst();
        }
        lastSent = e.id();
        return e;
    }

    /**
     * @return whether more changed in a batch than a page could use in the last {@link #BUSY_FOR}: the pages then
     *         reload slowly (app.js), and the lists may be older
     */
    public boolean busy() {
        long at = manyChangesAt;
        return at != 0 && nanoTime.getAsLong() - at < BUSY_FOR.toNanos();
    }

    void flush() {
        List<Change> taken;
        boolean tooMany;
        Map<String, String> reports;
        synchronized (changes) {
            if (pending.isEmpty() && !overflowed && progress.isEmpty() && !resetOwed) {
                return;
            }
            taken = pending;
            tooMany = overflowed;
            reports = progress;
            pending = new ArrayList<>();
            overflowed = false;
            progress = new LinkedHashMap<>();
        }
        synchronized (this) {
            StringBuilder batch = new StringBuilder();
            long now = nanoTime.getAsLong();
            // On a busy host the pages reload every 15 s and draw each run's progress then: a report per run per
            // batch would be hundreds of events a second to every stream.
            boolean sendProgress = !tooMany && !resetOwed && !busy();
            if (tooMany || resetOwed) {
                // A reset covers every change until it goes out: those of a batch in between are dropped with it.
                boolean tooSoon = manyChangesAt != 0 && now - manyChangesAt < RESET_AT_MOST_EVERY.toNanos();
                resetOwed = tooSoon;
                if (!tooSoon) {
                    manyChangesAt = now;
                    batch.append(new String(event("reset", "{\"reason\":\"many changes\"}").bytes(),
                            StandardCharsets.UTF_8));
                }
            } else {
                Map<String, Change> lastOfJob = new HashMap<>();
                for (Change c : taken) {
                    if (!c.equals(lastOfJob.put(c.job(), c))) { // a job reported twice in a row in the same state
                        batch.append(new String(event(c.type(), c.json()).bytes(), StandardCharsets.UTF_8));
                    }
                }
            }
            if (sendProgress) {
                // A run that ended in this batch has its end on the page next: its last report would come after it.
                Set<String> ended = new HashSet<>();
                taken.stream().filter(c -> c.type().equals("run")).forEach(c -> ended.add(c.job()));
                reports.forEach((runAndJob, data) -> {
                    if (!ended.contains(runAndJob.substring(runAndJob.indexOf(' ') + 1))) {
                        batch.append("event: progress\ndata: ").append(data).append("\n\n");
                    }
                });
            }
            if (batch.isEmpty()) {
                return;
            }
            sendAll(batch.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    private synchronized void heartbeat() {
        sendAll(": ping\n\n".getBytes(StandardCharsets.UTF_8));
    }

    private void sendAll(byte[] bytes) {
        sinks.removeIf(s -> {
            if (s.send(bytes)) {
                return false;
            }
            s.close();
            return true;
        });
    }

    /** Stops the timer and ends every stream. */
    @Override
    public synchronized void close() {
        timer.shutdownNow();
        sinks.forEach(Sink::close);
        sinks.clear();
    }
}
