package dev.belfry.host.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.JournalReader;
import dev.belfry.sidecar.JournalSegment;
import dev.belfry.sidecar.RunLogRecords;
import dev.belfry.sidecar.SidecarFileOps;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class RunLogTest {
    private static final QName A = QName.of("demo", "a");
    private static final QName B = QName.of("demo", "b");
    private static final Instant LIFE = Instant.parse("2027-01-04T12:00:00.123Z");
    private static final RunLog.Limits NEVER = new RunLog.Limits(Long.MAX_VALUE);

    @TempDir
    Path dir;

    @RegisterExtension
    final LogCapture log = LogCapture.of(RunLog.class);

    private long runIds;

    private RunResult run(QName job, String error) {
        long id = ++runIds;
        Instant scheduled = Instant.parse("2027-01-04T12:00:00Z").plusMillis(id * 250).plusNanos(id * 17);
        return new RunResult(job, id, scheduled, scheduled.plusNanos(70_123), scheduled.plusMillis(3).plusNanos(id),
                id % 3 == 0 ? 2 : 1, Optional.ofNullable(error));
    }

    private RunResult run(QName job) {
        return run(job, null);
    }

    private static RunLog open(Path dir, SidecarFileOps ops, int perJob, RunLog.Limits limits) throws IOException {
        return RunLog.open(dir, ops, perJob, Duration.ofHours(1), limits, LIFE);
    }

    private RunLog open(int perJob) throws IOException {
        return open(dir, SidecarFileOps.nio(), perJob, NEVER);
    }

    private static Map<QName, List<RunLogRecords.Run>> history(RunLog runs) {
        Map<QName, List<RunLogRecords.Run>> out = new HashMap<>();
        for (QName q : runs.jobs()) {
            out.put(q, runs.runs(q));
        }
        return out;
    }

    private List<Long> segments() throws IOException {
        return RunLogLoader.list(dir);
    }

    @Test
    void shouldKeepTheLastRunsOfEveryJobAcrossARestartNewestFirst() throws IOException {
        RunLog runs = open(50);
        RunResult first = run(A);
        RunResult failed = run(A, "failed: boom");
        RunResult other = run(B);
        runs.add(first);
        runs.add(failed);
        runs.add(other);
        runs.close(Duration.ofSeconds(5));

        RunLog again = open(50);

        assertThat(again.runs(A)).extracting(RunLogRecords.Run::runId).containsExactly(failed.runId(), first.runId());
        RunLogRecords.Run last = again.runs(A).get(0);
        assertThat(last.scheduledFor()).isEqualTo(failed.scheduledFor());
        assertThat(last.startedAt()).isEqualTo(failed.firedAt());
        assertThat(last.finishedAt()).isEqualTo(failed.finishedAt());
        assertThat(last.attempt()).isEqualTo(failed.attempt());
        assertThat(last.error()).contains("failed: boom");
        assertThat(last.hostStartedAt()).isEqualTo(LIFE);
        assertThat(again.runs(B)).extracting(RunLogRecords.Run::runId).containsExactly(other.runId());
        again.close(Duration.ofSeconds(5));
    }

    @Test
    void shouldKeepAtMostTheConfiguredRunsPerJobInMemoryAndAfterARestart() throws IOException {
        RunLog runs = open(3);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            RunResult r = run(A);
            ids.add(r.runId());
            runs.add(r);
            if (i % 2 == 0) {
                runs.writeNow();
            }
        }

        assertThat(runs.runs(A)).extracting(RunLogRecords.Run::runId).containsExactly(ids.get(6), ids.get(5),
                ids.get(4));
        assertThat(runs.size()).isEqualTo(3);
        runs.close(Duration.ofSeconds(5));
        RunLog again = open(2);
        assertThat(again.runs(A)).extracting(RunLogRecords.Run::runId).containsExactly(ids.get(6), ids.get(5));
        again.close(Duration.ofSeconds(5));
    }

    @Test
    void shouldForgetTheRunsOfARemovedJobAcrossARestart() throws IOException {
        RunLog runs = open(50);
        runs.add(run(A));
        runs.add(run(B));
        runs.writeNow();
        runs.drop(A);

        assertThat(runs.runs(A)).isEmpty();
        runs.close(Duration.ofSeconds(5));
        RunLog again = open(50);
        assertThat(again.runs(A)).isEmpty();
        assertThat(again.runs(B)).hasSize(1);
        again.add(run(A)); // a job of the same name, created again, starts with no history
        again.close(Duration.ofSeconds(5));
        assertThat(open(50).runs(A)).hasSize(1);
    }

    @Test
    void shouldCompactOnceTheLogHoldsTwiceTheLiveRunsAndDeleteTheOlderSegment() throws IOException {
        RunLog runs = open(dir, SidecarFileOps.nio(), 5, new RunLog.Limits(1));
        long first = runs.segment();
        for (int i = 0; i < 200; i++) {
            runs.add(run(i % 2 == 0 ? A : B));
            runs.writeNow();
        }
        Map<QName, List<RunLogRecords.Run>> expected = history(runs);

        assertThat(runs.segment()).isGreaterThan(first);
        assertThat(segments()).containsExactly(runs.segment());
        runs.close(Duration.ofSeconds(5));
        RunLog again = open(5);
        assertThat(history(again)).isEqualTo(expected);
        assertThat(again.size()).isEqualTo(10);
        again.close(Duration.ofSeconds(5));
    }

    @Test
    void shouldRoundTripRunsWhoseInstantsAreCenturiesApart() throws IOException {
        RunLog runs = open(50);
        RunResult far = new RunResult(A, 7, Instant.MIN, Instant.parse("2027-01-04T12:00:00.000000001Z"),
                Instant.MAX, 1, Optional.empty());
        RunResult near = run(A);
        runs.add(far);
        runs.add(near);
        runs.close(Duration.ofSeconds(5));

        List<RunLogRecords.Run> back = open(50).runs(A);
        assertThat(back.get(1).scheduledFor()).isEqualTo(Instant.MIN);
        assertThat(back.get(1).finishedAt()).isEqualTo(Instant.MAX);
        assertThat(back.get(0).scheduledFor()).isEqualTo(near.scheduledFor());
    }

    @Test
    void shouldWriteNothingWhenHistoryIsOff() throws IOException {
        RunLog runs = open(0);
        runs.add(run(A));
        runs.close(Duration.ofSeconds(5));

        assertThat(runs.runs(A)).isEmpty();
        assertThat(segments()).isEmpty();
    }

    /**
     * A crash at every step of a compaction: from the failing step on, nothing more reaches the disk (the process
     * is gone). The next start loads exactly the history memory held.
     */
    @Test
    void shouldLoadTheWholeHistoryAfterACrashAtEveryStepOfACompaction() throws IOException {
        int steps = Integer.MAX_VALUE;
        for (int crashAt = 0; crashAt <= steps; crashAt++) {
            Path d = Files.createDirectory(dir.resolve("crash-" + crashAt));
            CrashingOps ops = new CrashingOps();
            RunLog runs = open(d, ops, 3, NEVER);
            for (int i = 0; i < 20; i++) {
                runs.add(run(i % 2 == 0 ? A : B, i % 5 == 0 ? "failed: " + i : null));
                if (i % 4 == 0) {
                    runs.writeNow();
                }
            }
            runs.drop(B);
            runs.add(run(QName.of("demo", "c")));
            runs.writeNow();
            Map<QName, List<RunLogRecords.Run>> expected = history(runs);

            ops.crashAt(crashAt);
            boolean crashed;
            try {
                runs.compactNow();
                crashed = false;
            } catch (IOException e) {
                crashed = true;
            }
            if (!crashed) {
                steps = crashAt; // the compaction ran to its end: every step has been a crash point
            }

            RunLog again = open(d, SidecarFileOps.nio(), 3, NEVER);
            assertThat(history(again)).as("crash at step %d", crashAt).isEqualTo(expected);
            assertThat(RunLogLoader.list(d)).as("crash at step %d", crashAt).hasSize(1);
            again.add(run(A));
            again.close(Duration.ofSeconds(5));
            assertThat(open(d, SidecarFileOps.nio(), 3, NEVER).runs(A)).hasSize(3);
        }
        assertThat(steps).as("a compaction has several steps").isGreaterThan(4);
    }

    @Test
    void shouldStartWithoutAnErrorAfterACrashAtEveryStepOfTheFirstStart() throws IOException {
        int steps = Integer.MAX_VALUE;
        for (int crashAt = 0; crashAt <= steps; crashAt++) {
            Path d = Files.createDirectory(dir.resolve("first-" + crashAt));
            CrashingOps ops = new CrashingOps();
            ops.crashAt(crashAt);
            try {
                open(d, ops, 3, NEVER);
                steps = crashAt; // the first start ran to its end
            } catch (IOException e) {
                // the process died here
            }

            RunLog again = open(d, SidecarFileOps.nio(), 3, NEVER);
            assertThat(again.jobs()).isEmpty();
            again.add(run(A));
            again.close(Duration.ofSeconds(5));
            assertThat(open(d, SidecarFileOps.nio(), 3, NEVER).runs(A)).as("crash at step %d", crashAt).hasSize(1);
        }
        assertThat(log.count(Level.ERROR)).isZero();
    }

    @Test
    void shouldCutATornTailAtEveryByteOfTheLastRecordAndKeepTheRunsBeforeIt() throws IOException {
        Path source = Files.createDirectory(dir.resolve("source"));
        RunLog runs = open(source, SidecarFileOps.nio(), 50, NEVER);
        runs.add(run(A));
        runs.add(run(B));
        runs.writeNow();
        Map<QName, List<RunLogRecords.Run>> before = history(runs);
        runs.add(run(A, "failed: last"));
        runs.add(run(B));
        runs.close(Duration.ofSeconds(5));
        Path file = source.resolve(RunLog.SEGMENT_PREFIX + RunLogLoader.list(source).get(0));
        byte[] bytes = Files.readAllBytes(file);
        JournalReader.Segment seg = JournalReader.read(file);
        int lastStart = seg.starts()[seg.count() - 1] - JournalSegment.FRAME_BYTES;

        for (int cut = lastStart; cut < bytes.length; cut++) {
            Path d = Files.createDirectory(dir.resolve("cut-" + cut));
            Path torn = d.resolve(file.getFileName());
            Files.write(torn, Arrays.copyOf(bytes, cut));

            RunLog again = open(d, SidecarFileOps.nio(), 50, NEVER);

            assertThat(history(again)).as("cut at %d", cut).isEqualTo(before);
            assertThat(Files.size(torn)).as("cut at %d", cut).isEqualTo(lastStart);
            again.add(run(A));
            again.close(Duration.ofSeconds(5));
            assertThat(open(d, SidecarFileOps.nio(), 50, NEVER).runs(A)).as("cut at %d", cut).hasSize(2);
        }
        log.assertLogged(Level.WARN, "ends in a record cut short by a crash");
        assertThat(log.count(Level.WARN)).isEqualTo(bytes.length - lastStart - 1);
        assertThat(log.count(Level.ERROR)).isZero();
    }

    @Test
    void shouldMoveADamagedLogAsideWithOneErrorAndStartWithTheRunsReadBeforeTheDamage() throws IOException {
        RunLog runs = open(50);
        runs.add(run(A));
        runs.writeNow();
        Map<QName, List<RunLogRecords.Run>> before = history(runs);
        runs.add(run(B));
        runs.writeNow();
        runs.add(run(A));
        runs.close(Duration.ofSeconds(5));
        Path file = dir.resolve(RunLog.SEGMENT_PREFIX + segments().get(0));
        JournalReader.Segment seg = JournalReader.read(file);
        byte[] bytes = Files.readAllBytes(file);
        bytes[seg.starts()[seg.count() - 2] + 2] ^= 0x55; // inside the record of B's run, with a record after it
        Files.write(file, bytes);

        RunLog again = open(50);

        assertThat(history(again)).isEqualTo(before);
        assertThat(log.count(Level.ERROR)).isEqualTo(1);
        log.assertLogged(Level.ERROR, "run history " + file + " is damaged");
        log.assertLogged(Level.ERROR, "moved aside to " + file + RunLog.DAMAGED_SUFFIX);
        assertThat(file.resolveSibling(file.getFileName() + RunLog.DAMAGED_SUFFIX)).exists();
        again.close(Duration.ofSeconds(5));
        assertThat(history(open(50))).isEqualTo(before);
    }

    @Test
    void shouldStartWithNoHistoryWhenNoSegmentIsReadable() throws IOException {
        RunLog runs = open(50);
        runs.add(run(A));
        runs.close(Duration.ofSeconds(5));
        Path file = dir.resolve(RunLog.SEGMENT_PREFIX + segments().get(0));
        byte[] bytes = Files.readAllBytes(file);
        bytes[0] = 'X';
        Files.write(file, bytes);

        RunLog again = open(50);

        assertThat(again.jobs()).isEmpty();
        log.assertLogged(Level.ERROR, "no segment holds a whole snapshot");
        assertThat(log.count(Level.ERROR)).isEqualTo(1);
        again.add(run(A));
        again.close(Duration.ofSeconds(5));
        assertThat(open(50).runs(A)).hasSize(1);
    }

    @Test
    void shouldKeepRunsInMemoryWhileWritingFailsAndWriteThemOnceItWorks() throws IOException {
        CrashingOps ops = new CrashingOps();
        RunLog runs = open(dir, ops, 50, NEVER);
        runs.add(run(A));
        ops.crashAt(0);
        runs.writeNow();
        log.assertLogged(Level.ERROR, "writing the run history in " + dir + " failed");
        runs.add(run(B));
        ops.heal();
        runs.close(Duration.ofSeconds(5));

        RunLog again = open(50);
        assertThat(again.runs(A)).hasSize(1);
        assertThat(again.runs(B)).hasSize(1);
    }

    /** Real NIO until told to crash at a step: that step and every later one fail, as if the process died. */
    private static final class CrashingOps implements SidecarFileOps {
        private final SidecarFileOps nio = SidecarFileOps.nio();
        private final AtomicInteger step = new AtomicInteger();
        private volatile int crashAt = Integer.MAX_VALUE;

        void crashAt(int at) {
            step.set(0);
            crashAt = at;
        }

        void heal() {
            crashAt = Integer.MAX_VALUE;
        }

        private void step(String what) throws IOException {
            if (step.getAndIncrement() >= crashAt) {
                throw new IOException("crashed at " + what);
            }
        }

        @Override
        public Path createTempFile(Path dir, String prefix, String suffix) throws IOException {
            step("createTempFile");
            return nio.createTempFile(dir, prefix, suffix);
        }

        @Override
        public void write(Path file, Content content) throws IOException {
            step("write");
            nio.write(file, content);
        }

        @Override
        public void force(Path file) throws IOException {
            step("force");
            nio.force(file);
        }

        @Override
        public void copy(Path from, Path to) throws IOException {
            step("copy");
            nio.copy(from, to);
        }

        @Override
        public void atomicMove(Path from, Path to) throws IOException {
            step("atomicMove");
            nio.atomicMove(from, to);
        }

        @Override
        public void forceDirectory(Path dir) throws IOException {
            step("forceDirectory");
            nio.forceDirectory(dir);
        }

        @Override
        public void deleteIfExists(Path file) throws IOException {
            step("deleteIfExists");
            nio.deleteIfExists(file);
        }

        @Override
        public FileChannel createSegment(Path file) throws IOException {
            step("createSegment");
            return nio.createSegment(file);
        }

        @Override
        public int writeSegment(FileChannel channel, Path file, ByteBuffer bytes) throws IOException {
            step("writeSegment");
            return nio.writeSegment(channel, file, bytes);
        }

        @Override
        public void forceSegment(FileChannel channel, Path file) throws IOException {
            step("forceSegment");
            nio.forceSegment(channel, file);
        }

        @Override
        public void truncate(Path file, long length) throws IOException {
            step("truncate");
            nio.truncate(file, length);
        }
    }
}
