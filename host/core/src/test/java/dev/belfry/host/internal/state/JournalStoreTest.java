package dev.belfry.host.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JournalSegment;
import dev.belfry.sidecar.LoadResult;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFileOps;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class JournalStoreTest {
    @TempDir
    Path data;

    private final FakeClock clock = FakeClock.at("2027-01-04T12:00:00Z");
    private final AtomicBoolean syncFails = new AtomicBoolean();
    private final AtomicBoolean checkpointFails = new AtomicBoolean();
    private final AtomicBoolean createFails = new AtomicBoolean();
    private final AtomicBoolean segmentWriteFails = new AtomicBoolean();
    private final AtomicInteger syncs = new AtomicInteger();
    private final AtomicInteger failedSyncs = new AtomicInteger();
    private final AtomicInteger sidecarWrites = new AtomicInteger();

    @RegisterExtension
    final LogCapture log = LogCapture.of(JournalStore.class);

    /** Real NIO, counting segment syncs and sidecar writes, failing them while told to. */
    private SidecarFileOps ops() {
        SidecarFileOps nio = SidecarFileOps.nio();
        return new SidecarFileOps() {
            @Override
            public Path createTempFile(Path dir, String prefix, String suffix) throws IOException {
                return nio.createTempFile(dir, prefix, suffix);
            }

            @Override
            public void write(Path file, Content content) throws IOException {
                if (checkpointFails.get() || syncFails.get()) {
                    throw new IOException("Input/output error");
                }
                sidecarWrites.incrementAndGet();
                nio.write(file, content);
            }

            @Override
            public void force(Path file) throws IOException {
                nio.force(file);
            }

            @Override
            public void copy(Path from, Path to) throws IOException {
                nio.copy(from, to);
            }

            @Override
            public void atomicMove(Path from, Path to) throws IOException {
                nio.atomicMove(from, to);
            }

            @Override
            public void forceDirectory(Path dir) throws IOException {
                nio.forceDirectory(dir);
            }

            @Override
            public void deleteIfExists(Path file) throws IOException {
                nio.deleteIfExists(file);
            }

            @Override
            public FileChannel createSegment(Path file) throws IOException {
                if (createFails.get()) {
                    throw new java.nio.file.AccessDeniedException(file.toString());
                }
                return nio.createSegment(file);
            }

            @Override
            public int writeSegment(FileChannel channel, Path file, ByteBuffer bytes) throws IOException {
                if (segmentWriteFails.get()) {
                    throw new IOException("No space left on device");
                }
                return nio.writeSegment(channel, file, bytes);
            }

            @Override
            public void forceSegment(FileChannel channel, Path file) throws IOException {
                if (syncFails.get()) {
                    failedSyncs.incrementAndGet();
                    throw new IOException("Input/output error");
                }
                syncs.incrementAndGet();
                nio.forceSegment(channel, file);
            }
        };
    }

    private static JobRecord job(String name, long runs) {
        return JobRecord.pending(QName.of("demo", name), "demo", new Schedule.Manual()).withRunCount(runs);
    }

    private JournalStore open(Duration interval, JournalStore.Limits limits) {
        JournalStore store = StateLoader.load(data, ops(), clock, interval, limits, false).store();
        store.start();
        return store;
    }

    private JournalStore open(Duration interval) {
        return open(interval, JournalStore.Limits.DEFAULT);
    }

    /** What the next start would load: the sidecar with the journal replayed, read without changing anything. */
    private SidecarDocument onDisk() throws IOException {
        LoadResult loaded = new SidecarStore(data, clock).load();
        return Journal.document(loaded.document(), Journal.recover(loaded.document(), systemDir(), false));
    }

    private Path systemDir() {
        return data.resolve(SidecarStore.DIRECTORY);
    }

    private long runsOnDisk(String name) throws IOException {
        return onDisk().job(QName.of("demo", name)).orElseThrow().runCount();
    }

    private List<Long> segments() throws IOException {
        return Journal.list(systemDir()).stream().map(Journal.SegmentFile::generation).toList();
    }

    @Test
    void shouldAcknowledgeADurableChangeAfterOneSyncWithoutWaitingForTheInterval() throws Exception {
        JournalStore store = open(Duration.ofHours(1));
        int sidecarWritesAtStart = sidecarWrites.get();

        long ticket = store.put(job("a", 1));
        store.durable(ticket).get(10, TimeUnit.SECONDS);

        assertThat(runsOnDisk("a")).isEqualTo(1);
        assertThat(sidecarWrites.get()).as("the sidecar is not rewritten for a change").isEqualTo(sidecarWritesAtStart);
        assertThat(store.health().commits()).isEqualTo(1);
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldCoalesceChangesNobodyWaitsForAndBoundHowLongTheyStayInMemory() throws Exception {
        JournalStore store = open(Duration.ofMillis(200));
        for (int i = 1; i <= 1_000; i++) {
            store.put(job("j" + (i % 10), i));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.health().pendingChanges() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10); // nobody asks for durability: the interval alone brings the changes to disk
        }

        assertThat(store.health().pendingChanges()).isZero();
        assertThat(syncs.get() - 1).as("syncs after the segment header").isLessThan(10);
        assertThat(runsOnDisk("j0")).isEqualTo(1_000);
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldRecoverEveryAcknowledgedChangeWhenTheProcessDiesWithoutClosing() throws Exception {
        JournalStore store = open(Duration.ofHours(1));
        store.put(job("a", 1));
        store.remove(QName.of("demo", "a"));
        store.put(job("b", 2));
        store.flush().get(10, TimeUnit.SECONDS);
        store.put(job("c", 3)); // never acknowledged; may or may not survive

        // the store is abandoned, as by kill -9: no close, no final checkpoint
        SidecarDocument after = onDisk();

        assertThat(after.job(QName.of("demo", "a"))).isEmpty();
        assertThat(after.job(QName.of("demo", "b")).orElseThrow().runCount()).isEqualTo(2);
        assertThat(segments()).isNotEmpty();
    }

    @Test
    void shouldCheckpointWhenTheSegmentPassesItsBoundAndDeleteTheSegmentsItCovers() throws Exception {
        JournalStore store = open(Duration.ofMillis(1), new JournalStore.Limits(4_096, Duration.ofHours(1), 1));
        for (int i = 0; i < 2_000; i++) {
            store.durable(store.put(job("j" + (i % 50), i))).get(10, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.health().checkpoints() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }

        SidecarDocument checkpoint = new SidecarStore(data, clock).load().document();
        assertThat(store.health().checkpoints()).isGreaterThanOrEqualTo(3);
        assertThat(checkpoint.journalGeneration()).isPositive();
        assertThat(segments()).allSatisfy(g -> assertThat(g).isGreaterThanOrEqualTo(checkpoint.journalGeneration()));
        assertThat(runsOnDisk("j49")).isEqualTo(1_999);
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldLeaveOnlyTheSidecarAfterACleanClose() throws Exception {
        JournalStore store = open(Duration.ofHours(1));
        store.put(job("last", 7));

        assertThat(store.close(Duration.ofSeconds(10))).isZero();

        assertThat(segments()).isEmpty();
        SidecarDocument sidecar = new SidecarStore(data, clock).load().document();
        assertThat(sidecar.job(QName.of("demo", "last")).orElseThrow().runCount()).isEqualTo(7);
    }

    @Test
    void shouldNotAcknowledgeWhileSyncFailsAndRecoverWithACheckpointOnceTheDiskDoes() throws Exception {
        JournalStore store = open(Duration.ofMillis(10));
        store.durable(store.put(job("before", 1))).get(10, TimeUnit.SECONDS);

        syncFails.set(true);
        long ticket = store.put(job("during", 2));
        CompletableFuture<Void> ack = store.durable(ticket);
        assertThatThrownBy(() -> ack.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasMessageContaining("Input/output error");
        assertThat(store.health().lastError()).hasValueSatisfying(e -> assertThat(e).contains("Input/output"));
        assertThat(store.health().pendingChanges()).isPositive();
        assertThat(store.snapshot()).extracting(j -> j.qname().name()).contains("before", "during");

        syncFails.set(false);
        store.durable(store.put(job("after", 3))).get(10, TimeUnit.SECONDS);

        assertThat(store.health().lastError()).isEmpty();
        assertThat(store.health().pendingChanges()).isZero();
        assertThat(onDisk().jobs()).extracting(j -> j.qname().name()).containsExactly("after", "before", "during");
        SidecarDocument checkpoint = new SidecarStore(data, clock).load().document();
        assertThat(checkpoint.jobs()).extracting(j -> j.qname().name()).as("the recovery wrote a checkpoint")
                .contains("before", "during");
        log.assertLogged(Level.ERROR, "Input/output error");
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldWriteAJobThatChangesFasterThanTheIntervalWithinTheInterval() throws Exception {
        JournalStore store = open(Duration.ofMillis(50));
        int syncsAtStart = syncs.get();
        long runs = 0;
        long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        // One job changing every 5 ms, nobody waiting for it: its changes must not keep postponing the write.
        while (System.nanoTime() < until) {
            store.put(job("hot", ++runs));
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
        int syncsWhileChanging = syncs.get() - syncsAtStart;

        assertThat(syncsWhileChanging).as("journal syncs in 1 s of changes every 5 ms, commit interval 50 ms")
                .isGreaterThanOrEqualTo(5);
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldKeepEveryChangeOfABatchWhoseWriteFailedAndWriteItOnceTheDiskWorks() throws Exception {
        JournalStore store = open(Duration.ofHours(1));
        store.durable(store.put(job("before", 1))).get(10, TimeUnit.SECONDS);

        segmentWriteFails.set(true);
        long ticket = 0;
        for (int i = 0; i < 3_000; i++) {
            ticket = store.put(job("bulk-" + i, i)); // one batch, larger than the writer's 64 KiB buffer
        }
        CompletableFuture<Void> ack = store.durable(ticket);
        assertThatThrownBy(() -> ack.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasMessageContaining("No space left on device");

        segmentWriteFails.set(false);
        store.durable(store.put(job("after", 2))).get(10, TimeUnit.SECONDS);
        store.flush().get(10, TimeUnit.SECONDS);

        assertThat(onDisk().jobs()).as("jobs on disk once the disk works again, every change acknowledged")
                .hasSize(3_002);
        log.assertLogged(Level.ERROR, "No space left on device");
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldKeepTheJournalWhenACheckpointFailsAndLoseNothing() throws Exception {
        JournalStore store = open(Duration.ofMillis(1), new JournalStore.Limits(2_048, Duration.ofHours(1), 1));
        long checkpointsAtStart = store.health().checkpoints(); // a new data directory starts with one
        checkpointFails.set(true);
        for (int i = 0; i < 500; i++) {
            store.durable(store.put(job("j" + (i % 20), i))).get(10, TimeUnit.SECONDS);
        }

        assertThat(store.health().checkpoints()).isEqualTo(checkpointsAtStart);
        assertThat(segments().size()).as("segments kept while checkpoints fail").isGreaterThan(1);
        assertThat(runsOnDisk("j19")).isEqualTo(499);
        log.assertLogged(Level.ERROR, "checkpoint");
        checkpointFails.set(false);
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
        assertThat(segments()).isEmpty();
        assertThat(runsOnDisk("j19")).isEqualTo(499);
    }

    @Test
    void shouldStopAtCloseDeadlineOnAFailingDiskAndSayWhatIsNotOnDisk() throws Exception {
        JournalStore store = open(Duration.ofMillis(10));
        store.durable(store.put(job("saved", 1))).get(10, TimeUnit.SECONDS);
        syncFails.set(true);
        store.put(job("lost", 2));
        store.put(job("saved", 3));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (failedSyncs.get() == 0 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        int before = failedSyncs.get() + sidecarWrites.get();

        long started = System.nanoTime();
        long unsaved = store.close(Duration.ofMillis(2_500));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(took).as("close on a failing disk ends at its deadline").isLessThan(Duration.ofMillis(4_000));
        assertThat(unsaved).isEqualTo(2);
        assertThat(log.lines(Level.ERROR)).last().asString()
                .contains("state store stopped with 2 change(s) not on disk (").contains("Input/output error");
        assertThat(failedSyncs.get() + sidecarWrites.get() - before).as("no tight retry loop").isLessThan(10);
        syncFails.set(false);
        assertThat(runsOnDisk("saved")).as("the last acknowledged state").isGreaterThanOrEqualTo(1);
    }

    @Test
    void shouldStartNoThreadUntilStartedAndWriteChangesMadeBeforeThen() throws Exception {
        JournalStore store = StateLoader.load(data, ops(), clock, Duration.ofMillis(10), JournalStore.Limits.DEFAULT,
                false).store();
        long before = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("belfry-journal-writer")).count();
        long ticket = store.put(job("early", 3));
        assertThat(Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("belfry-journal-writer")).count()).isEqualTo(before);

        store.start();
        store.start();
        store.durable(ticket).get(10, TimeUnit.SECONDS);

        assertThat(runsOnDisk("early")).isEqualTo(3);
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldCreateSegmentsOwnerOnly() throws Exception {
        JournalStore store = open(Duration.ofHours(1));
        store.durable(store.put(job("a", 1))).get(10, TimeUnit.SECONDS);

        Path segment = Journal.list(systemDir()).get(0).file();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(segment))).isEqualTo("rw-------");
        store.close(Duration.ofSeconds(10));
    }

    @Test
    void shouldCutATornTailAtStartAndAppendAfterIt() throws Exception {
        JournalStore first = open(Duration.ofHours(1));
        first.durable(first.put(job("a", 1))).get(10, TimeUnit.SECONDS);
        Path segment = Journal.list(systemDir()).get(0).file();
        try (FileChannel ch = FileChannel.open(segment, java.nio.file.StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 40, 1, 2, 3})); // a record the crash cut short
        }
        long tornLength = Files.size(segment);

        JournalStore second = StateLoader.load(data, ops(), clock, Duration.ofHours(1), JournalStore.Limits.DEFAULT,
                false).store();
        second.start();
        second.durable(second.put(job("b", 2))).get(10, TimeUnit.SECONDS);

        assertThat(Files.size(segment)).isEqualTo(tornLength - 7);
        assertThat(onDisk().jobs()).extracting(j -> j.qname().name()).containsExactly("a", "b");
        log.assertLogged(Level.WARN, "cut short by a crash");
        second.close(Duration.ofSeconds(10));
    }

    @Test
    void shouldMoveAsideAFileInThePlaceOfTheNextSegmentAndKeepCommitting() throws Exception {
        JournalStore store = open(Duration.ofMillis(1), new JournalStore.Limits(2_048, Duration.ofHours(1), 1));
        store.durable(store.put(job("a", 1))).get(10, TimeUnit.SECONDS);
        long current = segments().get(segments().size() - 1);
        Path squatter = Journal.segment(systemDir(), current + 1);
        Files.createSymbolicLink(squatter, data.resolve("elsewhere"));

        for (int i = 0; i < 200; i++) { // past the 2 KiB bound: the store rolls to the squatter's generation
            store.durable(store.put(job("j" + (i % 20), i))).get(10, TimeUnit.SECONDS);
        }

        assertThat(Files.exists(data.resolve("elsewhere"))).as("nothing written through the link").isFalse();
        assertThat(segments()).allSatisfy(g -> assertThat(g).isGreaterThan(current));
        try (var names = Files.list(systemDir())) {
            assertThat(names.map(p -> p.getFileName().toString()))
                    .anySatisfy(n -> assertThat(n).startsWith(squatter.getFileName() + ".corrupt-"));
        }
        log.assertLogged(Level.ERROR, "was in the way of the next journal segment");
        assertThat(runsOnDisk("j19")).isEqualTo(199);
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldNotAcknowledgeIntoASegmentDeletedUnderItAndRecoverWithACheckpoint() throws Exception {
        JournalStore store = open(Duration.ofHours(1));
        store.durable(store.put(job("a", 1))).get(10, TimeUnit.SECONDS);
        Files.delete(Journal.list(systemDir()).get(0).file());

        CompletableFuture<Void> lost = store.durable(store.put(job("b", 1)));
        assertThatThrownBy(() -> lost.get(10, TimeUnit.SECONDS)).hasMessageContaining("was deleted while the host"
                + " wrote it");
        store.durable(store.put(job("c", 1))).get(10, TimeUnit.SECONDS);

        assertThat(onDisk().jobs()).extracting(j -> j.qname().name()).containsExactly("a", "b", "c");
        assertThat(store.health().lastError()).isEmpty();
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldNotAppendToASegmentCutUnderItAndKeepEveryAcknowledgedChange() throws Exception {
        JournalStore store = open(Duration.ofHours(1));
        store.durable(store.put(job("a", 1))).get(10, TimeUnit.SECONDS);
        store.durable(store.put(job("b", 1))).get(10, TimeUnit.SECONDS);
        Path segment = Journal.list(systemDir()).get(0).file();
        try (FileChannel ch = FileChannel.open(segment, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(JournalSegment.HEADER_BYTES); // another process cuts the live segment
        }

        CompletableFuture<Void> refused = store.durable(store.put(job("c", 1)));
        assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS)).hasMessageContaining("was cut to 20 bytes");
        store.durable(store.put(job("d", 1))).get(10, TimeUnit.SECONDS);

        assertThat(onDisk().jobs()).as("what a start loads after a crash now").extracting(j -> j.qname().name())
                .containsExactly("a", "b", "c", "d");
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldAcknowledgeAgainOnceANewSegmentCanBeCreatedAfterAFailedSync() throws Exception {
        JournalStore store = open(Duration.ofMillis(10));
        store.durable(store.put(job("a", 1))).get(10, TimeUnit.SECONDS);
        createFails.set(true);
        syncFails.set(true);
        CompletableFuture<Void> failed = store.durable(store.put(job("b", 1)));
        assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS)).hasMessageContaining("Input/output error");
        syncFails.set(false); // the disk takes writes again, but no new file may be created in _system yet
        CompletableFuture<Void> noSegment = store.durable(store.put(job("c", 1)));
        assertThatThrownBy(() -> noSegment.get(10, TimeUnit.SECONDS)).hasMessageContaining("could not create journal"
                + " segment").hasMessageContaining("permission denied");

        createFails.set(false);
        store.durable(store.put(job("d", 1))).get(10, TimeUnit.SECONDS);

        assertThat(onDisk().jobs()).extracting(j -> j.qname().name()).containsExactly("a", "b", "c", "d");
        assertThat(store.health().lastError()).isEmpty();
        assertThat(store.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldLoadAfterASecondCrashWhenTheFirstCutASegmentHeaderShort() throws Exception {
        JournalStore first = open(Duration.ofHours(1));
        first.durable(first.put(job("a", 1))).get(10, TimeUnit.SECONDS);
        long g = segments().get(segments().size() - 1);
        // Killed while rolling to the next segment: half its header was written.
        Files.write(Journal.segment(systemDir(), g + 1), new byte[JournalSegment.HEADER_BYTES / 2]);

        JournalStore second = StateLoader.load(data, ops(), clock, Duration.ofHours(1), JournalStore.Limits.DEFAULT,
                false).store();
        second.start();
        second.durable(second.put(job("b", 2))).get(10, TimeUnit.SECONDS);

        // Killed again, before any checkpoint: the next start must find no gap in the journal.
        assertThat(segments()).containsExactly(g, g + 1);
        assertThat(onDisk().jobs()).extracting(j -> j.qname().name()).containsExactly("a", "b");
        log.assertLogged(Level.WARN, "segment header cut short");
        second.close(Duration.ofSeconds(10));
    }
}
