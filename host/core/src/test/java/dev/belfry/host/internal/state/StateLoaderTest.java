package dev.belfry.host.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.StateOnDisk;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JournalSegment;
import dev.belfry.sidecar.SidecarFileOps;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class StateLoaderTest {
    @TempDir
    Path data;

    private final FakeClock clock = FakeClock.at("2027-01-04T12:00:00Z");

    @RegisterExtension
    final LogCapture log = LogCapture.ofNames(StateLoader.class.getName(), JournalStore.class.getName(),
            SidecarStore.class.getName());

    private static JobRecord job(String name, long runs) {
        return JobRecord.pending(QName.of("demo", name), "demo", new Schedule.Manual()).withRunCount(runs);
    }

    private StateLoader.Loaded load(boolean reset) {
        return StateLoader.load(data, SidecarFileOps.nio(), clock, Duration.ofHours(1), JournalStore.Limits.DEFAULT,
                reset);
    }

    private Path systemDir() {
        return data.resolve(SidecarStore.DIRECTORY);
    }

    /** Writes changes, one record each, through a store that is then abandoned, as by kill -9; returns its segment. */
    private Path crashAfter(List<JobRecord> changes) throws Exception {
        JournalStore store = load(false).store();
        store.start();
        for (JobRecord r : changes) {
            store.durable(store.put(r)).get(10, TimeUnit.SECONDS); // one batch each: records in this order
        }
        List<Journal.SegmentFile> segments = Journal.list(systemDir());
        return segments.get(segments.size() - 1).file();
    }

    private TreeMap<String, byte[]> files() throws IOException {
        TreeMap<String, byte[]> out = new TreeMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(systemDir())) {
            for (Path p : dir) {
                out.put(String.valueOf(p.getFileName()), Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        ? Files.readAllBytes(p) : new byte[0]);
            }
        }
        return out;
    }

    private long runs(StateLoader.Loaded loaded, String name) {
        return loaded.state().job(QName.of("demo", name)).orElseThrow().runCount();
    }

    @Test
    void shouldRefuseADamagedMiddleRecordNamingTheSegmentAndOffsetAndChangeNothing() throws Exception {
        Path segment = crashAfter(List.of(job("a", 1), job("b", 1), job("c", 1)));
        byte[] bytes = Files.readAllBytes(segment);
        bytes[bytes.length - 5] ^= 0x01; // inside the last record: a torn tail, not damage
        Files.write(segment, bytes);
        assertThat(load(false).state().job(QName.of("demo", "c"))).as("a bad last record is a torn tail").isEmpty();
        log.assertLogged(Level.WARN, "cut short by a crash");

        Path again = crashAfter(List.of(job("d", 1), job("e", 1), job("f", 1)));
        byte[] damaged = Files.readAllBytes(again);
        damaged[JournalSegment.HEADER_BYTES + JournalSegment.FRAME_BYTES + 2] ^= 0x01; // the first record
        Files.write(again, damaged);
        TreeMap<String, byte[]> before = files();

        assertThatThrownBy(() -> load(false))
                .isInstanceOf(StateLoader.StateLoadException.class)
                .hasMessageStartingWith("the job state's journal is damaged, so the host does not start")
                .hasMessageContaining(again + "@" + JournalSegment.HEADER_BYTES
                        + ": record checksum mismatch; more data follows, segment refused")
                .hasMessageContaining("--reset-state")
                .hasMessageNotContaining("\n");
        assertThat(files()).as("nothing changed").containsOnlyKeys(before.keySet())
                .allSatisfy((name, content) -> assertThat(content).isEqualTo(before.get(name)));
    }

    @Test
    void shouldKeepWhatComesBeforeTheDamageWithResetAndMoveTheRestAside() throws Exception {
        crashAfter(List.of(job("a", 1)));
        Path damagedSegment = crashAfter(List.of(job("b", 1), job("c", 1), job("b", 2)));
        Path later = crashAfter(List.of(job("d", 1)));
        byte[] bytes = Files.readAllBytes(damagedSegment);
        int secondRecord = JournalSegment.HEADER_BYTES + JournalSegment.FRAME_BYTES
                + java.nio.ByteBuffer.wrap(bytes).getInt(JournalSegment.HEADER_BYTES);
        bytes[secondRecord + JournalSegment.FRAME_BYTES + 1] ^= 0x40;
        Files.write(damagedSegment, bytes);

        StateLoader.Loaded loaded = load(true);

        assertThat(loaded.state().jobs()).extracting(j -> j.qname().name()).containsExactly("a", "b");
        assertThat(runs(loaded, "b")).isEqualTo(1);
        List<String> aside = new ArrayList<>();
        files().keySet().stream().filter(n -> n.contains(".corrupt-")).forEach(aside::add);
        assertThat(aside).hasSize(2).anySatisfy(n -> assertThat(n).startsWith(damagedSegment.getFileName() + ".corrupt-"))
                .anySatisfy(n -> assertThat(n).startsWith(later.getFileName() + ".corrupt-"));
        assertThat(log.lines(Level.ERROR)).anySatisfy(l -> assertThat(l).contains("copied whole to")
                .contains("cut there"));
        loaded.store().close(Duration.ofSeconds(10));
        assertThat(StateOnDisk.read(data).jobs()).extracting(j -> j.qname().name()).containsExactly("a", "b");
        assertThat(load(false).state().jobs()).as("the next start needs no reset").hasSize(2);
    }

    @Test
    void shouldReuseTheGenerationOfALastSegmentWhoseHeaderACrashCutShort() throws Exception {
        Path segment = crashAfter(List.of(job("a", 1)));
        long g = Journal.generationOf(String.valueOf(segment.getFileName()));
        Files.write(Journal.segment(systemDir(), g + 1), Arrays.copyOf("BELFRYJ1".getBytes(), 3));

        StateLoader.Loaded first = load(false);
        first.store().start();
        first.store().durable(first.store().put(job("b", 1))).get(10, TimeUnit.SECONDS);

        assertThat(Journal.list(systemDir())).extracting(Journal.SegmentFile::generation).containsExactly(g, g + 1);
        assertThat(load(false).state().jobs()).extracting(j -> j.qname().name()).containsExactly("a", "b");
    }

    @Test
    void shouldReplayTheJournalOverTheBackupWhenTheMainFileIsDamaged() throws Exception {
        JournalStore store = load(false).store();
        store.start();
        store.durable(store.put(job("a", 1))).get(10, TimeUnit.SECONDS);
        store.close(Duration.ofSeconds(10)); // checkpoint: a=1, and the .bak is the first start's empty one
        crashAfter(List.of(job("a", 2), job("b", 1)));
        Files.writeString(systemDir().resolve(SidecarStore.FILE_NAME), "{ torn");

        StateLoader.Loaded loaded = load(false);

        assertThat(runs(loaded, "a")).isEqualTo(2);
        assertThat(runs(loaded, "b")).isEqualTo(1);
        log.assertLogged(Level.WARN, "state restored from");
    }

    @Test
    void shouldMoveAsideWithResetAnythingThatTakesASegmentsNameWhateverItIs() throws Exception {
        Path segment = crashAfter(List.of(job("a", 1)));
        long g = Journal.generationOf(String.valueOf(segment.getFileName()));
        Path link = Journal.segment(systemDir(), g + 1);
        Files.createSymbolicLink(link, data.resolve("victim"));
        Files.createDirectory(Journal.segment(systemDir(), g + 2));
        assertThatThrownBy(() -> load(false)).isInstanceOf(StateLoader.StateLoadException.class)
                .hasMessageContaining(link + "@0: not a regular file (a symbolic link)");

        StateLoader.Loaded loaded = load(true);

        assertThat(loaded.state().jobs()).extracting(j -> j.qname().name()).containsExactly("a");
        assertThat(Files.isSymbolicLink(link)).as("the next segment took the link's place").isFalse();
        assertThat(Files.exists(data.resolve("victim"))).as("nothing written through the link").isFalse();
        assertThat(files().keySet()).anySatisfy(n -> assertThat(n).startsWith(link.getFileName() + ".corrupt-"))
                .anySatisfy(n -> assertThat(n).startsWith(Journal.segment(systemDir(), g + 2).getFileName()
                        + ".corrupt-"));
        loaded.store().close(Duration.ofSeconds(10));
        assertThat(load(false).state().jobs()).hasSize(1);
    }
}
