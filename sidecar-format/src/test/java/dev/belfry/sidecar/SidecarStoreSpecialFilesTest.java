package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What stands where the state file should be, when it is not a regular file of a sane size: a named pipe (which
 * blocked the reader forever), a link to {@code /dev/zero} or a 3 GiB sparse file (which exhausted the heap), a
 * directory, a link to a good file. Each is refused without being opened, named in the error, moved aside like any
 * damaged file, and the backup generation is loaded.
 */
class SidecarStoreSpecialFilesTest {
    private static final Instant NOW = Instant.parse("2026-11-23T04:05:06Z");
    private static final String STAMP = "20261123T040506Z";
    /** Long enough for any refusal, far too short to read a huge file or wait on a pipe. */
    private static final Duration QUICKLY = Duration.ofSeconds(10);

    @TempDir
    Path data;

    private SidecarStore store;
    private Path main;
    private Path bak;
    private Path quarantined;

    @BeforeEach
    void setUp() {
        store = new SidecarStore(data, Clock.fixed(NOW, ZoneOffset.UTC));
        main = data.resolve("_system").resolve("background_jobs.json");
        bak = data.resolve("_system").resolve("background_jobs.json.bak");
        quarantined = data.resolve("_system").resolve("background_jobs.json.corrupt-" + STAMP);
    }

    private static SidecarDocument doc(String... jobNames) {
        return SidecarDocument.of(NOW, Stream.of(jobNames)
                .map(n -> JobRecord.pending(QName.of("p", n), "p", Schedule.manual()))
                .toList());
    }

    /** Two generations: the main file holds a and b, the backup only a. */
    private void twoGenerations() throws IOException {
        store.write(doc("a"));
        store.write(doc("a", "b"));
    }

    private LoadResult loadQuickly() {
        return assertTimeoutPreemptively(QUICKLY, () -> store.load());
    }

    private static void assertBackupLoadedAndMainMovedAside(LoadResult result, Path original, Path movedTo,
            String problem) {
        assertThat(result.source()).isEqualTo(LoadResult.Source.BACKUP);
        assertThat(result.document()).isEqualTo(doc("a"));
        assertThat(result.quarantined()).singleElement().satisfies(q -> {
            assertThat(q.original()).isEqualTo(original);
            assertThat(q.movedTo()).isEqualTo(movedTo);
            assertThat(q.error()).hasValueSatisfying(e -> assertThat(e.getMessage())
                    .startsWith(original.toString()).contains(problem).doesNotContain("\n"));
        });
    }

    @Test
    void shouldLoadTheBackupWithoutBlockingWhenTheMainFileIsANamedPipe() throws Exception {
        twoGenerations();
        Files.delete(main);
        Assumptions.assumeTrue(mkfifo(main), "mkfifo is not available here");

        LoadResult result = loadQuickly();

        assertBackupLoadedAndMainMovedAside(result, main, quarantined, "is a named pipe (FIFO), not a regular file");
        assertThat(main).doesNotExist();
    }

    @Test
    void shouldLoadTheBackupWithoutReadingWhenTheMainFileIsALinkToDevZero() throws Exception {
        Path zero = Path.of("/dev/zero");
        Assumptions.assumeTrue(Files.exists(zero), "no /dev/zero here");
        twoGenerations();
        Files.delete(main);
        Files.createSymbolicLink(main, zero);

        LoadResult result = loadQuickly();

        assertBackupLoadedAndMainMovedAside(result, main, quarantined, "is a symbolic link to /dev/zero");
        assertThat(Files.readSymbolicLink(quarantined)).as("the link is moved aside as a link").isEqualTo(zero);
    }

    @Test
    void shouldLoadTheBackupWithoutReadingWhenTheMainFileIsLargerThanTheLimit() throws Exception {
        twoGenerations();
        Files.delete(main);
        try (RandomAccessFile sparse = new RandomAccessFile(main.toFile(), "rw")) {
            sparse.setLength(3L << 30); // 3 GiB of holes: no disk space, but a heap-sized read
        }

        LoadResult result = loadQuickly();

        assertBackupLoadedAndMainMovedAside(result, main, quarantined,
                "the file is 3221225472 bytes, more than the 1073741824 (1 GiB) a state file may have");
        assertThat(Files.size(quarantined)).isEqualTo(3L << 30);
    }

    @Test
    void shouldNameTheFileAndLoadTheBackupWhenADirectoryStandsInPlaceOfTheMainFile() throws Exception {
        twoGenerations();
        Files.delete(main);
        Files.createDirectories(main.resolve("inside"));

        LoadResult result = loadQuickly();

        assertBackupLoadedAndMainMovedAside(result, main, quarantined, "is a directory, not a regular file");
        assertThat(quarantined.resolve("inside")).isDirectory();
    }

    @Test
    void shouldRefuseToStartAndChangeNothingWhenADirectoryStandsInPlaceOfTheMainFileAndThereIsNoBackup()
            throws Exception {
        Files.createDirectories(main);

        SidecarUnusableException e = catchThrowableOfType(SidecarUnusableException.class, () -> store.load());

        assertThat(e.getMessage()).contains(main + " is unreadable (" + main + ":1:1: $: is a directory, not a"
                + " regular file)").contains(bak + " does not exist");
        assertThat(main).isDirectory();
    }

    @Test
    void shouldRefuseALinkToAGoodFileAndKeepTheLinkAndItsTargetWhenTheMainFileIsALink() throws Exception {
        twoGenerations();
        Path elsewhere = Files.createDirectories(data.resolve("elsewhere")).resolve("state.json");
        Files.move(main, elsewhere);
        byte[] target = Files.readAllBytes(elsewhere);
        Files.createSymbolicLink(main, elsewhere);

        LoadResult result = loadQuickly();

        assertBackupLoadedAndMainMovedAside(result, main, quarantined, "is a symbolic link to " + elsewhere
                + ", not a regular file (links are not followed: every write replaces the file by a rename, which"
                + " would replace the link)");
        assertThat(Files.isSymbolicLink(quarantined)).isTrue();
        assertThat(Files.readSymbolicLink(quarantined)).isEqualTo(elsewhere);
        assertThat(Files.readAllBytes(elsewhere)).as("the link's target is untouched").isEqualTo(target);
    }

    @Test
    void shouldRefuseToStartWhenTheBackupIsANamedPipeAndTheMainFileIsMissing() throws Exception {
        Files.createDirectories(bak.getParent());
        Assumptions.assumeTrue(mkfifo(bak), "mkfifo is not available here");

        SidecarUnusableException e = catchThrowableOfType(SidecarUnusableException.class, this::loadQuickly);

        assertThat(e.getMessage()).contains(bak + ":1:1: $: is a named pipe (FIFO), not a regular file");
        assertThat(Files.exists(bak, LinkOption.NOFOLLOW_LINKS)).isTrue();
    }

    @Test
    void shouldNeitherReplaceNorFollowALinkPutInPlaceOfTheMainFileWhileRunning() throws Exception {
        twoGenerations();
        Path elsewhere = Files.createDirectories(data.resolve("elsewhere")).resolve("state.json");
        Files.move(main, elsewhere);
        byte[] target = Files.readAllBytes(elsewhere);
        Files.createSymbolicLink(main, elsewhere);

        assertThatThrownBy(() -> store.write(doc("a", "b", "c")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("could not write " + main)
                .hasMessageContaining("is a symbolic link to " + elsewhere)
                .hasMessageContaining("it is left as it is");

        assertThat(Files.readSymbolicLink(main)).isEqualTo(elsewhere);
        assertThat(Files.readAllBytes(elsewhere)).isEqualTo(target);
        try (Stream<Path> s = Files.list(main.getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).as("no temporary file left")
                    .containsExactlyInAnyOrder("background_jobs.json", "background_jobs.json.bak");
        }
    }

    @Test
    void shouldFollowALinkButRefuseADeviceWhenReadingAFileNamedByTheUser() throws Exception {
        Path zero = Path.of("/dev/zero");
        Assumptions.assumeTrue(Files.exists(zero), "no /dev/zero here");
        store.write(doc("a"));
        Path link = data.resolve("link.json");
        Files.createSymbolicLink(link, main);

        assertThat(SidecarStore.readFile(link, true)).isEqualTo(Files.readAllBytes(main));
        assertThatThrownBy(() -> assertTimeoutPreemptively(QUICKLY, () -> SidecarStore.readFile(zero, true)))
                .isInstanceOf(SidecarFormatException.class)
                .hasMessage("/dev/zero:1:1: $: is a character device, not a regular file");
        assertThatThrownBy(() -> SidecarStore.readFile(link, false))
                .isInstanceOf(SidecarFormatException.class)
                .hasMessageContaining("is a symbolic link to " + main);
        assertThatThrownBy(() -> SidecarStore.readFile(data.resolve("missing.json"), true))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
    }

    private static boolean mkfifo(Path at) throws InterruptedException {
        try {
            Process p = new ProcessBuilder("mkfifo", at.toString()).redirectErrorStream(true).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
