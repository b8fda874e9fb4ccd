package dev.belfry.bench.host;

import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.host.internal.state.StateStore;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Metric 5: state updates the group-commit writer accepts, and the commits it makes of them, over a real sidecar
 * in a temporary directory. Threads call {@code put} with changed records of {@code commitJobs} jobs as fast as
 * they can; a sampler reads the writer's health every millisecond to time each commit.
 */
final class GroupCommit {
    private final Options options;

    GroupCommit(Options options) {
        this.options = options;
    }

    record Result(int jobs, int threads, double seconds, long puts, long commits, long failures, double meanCommitMs,
                  double maxCommitMs, long sampledCommits, long fileBytes) {

        String lines() {
            return String.format(Locale.ROOT, "%,d jobs, %d put threads, %.1f s: %,.0f updates/s accepted,"
                            + " %.1f commits/s (%,.0f updates per commit), %d failed%n"
                            + "commit (encode + write + fsync + rename) mean %.1f ms, max %.1f ms over %d timed"
                            + " commits; sidecar %,d bytes%n",
                    jobs, threads, seconds, puts / seconds, commits / seconds, puts / (double) Math.max(1, commits),
                    failures, meanCommitMs, maxCommitMs, sampledCommits, fileBytes);
        }
    }

    Result run() throws Exception {
        Clock clock = Clock.systemUTC();
        int n = options.commitJobs();
        List<JobRecord> records = BelfryRig.pendingRecords(BelfryRig.periodicJobs(n, Duration.ofHours(1), c -> { }));
        Path dir = Files.createTempDirectory("belfry-bench-commit-");
        SidecarStore store = new SidecarStore(dir, clock);
        store.write(SidecarDocument.of(clock.instant(), records));
        JournalStore writer = BelfryRig.journalStore(dir, clock);
        try {
            AtomicBoolean stop = new AtomicBoolean();
            LongAdder puts = new LongAdder();
            int threads = options.commitThreads();
            CountDownLatch finished = new CountDownLatch(threads);
            long commits0 = writer.health().commits();
            for (int t = 0; t < threads; t++) {
                int offset = t;
                Thread putter = new Thread(() -> {
                    long version = 1;
                    int i = offset;
                    while (!stop.get()) {
                        JobRecord base = records.get(i);
                        writer.put(base.withRunCount(version).withVersion(version));
                        puts.increment();
                        i += threads;
                        if (i >= n) {
                            i = offset;
                            version++;
                        }
                    }
                    finished.countDown();
                }, "bench-put-" + t);
                putter.setDaemon(true);
                putter.start();
            }
            long t0 = System.nanoTime();
            long deadline = t0 + options.commitTime().toNanos();
            long seen = commits0;
            double sumMs = 0;
            double maxMs = 0;
            long timed = 0;
            while (System.nanoTime() < deadline) {
                Thread.sleep(1);
                StateStore.Health h = writer.health();
                if (h.commits() > seen) {
                    // Only the last commit's duration is visible; a commit between two samples is not timed.
                    double ms = h.lastCommitTook().toNanos() / 1e6;
                    sumMs += ms;
                    maxMs = Math.max(maxMs, ms);
                    timed++;
                    seen = h.commits();
                }
            }
            stop.set(true);
            finished.await();
            double seconds = (System.nanoTime() - t0) / 1e9;
            StateStore.Health h = writer.health();
            return new Result(n, threads, seconds, puts.sum(), h.commits() - commits0, h.failures(),
                    timed == 0 ? 0 : sumMs / timed, maxMs, timed, h.checkpointBytes());
        } finally {
            writer.close(Duration.ofSeconds(30));
            Options.deleteTree(dir);
        }
    }
}
