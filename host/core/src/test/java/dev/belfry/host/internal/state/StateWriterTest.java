package dev.belfry.host.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFileOps;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class StateWriterTest {
    @TempDir
    Path data;

    private final FakeClock clock = FakeClock.at("2027-01-04T12:00:00Z");
    private final AtomicInteger writes = new AtomicInteger();
    private final AtomicBoolean diskFails = new AtomicBoolean();
    private final AtomicInteger failedWrites = new AtomicInteger();

    /** A failed write is logged: asserted where a test fails the disk, kept off the console. */
    @RegisterExtension
    final LogCapture log = LogCapture.of(StateWriter.class);

    /** Real NIO, counting writes, and failing the data write while {@code diskFails} is set. */
    private SidecarFileOps ops() {
        SidecarFileOps nio = SidecarFileOps.nio();
        return new SidecarFileOps() {
            @Override
            public Path createTempFile(Path dir, String prefix, String suffix) throws IOException {
                return nio.createTempFile(dir, prefix, suffix);
            }

            @Override
            public void write(Path file, Content content) throws IOException {
                if (diskFails.get()) {
                    failedWrites.incrementAndGet();
                    throw new IOException("No space left on device");
                }
                writes.incrementAndGet();
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
        };
    }

    private static JobRecord job(String name, long runs) {
        return JobRecord.pending(new QName("demo", name), "demo", Schedule.manual()).withRunCount(runs);
    }

    private static StateWriter started(StateWriter writer) {
        writer.start();
        return writer;
    }

    private SidecarDocument onDisk() throws IOException {
        return new SidecarStore(data, clock).load().document();
    }

    @Test
    void shouldCoalesceManyChangesIntoFewWritesAndPersistTheLatestState() throws Exception {
        SidecarStore store = new SidecarStore(data, clock, ops());
        try (StateWriter writer = started(new StateWriter(store, clock, Duration.ofMillis(200),
                SidecarDocument.empty(clock.instant())))) {
            for (int i = 1; i <= 1_000; i++) {
                writer.put(job("j" + (i % 10), i));
            }
            writer.flush().get(10, TimeUnit.SECONDS);

            assertThat(writes.get()).isLessThan(10);
            assertThat(onDisk().jobs()).hasSize(10);
            assertThat(onDisk().job(QName.parse("demo.j0")).orElseThrow().runCount()).isEqualTo(1_000);
            assertThat(writer.health().pendingChanges()).isZero();
        }
    }

    @Test
    void shouldReportADurableTicketOnlyOnceItIsOnDisk() throws Exception {
        SidecarStore store = new SidecarStore(data, clock, ops());
        try (StateWriter writer = started(new StateWriter(store, clock, Duration.ofHours(1),
                SidecarDocument.empty(clock.instant())))) {
            long ticket = writer.put(job("a", 1));

            // a durable wait does not sit out the (hour-long) interval: it asks for a commit now
            writer.durable(ticket).get(10, TimeUnit.SECONDS);

            assertThat(onDisk().job(QName.parse("demo.a"))).isPresent();
        }
    }

    @Test
    void shouldFailWaitersWhileTheDiskFailsAndWriteEverythingOnceItRecovers() throws Exception {
        SidecarStore store = new SidecarStore(data, clock, ops());
        try (StateWriter writer = started(new StateWriter(store, clock, Duration.ofMillis(10),
                SidecarDocument.empty(clock.instant())))) {
            writer.put(job("before", 1));
            writer.flush().get(10, TimeUnit.SECONDS);

            diskFails.set(true);
            long ticket = writer.put(job("during", 2));
            assertThatThrownBy(() -> writer.durable(ticket).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasMessageContaining("No space left on device");
            assertThat(writer.health().lastError()).hasValueSatisfying(e -> assertThat(e).contains("No space left"));
            assertThat(onDisk().jobs()).extracting(j -> j.qname().name()).containsExactly("before");

            diskFails.set(false);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (writer.health().pendingChanges() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // the writer retries on its own after a failure
            }
            assertThat(onDisk().jobs()).extracting(j -> j.qname().name()).containsExactly("before", "during");
            assertThat(writer.health().lastError()).isEmpty();
            log.assertLogged(Level.ERROR, "No space left on device");
        }
    }

    @Test
    void shouldWritePendingChangesWhenClosed() throws Exception {
        SidecarStore store = new SidecarStore(data, clock, ops());
        StateWriter writer = started(new StateWriter(store, clock, Duration.ofHours(1),
                SidecarDocument.empty(Instant.EPOCH)));
        writer.put(job("last", 7));

        writer.close();

        assertThat(onDisk().job(QName.parse("demo.last")).orElseThrow().runCount()).isEqualTo(7);
    }

    @Test
    void shouldWritePendingChangesWhenClosedWithNoTimeLeft() throws Exception {
        SidecarStore store = new SidecarStore(data, clock, ops());
        StateWriter writer = started(new StateWriter(store, clock, Duration.ofHours(1),
                SidecarDocument.empty(Instant.EPOCH)));
        writer.put(job("last", 7));

        assertThat(writer.close(Duration.ZERO)).isZero();

        assertThat(onDisk().job(QName.parse("demo.last")).orElseThrow().runCount()).isEqualTo(7);
    }

    @Test
    void shouldWriteAtOnceWithoutWaitingForTheIntervalWhenClosingBegins() throws Exception {
        SidecarStore store = new SidecarStore(data, clock, ops());
        StateWriter writer = started(new StateWriter(store, clock, Duration.ofHours(1),
                SidecarDocument.empty(Instant.EPOCH)));
        writer.put(job("last", 7));

        writer.beginClose();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (writer.health().pendingChanges() > 0 && System.nanoTime() < until) {
            Thread.sleep(5); // the writer's own thread writes while the caller stops other things
        }

        assertThat(writer.health().pendingChanges()).as("pending after beginClose, with an hour-long interval")
                .isZero();
        assertThat(onDisk().job(QName.parse("demo.last")).orElseThrow().runCount()).isEqualTo(7);
        assertThat(writer.close(Duration.ZERO)).isZero();
    }

    @Test
    void shouldKeepTheRetryPauseAndStopAtTheDeadlineWhenClosedOnAFullDisk() throws Exception {
        SidecarStore store = new SidecarStore(data, clock, ops());
        StateWriter writer = started(new StateWriter(store, clock, Duration.ofMillis(10),
                SidecarDocument.empty(clock.instant())));
        writer.put(job("saved", 1));
        writer.flush().get(10, TimeUnit.SECONDS);
        diskFails.set(true);
        writer.put(job("lost", 2));
        writer.put(job("saved", 3));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (failedWrites.get() == 0 && System.nanoTime() < until) {
            Thread.sleep(5); // the writer's own thread meets the full disk
        }
        int before = failedWrites.get();

        long started = System.nanoTime();
        long unsaved = writer.close(Duration.ofMillis(2_500));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        // Once a second within the 2.5 s, plus the immediate attempt at close: a tight loop made thousands.
        assertThat(failedWrites.get() - before).as("write attempts while closing").isBetween(1, 4);
        assertThat(took).as("close on a full disk ends at its deadline").isLessThan(Duration.ofMillis(4_000));
        assertThat(unsaved).isEqualTo(2);
        assertThat(log.lines(Level.ERROR)).last().asString()
                .contains("state writer stopped with 2 change(s) not on disk (")
                .contains("No space left on device").contains(store.file().toString());
        assertThat(onDisk().job(QName.parse("demo.saved")).orElseThrow().runCount()).isEqualTo(1);
    }

    private static long writerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("belfry-sidecar-writer") && t.isAlive()).count();
    }

    @Test
    void shouldStartNoThreadUntilStartedAndKeepChangesMadeBeforeThen() throws Exception {
        // given a writer that has been constructed and handed a change, but not started
        SidecarStore store = new SidecarStore(data, clock, ops());
        long before = writerThreads();
        StateWriter writer = new StateWriter(store, clock, Duration.ofMillis(10), SidecarDocument.empty(Instant.EPOCH));
        long ticket = writer.put(job("early", 3));
        assertThat(writerThreads()).as("writer threads after the constructor").isEqualTo(before);
        assertThat(writes.get()).isZero();

        // when it is started, twice
        writer.start();
        writer.start();

        // then one thread writes the change made before the start
        assertThat(writerThreads()).as("writer threads after two starts").isEqualTo(before + 1);
        writer.durable(ticket).get(10, TimeUnit.SECONDS);
        assertThat(onDisk().job(QName.parse("demo.early")).orElseThrow().runCount()).isEqualTo(3);
        assertThat(writer.close(Duration.ofSeconds(10))).isZero();
    }

    @Test
    void shouldWritePendingChangesWhenClosedWithoutHavingBeenStarted() throws Exception {
        SidecarStore store = new SidecarStore(data, clock, ops());
        StateWriter writer = new StateWriter(store, clock, Duration.ofHours(1), SidecarDocument.empty(Instant.EPOCH));
        writer.put(job("never-started", 5));

        assertThat(writer.close(Duration.ofSeconds(10))).isZero();

        assertThat(onDisk().job(QName.parse("demo.never-started")).orElseThrow().runCount()).isEqualTo(5);
        writer.start(); // after close: nothing starts again
        assertThat(writer.health().pendingChanges()).isZero();
    }
}
