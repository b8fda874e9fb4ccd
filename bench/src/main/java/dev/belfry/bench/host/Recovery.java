package dev.belfry.bench.host;

import dev.belfry.host.internal.engine.Engine;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.host.internal.state.StateLoader;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.RunOutcome;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFileOps;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.stream.Stream;

/**
 * Recovery: a checkpoint of {@code jobs} armed jobs and {@code recoveryRecords} journal records after it (every job
 * changed {@code recoveryRecords / jobs} times, as runs change them) loaded by {@link StateLoader#load}, then
 * restored into an engine and the plugin's jobs attached (every job armed). The files are made once, by a store
 * that is then abandoned without its final checkpoint (as a crash leaves them), and copied afresh for each round,
 * outside the timing. With {@code --recovery-dir} they are kept, so a fresh JVM can time a cold start over them.
 */
final class Recovery {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final RunOutcome OK = new RunOutcome(true, "", Duration.ofMillis(1));

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Options options;

    Recovery(Options options) {
        this.options = options;
    }

    String run() throws Exception {
        Clock clock = Clock.systemUTC();
        int n = options.jobs();
        List<PluginJob> provided = BelfryRig.periodicJobs(n, Duration.ofSeconds(10), context -> { });
        boolean kept = options.recoveryDir() != null;
        Path fixture = kept ? options.recoveryDir() : Files.createTempDirectory("belfry-bench-recovery-");
        StringBuilder out = new StringBuilder();
        boolean made = false;
        if (!Files.exists(fixture.resolve(SidecarStore.DIRECTORY).resolve(SidecarStore.FILE_NAME))) {
            out.append(make(fixture, provided, clock));
            made = true;
        }
        out.append(String.format(Locale.ROOT, "files: sidecar %,d bytes, journal %,d bytes in %d segment(s)%n",
                Files.size(fixture.resolve(SidecarStore.DIRECTORY).resolve(SidecarStore.FILE_NAME)),
                journalBytes(fixture), Journal.list(fixture.resolve(SidecarStore.DIRECTORY)).size()));
        List<Double> warm = new ArrayList<>();
        try {
            for (int round = 0; round < options.rounds(); round++) {
                Path dir = Files.createTempDirectory("belfry-bench-recovery-round-");
                copyTree(fixture, dir);
                System.gc();
                ExecutorService workers = BelfryRig.workers();
                try {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    StateLoader.Loaded loaded = StateLoader.load(dir, SidecarFileOps.nio(), clock,
                            Duration.ofMillis(50), JournalStore.Limits.DEFAULT, false);
                    long t1 = System.nanoTime();
                    long loadCpu = THREADS.getCurrentThreadCpuTime() - c0;
                    Engine engine = BelfryRig.engine(clock, loaded.store(), workers, EngineListener.NONE);
                    engine.restore(loaded.state().jobs());
                    engine.attach(BelfryRig.PLUGIN, provided);
                    long t2 = System.nanoTime();
                    long versions = loaded.state().jobs().stream().mapToLong(JobRecord::version).sum();
                    if (loaded.state().jobs().size() != n || engine.nextDue().isEmpty()) {
                        throw new IllegalStateException("expected " + n + " jobs armed, got "
                                + loaded.state().jobs().size());
                    }
                    boolean cold = round == 0 && !made;
                    if (round > 0) {
                        warm.add((t1 - t0) / 1e6);
                    }
                    // The same files read again, each part alone, for the CPU time of each (wall-clock time on a
                    // machine shared with others says more about them than about the code).
                    long s0 = THREADS.getCurrentThreadCpuTime();
                    SidecarDocument doc = new SidecarStore(dir, clock).load().document();
                    long s1 = THREADS.getCurrentThreadCpuTime();
                    Journal.recover(doc, dir.resolve(SidecarStore.DIRECTORY), false);
                    long s2 = THREADS.getCurrentThreadCpuTime();
                    out.append(String.format(Locale.ROOT, "round %d%s: StateLoader.load %7.1f ms (its thread's CPU"
                                    + " %6.1f ms), then restore and attach (every job armed) %6.1f ms; versions summed"
                                    + " %,d; CPU of the parts read again: sidecar %6.1f ms, journal replay %6.1f ms%n",
                            round + 1, cold ? " (cold JVM)" : round == 0 ? " (first load in this JVM; the files"
                                    + " were made in it)" : "", (t1 - t0) / 1e6, loadCpu / 1e6, (t2 - t1) / 1e6,
                            versions, (s1 - s0) / 1e6, (s2 - s1) / 1e6));
                    engine.shutdown(Duration.ZERO);
                    // The store is left as a crash leaves it: closing would write a checkpoint of no interest here.
                } finally {
                    workers.shutdownNow();
                    Options.deleteTree(dir);
                }
            }
        } finally {
            if (!kept) {
                Options.deleteTree(fixture);
            }
        }
        if (!warm.isEmpty()) {
            warm.sort(null);
            out.append(String.format(Locale.ROOT, "StateLoader.load, rounds 2-%d: median %.1f ms, min %.1f, max %.1f"
                    + "%n", options.rounds(), warm.get(warm.size() / 2), warm.get(0), warm.get(warm.size() - 1)));
        }
        return out.toString();
    }

    /** The checkpoint, then the journal records, each round of changes synced before the next (none coalesce). */
    private String make(Path dir, List<PluginJob> provided, Clock clock) throws Exception {
        long t0 = System.nanoTime();
        int n = provided.size();
        List<JobRecord> armed = new ArrayList<>(n);
        for (JobRecord r : BelfryRig.pendingRecords(provided)) {
            armed.add(r.withStatus(JobStatus.SCHEDULED).withNextFireAt(Optional.of(T0)).withVersion(1));
        }
        new SidecarStore(dir, clock).write(SidecarDocument.of(clock.instant(), armed));
        JournalStore.Limits never = new JournalStore.Limits(Long.MAX_VALUE, Duration.ofDays(365), Long.MAX_VALUE);
        JournalStore store = StateLoader.load(dir, SidecarFileOps.nio(), clock, Duration.ofMillis(50), never, false)
                .store();
        store.start();
        int rounds = Math.max(1, options.recoveryRecords() / n);
        for (int round = 1; round <= rounds; round++) {
            Instant at = T0.plusSeconds(10L * round);
            for (JobRecord r : armed) {
                store.put(r.withRunStarted(at, round).withRunEnded(at, OK, 0, 0).withNextFireAt(
                        Optional.of(at.plusSeconds(10))).withVersion(1 + round));
            }
            store.flush().get();
        }
        // Not closed: a clean close would fold the journal into a checkpoint.
        return String.format(Locale.ROOT, "made a checkpoint of %,d armed jobs and %,d journal records in %.1f s%n",
                n, (long) rounds * n, (System.nanoTime() - t0) / 1e9);
    }

    private static long journalBytes(Path dataDir) throws IOException {
        long sum = 0;
        for (Journal.SegmentFile s : Journal.list(dataDir.resolve(SidecarStore.DIRECTORY))) {
            sum += Files.size(s.file());
        }
        return sum;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().equals("lock")) {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                    // On disk before the clock starts, as a crashed host's files are: otherwise the first fsync of
                    // the load (the new segment's) waits for the writeback of this copy.
                    try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                }
            }
        }
    }
}
