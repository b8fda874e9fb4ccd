package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import dev.belfry.sidecar.JobRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link StateSink} in memory. Commits are immediate unless the test holds them or makes them fail (a disk that
 * refuses writes until it recovers).
 */
class MemorySink implements StateSink {
    final Map<QName, JobRecord> records = new TreeMap<>();
    final List<JobRecord> history = new ArrayList<>();
    /** Each put's record by its ticket. */
    final Map<Long, JobRecord> byTicket = new TreeMap<>();
    /** The tickets durability was asked for, in order. */
    final List<Long> durableRequests = new ArrayList<>();
    private final List<CompletableFuture<Void>> heldCommits = new ArrayList<>();
    private long ticket;
    private boolean holdCommits;
    private String failing;

    @Override
    public synchronized long put(JobRecord record) {
        records.put(record.qname(), record);
        history.add(record);
        byTicket.put(++ticket, record);
        return ticket;
    }

    @Override
    public synchronized long remove(QName qname) {
        records.remove(qname);
        return ++ticket;
    }

    @Override
    public synchronized CompletableFuture<Void> durable(long t) {
        durableRequests.add(t);
        if (failing != null) {
            return CompletableFuture.failedFuture(new java.io.IOException(failing));
        }
        if (!holdCommits) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        heldCommits.add(f);
        return f;
    }

    synchronized void holdCommits() {
        holdCommits = true;
    }

    synchronized void completeCommits() {
        heldCommits.forEach(f -> f.complete(null));
        heldCommits.clear();
    }

    /** From now on every durable request fails at once with {@code why}, until {@link #recover()}. */
    synchronized void failDurable(String why) {
        failing = why;
    }

    synchronized void recover() {
        failing = null;
    }

    /** @return the ticket of the last put of the job */
    synchronized long lastTicketOf(String qname) {
        QName q = QName.parse(qname);
        return byTicket.entrySet().stream().filter(e -> e.getValue().qname().equals(q)).mapToLong(Map.Entry::getKey)
                .max().orElseThrow(() -> new AssertionError("no put for " + qname));
    }

    synchronized void failCommits(String why) {
        heldCommits.forEach(f -> f.completeExceptionally(new java.io.IOException(why)));
        heldCommits.clear();
    }

    synchronized Optional<JobRecord> get(String qname) {
        return Optional.ofNullable(records.get(QName.parse(qname)));
    }

    synchronized JobRecord require(String qname) {
        return get(qname).orElseThrow(() -> new AssertionError("no record for " + qname + " in " + records.keySet()));
    }
}
