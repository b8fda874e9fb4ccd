package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import dev.belfry.sidecar.JobRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/** A {@link StateSink} in memory. Commits are immediate unless the test holds them. */
class MemorySink implements StateSink {
    final Map<QName, JobRecord> records = new TreeMap<>();
    final List<JobRecord> history = new ArrayList<>();
    private final List<CompletableFuture<Void>> heldCommits = new ArrayList<>();
    private long ticket;
    private boolean holdCommits;

    @Override
    public synchronized long put(JobRecord record) {
        records.put(record.qname(), record);
        history.add(record);
        return ++ticket;
    }

    @Override
    public synchronized long remove(QName qname) {
        records.remove(qname);
        return ++ticket;
    }

    @Override
    public synchronized CompletableFuture<Void> durable(long t) {
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
