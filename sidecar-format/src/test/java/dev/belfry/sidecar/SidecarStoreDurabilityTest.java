package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SidecarStoreDurabilityTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T04:05:06Z"), ZoneOffset.UTC);

    // The steps of a write that replaces an existing file, in the order they must happen.
    private static final List<String> REPLACE_STEPS = List.of(
            "createTempFile _system",
            "write <tmp>",
            "force <tmp>",
            "copy background_jobs.json -> background_jobs.json.bak.tmp",
            "force background_jobs.json.bak.tmp",
            "atomicMove background_jobs.json.bak.tmp -> background_jobs.json.bak",
            "atomicMove <tmp> -> background_jobs.json",
            "forceDirectory _system");

    @TempDir
    Path data;

    private static SidecarDocument doc(int jobs) {
        return SidecarDocument.of(CLOCK.instant(), IntStream.range(0, jobs)
                .mapToObj(i -> JobRecord.pending(QName.of("p", "job" + i), "p", Schedule.manual()))
                .toList());
    }

    /** Runs the real operations and records each step, with the random temp name shown as {@code <tmp>}. */
    static class RecordingOps implements SidecarFileOps {
        final SidecarFileOps real = SidecarFileOps.nio();
        final List<String> steps = new ArrayList<>();
        Path temp;

        String name(Path p) {
            return p.equals(temp) ? "<tmp>" : p.getFileName().toString();
        }

        void before(String step) throws IOException {
            steps.add(step);
        }

        @Override
        public Path createTempFile(Path dir, String prefix, String suffix) throws IOException {
            before("createTempFile " + name(dir));
            temp = real.createTempFile(dir, prefix, suffix);
            return temp;
        }

        @Override
        public void write(Path file, Content content) throws IOException {
            before("write " + name(file));
            real.write(file, content);
        }

        @Override
        public void force(Path file) throws IOException {
            before("force " + name(file));
            real.force(file);
        }

        @Override
        public void copy(Path from, Path to) throws IOException {
            before("copy " + name(from) + " -> " + name(to));
            real.copy(from, to);
        }

        @Override
        public void atomicMove(Path from, Path to) throws IOException {
            before("atomicMove " + name(from) + " -> " + name(to));
            real.atomicMove(from, to);
        }

        @Override
        public void forceDirectory(Path dir) throws IOException {
            before("forceDirectory " + name(dir));
            real.forceDirectory(dir);
        }

        @Override
        public void deleteIfExists(Path file) throws IOException {
            steps.add("deleteIfExists " + name(file));
            real.deleteIfExists(file);
        }
    }

    /** Fails the n-th write step (counting from 0), after doing the damage a real failure could do. */
    static final class FaultyOps extends RecordingOps {
        private final int failAt;

        FaultyOps(int failAt) {
            this.failAt = failAt;
        }

        @Override
        void before(String step) throws IOException {
            super.before(step);
            if (steps.size() - 1 == failAt) {
                if (step.startsWith("atomicMove")) {
                    throw new AtomicMoveNotSupportedException(null, null, "injected: no atomic rename here");
                }
                throw new IOException("injected failure at " + step);
            }
        }

        @Override
        public void write(Path file, Content content) throws IOException {
            if (steps.size() == failAt) {
                // A disk that fills up half way: part of the content lands before the error.
                byte[] bytes = content.toBytes();
                real.write(file, out -> out.write(bytes, 0, bytes.length / 2));
            }
            super.write(file, content);
        }

        @Override
        public void copy(Path from, Path to) throws IOException {
            if (steps.size() == failAt) {
                real.copy(from, to);
            }
            super.copy(from, to);
        }
    }

    @Test
    void shouldPerformDurableStepsInOrderWhenReplacingExistingFile() throws IOException {
        new SidecarStore(data, CLOCK).write(doc(1));
        RecordingOps ops = new RecordingOps();

        new SidecarStore(data, CLOCK, ops).write(doc(2));

        assertThat(ops.steps).containsExactlyElementsOf(REPLACE_STEPS);
        assertThat(ops.temp).doesNotExist();
    }

    @Test
    void shouldFlushDataDirectoryAndSkipBackupWhenWritingTheFirstTime() throws IOException {
        RecordingOps ops = new RecordingOps();

        new SidecarStore(data, CLOCK, ops).write(doc(1));

        assertThat(ops.steps).containsExactly(
                "forceDirectory " + data.getFileName(),
                "createTempFile _system",
                "write <tmp>",
                "force <tmp>",
                "atomicMove <tmp> -> background_jobs.json",
                "forceDirectory _system");
    }

    static Stream<Integer> everyStep() {
        return IntStream.range(0, REPLACE_STEPS.size()).boxed();
    }

    @ParameterizedTest(name = "failing step {0}")
    @MethodSource("everyStep")
    void shouldKeepOldFileIntactAndLeaveNoTempFileWhenAnyStepFails(int failAt) throws IOException {
        SidecarStore good = new SidecarStore(data, CLOCK);
        good.write(doc(1));
        good.write(doc(2));
        Path main = good.file();
        byte[] before = Files.readAllBytes(main);
        byte[] bakBefore = Files.readAllBytes(good.backupFile());
        FaultyOps faulty = new FaultyOps(failAt);

        IOException e = catchThrowableOfType(IOException.class,
                () -> new SidecarStore(data, CLOCK, faulty).write(doc(3)));

        String failedStep = REPLACE_STEPS.get(failAt);
        assertThat(e).as("write must fail at " + failedStep).isNotNull();
        assertThat(e.getMessage()).contains(main.toString()).contains("injected");
        boolean renamedAlready = failedStep.equals("forceDirectory _system");
        byte[] expectedMain = renamedAlready ? new SidecarCodec().encode(doc(3)) : before;
        assertThat(Files.readAllBytes(main)).isEqualTo(expectedMain);
        assertThat(good.backupFile()).exists();
        try (Stream<Path> files = Files.list(main.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.endsWith(".tmp"));
        }
        if (failAt < 5) {
            assertThat(Files.readAllBytes(good.backupFile())).isEqualTo(bakBefore);
        }

        good.write(doc(4));

        LoadResult after = good.load();
        assertThat(after.source()).isEqualTo(LoadResult.Source.MAIN);
        assertThat(after.document()).isEqualTo(doc(4));
    }

    @Test
    void shouldNameTheFileWhenTheDirectoryCannotBeCreated() throws IOException {
        Files.writeString(data.resolve("_system"), "a file where the directory should be");

        IOException e = catchThrowableOfType(IOException.class, () -> new SidecarStore(data, CLOCK).write(doc(1)));

        assertThat(e.getMessage()).contains(data.resolve("_system").toString());
    }
}
