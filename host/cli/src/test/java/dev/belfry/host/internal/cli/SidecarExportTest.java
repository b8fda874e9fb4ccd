package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JournalRecords;
import dev.belfry.sidecar.JournalWriter;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code belfry sidecar validate|dump --data DIR} load what a start loads, and {@code belfry sidecar export} writes it
 * as one sidecar: a backup taken safely while the host runs (issue 17).
 */
class SidecarExportTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2027-01-04T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    private Path data;
    private Path system;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void createDataDir() throws IOException {
        data = tmp.resolve("data");
        system = Files.createDirectories(data.resolve(SidecarStore.DIRECTORY));
    }

    private int belfry(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return BelfryCli.run(CLOCK, new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private static JobRecord job(String name, int runs) {
        return JobRecord.pending(QName.parse("reports." + name), "reports", Schedule.manual()).withRunCount(runs);
    }

    private void sidecar(String fileName, long generation, JobRecord... jobs) throws IOException {
        SidecarDocument doc = SidecarDocument.of(CLOCK.instant(), List.of(jobs)).withJournalGeneration(generation);
        Files.write(system.resolve(fileName), new SidecarCodec().encode(doc));
    }

    private void segment(long generation, JobRecord... changes) throws IOException {
        try (FileChannel ch = FileChannel.open(Journal.segment(system, generation), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            JournalWriter w = new JournalWriter(ch);
            w.writeHeader(generation);
            JournalRecords.Encoder e = new JournalRecords.Encoder();
            for (JobRecord r : changes) {
                e.put(r);
                w.append(e.toByteArray());
            }
            w.sync();
        }
    }

    /** Every file under the data directory with its bytes and modification time: what "unchanged" means. */
    private Map<String, String> snapshot() throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(data)) {
            for (Path p : all.toList()) {
                files.put(data.relativize(p).toString(), Files.isDirectory(p) ? "dir"
                        : java.util.Arrays.hashCode(Files.readAllBytes(p)) + "@" + Files.getLastModifiedTime(p));
            }
        }
        return files;
    }

    private static Map<String, Integer> runCounts(SidecarDocument doc) {
        Map<String, Integer> runs = new TreeMap<>();
        doc.jobs().forEach(j -> runs.put(j.qname().toString(), (int) j.runCount()));
        return runs;
    }

    @Test
    void shouldValidateAndDumpTheBackupAndJournalWhenTheStateFileIsGone() throws IOException {
        // given: a start would load the .bak and replay the segment after it
        sidecar(SidecarStore.FILE_NAME + ".bak", 0, job("nightly", 1));
        segment(0, job("nightly", 7), job("weekly", 2));
        Path main = system.resolve(SidecarStore.FILE_NAME);
        Path backup = system.resolve(SidecarStore.FILE_NAME + ".bak");

        // when / then
        assertThat(belfry("sidecar", "validate", main.toString())).isEqualTo(2);
        assertThat(belfry("sidecar", "validate", "--data", data.toString())).as("stderr: %s", err).isZero();
        assertThat(out.toString().strip()).isEqualTo(backup + " (a start loads it: " + main + " is missing): valid,"
                + " format version 1, 1 job(s); journal: 1 segment(s) from generation 0, 2 record(s); a start loads"
                + " 2 job(s)");

        assertThat(belfry("sidecar", "dump", "--data", data.toString())).as("stderr: %s", err).isZero();
        assertThat(err.toString().strip()).isEqualTo("loaded from " + backup + " (a start loads it: " + main
                + " is missing)");
        assertThat(out.toString().lines()).anySatisfy(l -> assertThat(l).startsWith("reports.nightly").contains(" 7 "))
                .anySatisfy(l -> assertThat(l).startsWith("reports.weekly"));
    }

    @Test
    void shouldNameTheDamagedStateFileWhenAStartWouldLoadTheBackup() throws IOException {
        sidecar(SidecarStore.FILE_NAME + ".bak", 0, job("nightly", 1));
        Path main = Files.writeString(system.resolve(SidecarStore.FILE_NAME), "{ not json");
        Map<String, String> before = snapshot();

        assertThat(belfry("sidecar", "validate", "--data", data.toString())).as("stderr: %s", err).isZero();

        assertThat(out.toString()).startsWith(system.resolve(SidecarStore.FILE_NAME + ".bak") + " (a start loads it: "
                + main + " is damaged (" + main + ":1:");
        assertThat(snapshot()).as("nothing moved aside").isEqualTo(before);
    }

    @Test
    void shouldTakeEitherFileOrDataDirButNotBoth() throws IOException {
        sidecar(SidecarStore.FILE_NAME, 0, job("nightly", 1));

        assertThat(belfry("sidecar", "validate", system.resolve(SidecarStore.FILE_NAME).toString(), "--data",
                data.toString())).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("belfry: give either FILE or --data DIR (see: belfry sidecar"
                + " validate --help)");
        assertThat(belfry("sidecar", "dump")).isEqualTo(2);
        assertThat(belfry("sidecar", "validate", "--data", data.toString())).isZero();
        assertThat(out.toString()).startsWith(system.resolve(SidecarStore.FILE_NAME) + ": valid");
    }

    @Test
    void shouldExportWhatAStartLoadsAsOneOwnerOnlySidecarThatRestoresWithoutTheJournal() throws IOException {
        // given: a running host's state, a checkpoint followed by two segments, and a quarantined segment beside them
        sidecar(SidecarStore.FILE_NAME, 3, job("nightly", 1), job("gone", 4));
        segment(3, job("nightly", 2), job("weekly", 1));
        segment(4, job("nightly", 3));
        Files.writeString(system.resolve(Journal.SEGMENT_PREFIX + "2.corrupt-20270101T000000Z"), "damaged");
        Path backup = Files.createDirectories(tmp.resolve("backup")).resolve("state.json");
        Map<String, String> before = snapshot();

        // when
        int exit = belfry("sidecar", "export", "--data", data.toString(), backup.toString());

        // then
        assertThat(exit).as("stderr: %s", err).isZero();
        assertThat(out.toString().strip()).isEqualTo("wrote " + backup + ": 3 job(s) from "
                + system.resolve(SidecarStore.FILE_NAME) + " with 3 journal record(s) replayed");
        assertThat(snapshot()).as("the data directory is not changed").isEqualTo(before);
        SidecarDocument exported = new SidecarCodec().decode(Files.readAllBytes(backup), backup.toString());
        assertThat(exported.journalGeneration()).isZero();
        assertThat(runCounts(exported)).isEqualTo(Map.of("reports.gone", 4, "reports.nightly", 3, "reports.weekly", 1));
        if (backup.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(backup))).isEqualTo("rw-------");
        }
        try (Stream<Path> left = Files.list(backup.getParent())) {
            assertThat(left).as("no temporary file left").containsExactly(backup);
        }

        // and: restored alone into a data directory, it is what a start loads
        Path restored = Files.createDirectories(tmp.resolve("restored").resolve(SidecarStore.DIRECTORY));
        Files.copy(backup, restored.resolve(SidecarStore.FILE_NAME));
        assertThat(belfry("sidecar", "validate", "--data", restored.getParent().toString())).isZero();
        assertThat(out.toString().strip()).isEqualTo(restored.resolve(SidecarStore.FILE_NAME)
                + ": valid, format version 1, 3 job(s)");
    }

    @Test
    void shouldExportAStoppedHostsStateFileOrItsBackupWithNoSegments() throws IOException {
        Path file = tmp.resolve("stopped.json");
        sidecar(SidecarStore.FILE_NAME + ".bak", 5, job("nightly", 9));

        assertThat(belfry("sidecar", "export", "--data", data.toString(), file.toString())).as("stderr: %s", err)
                .isZero();

        assertThat(out.toString().strip()).isEqualTo("wrote " + file + ": 1 job(s) from "
                + system.resolve(SidecarStore.FILE_NAME + ".bak"));
        SidecarDocument exported = new SidecarCodec().decode(Files.readAllBytes(file), file.toString());
        assertThat(runCounts(exported)).containsEntry("reports.nightly", 9);
        assertThat(exported.journalGeneration()).isZero();
    }

    @Test
    void shouldRefuseToReplaceAnExistingFileUnlessForced() throws IOException {
        sidecar(SidecarStore.FILE_NAME, 0, job("nightly", 1));
        Path file = Files.writeString(tmp.resolve("old.json"), "an older backup");

        assertThat(belfry("sidecar", "export", "--data", data.toString(), file.toString())).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("belfry: " + file + " exists; give --force to replace it");
        assertThat(Files.readString(file)).isEqualTo("an older backup");

        assertThat(belfry("sidecar", "export", "--data", data.toString(), "--force", file.toString()))
                .as("stderr: %s", err).isZero();
        assertThat(runCounts(new SidecarCodec().decode(Files.readAllBytes(file), file.toString())))
                .containsEntry("reports.nightly", 1);
    }

    @Test
    void shouldFailWithTheDamageAndWriteNothingWhenASegmentIsMissingOnEveryRead() throws IOException {
        // given: the checkpoint is followed by generation 0, but only segment 1 is there
        sidecar(SidecarStore.FILE_NAME, 0, job("nightly", 1));
        segment(1, job("nightly", 2));
        Path file = tmp.resolve("backup.json");

        assertThat(belfry("sidecar", "export", "--data", data.toString(), file.toString())).isEqualTo(1);

        assertThat(err.toString().lines()).singleElement().asString().startsWith(Journal.segment(system, 1) + "@0: ")
                .contains("journal segment 0 is missing");
        assertThat(file).doesNotExist();
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left).containsExactly(data);
        }
    }

    @Test
    void shouldReadAgainWhenACheckpointDeletedTheSegmentsAfterTheStateFileWasRead() throws IOException {
        // given: the state file read is generation 0, but a checkpoint has since deleted segment 0 (its changes are
        // in the new state file, written before the deletion)
        sidecar(SidecarStore.FILE_NAME, 0, job("nightly", 1));
        segment(1, job("nightly", 3));
        List<Integer> retried = new ArrayList<>();

        // when
        OfflineState.Loaded loaded = OfflineState.consistent(data, CLOCK, 3, attempt -> {
            retried.add(attempt);
            try {
                sidecar(SidecarStore.FILE_NAME, 1, job("nightly", 2));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        // then
        assertThat(retried).containsExactly(1);
        assertThat(runCounts(loaded.state())).containsEntry("reports.nightly", 3);
    }

    @Test
    void shouldGiveUpInOneLineWhenTheJournalChangesUnderEveryRead() throws IOException {
        // given: each read finds another gap, as under a host checkpointing faster than the reads
        sidecar(SidecarStore.FILE_NAME, 0, job("nightly", 1));
        segment(2, job("nightly", 3));
        int[] next = {3};

        assertThatThrownBy(() -> OfflineState.consistent(data, CLOCK, 3, attempt -> {
            try {
                segment(next[0]++, job("nightly", 4));
                Files.delete(Journal.segment(system, next[0] - 2));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        })).isInstanceOf(AdminClient.OperationFailed.class)
                .hasMessageStartingWith("could not read a consistent state from " + data + ": the journal changed"
                        + " under each of 3 reads (a running host's checkpoints delete segments); last: ")
                .hasMessageNotContaining("\n");
    }

    @Test
    void shouldRefuseAnUnusableStateAsAStartWould() throws IOException {
        Files.writeString(system.resolve(SidecarStore.FILE_NAME), "{ not json");

        assertThat(belfry("sidecar", "export", "--data", data.toString(), tmp.resolve("b.json").toString()))
                .isEqualTo(1);
        assertThat(err.toString().lines()).singleElement().asString().contains(SidecarStore.FILE_NAME)
                .contains("--reset-state");
        assertThat(tmp.resolve("b.json")).doesNotExist();
    }

    @Test
    void shouldRefuseToExportIntoTheStateFolderItself() throws IOException {
        sidecar(SidecarStore.FILE_NAME, 0, job("nightly", 1));
        Path main = system.resolve(SidecarStore.FILE_NAME);
        Map<String, String> before = snapshot();

        assertThat(belfry("sidecar", "export", "--data", data.toString(), "--force", main.toString())).isEqualTo(2);

        assertThat(err.toString().strip()).isEqualTo("belfry: refusing to write " + main + " into the data"
                + " directory's _system folder; export elsewhere");
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void shouldSaySoWhenTheDataDirectoryDoesNotExistOrHoldsNoState() throws IOException {
        Path nowhere = tmp.resolve("nowhere");

        assertThat(belfry("sidecar", "validate", "--data", nowhere.toString())).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("belfry: no such directory: " + nowhere);
        assertThat(belfry("sidecar", "export", "--data", nowhere.toString(), tmp.resolve("b.json").toString()))
                .isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("belfry: no such directory: " + nowhere);

        assertThat(belfry("sidecar", "validate", "--data", data.toString())).isZero();
        assertThat(out.toString().strip()).isEqualTo(system + ": no state file; a start begins with no jobs");
        segment(0, job("weekly", 1));
        assertThat(belfry("sidecar", "validate", "--data", data.toString())).isZero();
        assertThat(out.toString().strip()).isEqualTo(system + ": no state file; journal: 1 segment(s) from"
                + " generation 0, 1 record(s); a start loads 1 job(s)");
    }
}
