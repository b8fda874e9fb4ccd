package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SidecarStoreTest {
    private static final Instant NOW = Instant.parse("2026-11-23T04:05:06Z");
    private static final String STAMP = "20261123T040506Z";

    @TempDir
    Path data;

    private SidecarStore store;
    private Path dir;
    private Path main;
    private Path bak;

    @BeforeEach
    void setUp() {
        store = new SidecarStore(data, Clock.fixed(NOW, ZoneOffset.UTC));
        dir = data.resolve("_system");
        main = dir.resolve("background_jobs.json");
        bak = dir.resolve("background_jobs.json.bak");
    }

    private static SidecarDocument doc(String... jobNames) {
        return SidecarDocument.of(NOW, Stream.of(jobNames)
                .map(n -> JobRecord.pending(QName.of("p", n), "p", Schedule.manual()))
                .toList());
    }

    private List<String> filesInDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void shouldStartEmptyFromNoneWhenNoFileExists() throws IOException {
        LoadResult result = store.load();

        assertThat(result.source()).isEqualTo(LoadResult.Source.NONE);
        assertThat(result.document()).isEqualTo(SidecarDocument.empty(NOW));
        assertThat(result.recovered()).isFalse();
    }

    @Test
    void shouldCreateSystemDirectoryAndReadBackWhenWritten() throws IOException {
        store.write(doc("a", "b"));

        LoadResult result = store.load();

        assertThat(store.file()).isEqualTo(main);
        assertThat(main).exists();
        assertThat(result.source()).isEqualTo(LoadResult.Source.MAIN);
        assertThat(result.document()).isEqualTo(doc("a", "b"));
        assertThat(filesInDir()).containsExactly("background_jobs.json");
    }

    @Test
    void shouldKeepPreviousGenerationAsBakWhenOverwritten() throws IOException {
        store.write(doc("a"));
        byte[] first = Files.readAllBytes(main);

        store.write(doc("a", "b"));

        assertThat(Files.readAllBytes(bak)).isEqualTo(first);
        assertThat(store.load().document()).isEqualTo(doc("a", "b"));
        assertThat(filesInDir()).containsExactly("background_jobs.json", "background_jobs.json.bak");
    }

    @Test
    void shouldLoadBackupAndMoveCorruptMainAsideWhenMainIsDamaged() throws IOException {
        store.write(doc("a"));
        store.write(doc("a", "b"));
        byte[] garbage = "{\n  \"format\": \"belfry.background-jobs\",\n  \"version\": tru".getBytes(StandardCharsets.UTF_8);
        Files.write(main, garbage);

        LoadResult result = store.load();

        Path corrupt = dir.resolve("background_jobs.json.corrupt-" + STAMP);
        assertThat(result.source()).isEqualTo(LoadResult.Source.BACKUP);
        assertThat(result.document()).isEqualTo(doc("a"));
        assertThat(result.recovered()).isTrue();
        assertThat(result.quarantined()).singleElement().satisfies(q -> {
            assertThat(q.original()).isEqualTo(main);
            assertThat(q.movedTo()).isEqualTo(corrupt);
            assertThat(q.error()).hasValueSatisfying(e -> {
                assertThat(e.file()).endsWith("background_jobs.json");
                assertThat(e.line()).isEqualTo(3);
                assertThat(e.field()).isEqualTo("version");
            });
        });
        assertThat(Files.readAllBytes(corrupt)).isEqualTo(garbage);
        assertThat(main).doesNotExist();
        assertThat(Files.readAllBytes(bak)).isEqualTo(new SidecarCodec().encode(doc("a")));
    }

    @Test
    void shouldWriteFreshMainAndKeepQuarantinedFileWhenWritingAfterRecovery() throws IOException {
        store.write(doc("a"));
        store.write(doc("a", "b"));
        Files.writeString(main, "nonsense");
        store.load();

        store.write(doc("a", "c"));

        assertThat(store.load().document()).isEqualTo(doc("a", "c"));
        assertThat(Files.readString(dir.resolve("background_jobs.json.corrupt-" + STAMP))).isEqualTo("nonsense");
    }

    @Test
    void shouldLoadBackupWhenMainIsMissing() throws IOException {
        store.write(doc("a"));
        store.write(doc("a", "b"));
        Files.delete(main);

        LoadResult result = store.load();

        assertThat(result.source()).isEqualTo(LoadResult.Source.BACKUP);
        assertThat(result.document()).isEqualTo(doc("a"));
        assertThat(result.quarantined()).isEmpty();
    }

    @Test
    void shouldThrowUnusableNamingBothFilesAndChangeNothingWhenMainAndBackupAreDamaged() throws IOException {
        store.write(doc("a"));
        store.write(doc("a", "b"));
        Files.writeString(main, "{\"format\": \"belfry.background-jobs\"");
        Files.writeString(bak, "[{\"qname\": 7}]");

        SidecarUnusableException e = catchThrowableOfType(SidecarUnusableException.class, () -> store.load());

        assertThat(e).isNotNull();
        assertThat(e.getMessage())
                .contains(main.toString()).contains(bak.toString())
                .contains("truncated").contains("$[0].qname")
                .contains("--reset-state");
        assertThat(e.mainError()).isPresent();
        assertThat(e.backupError()).hasValueSatisfying(b -> assertThat(b.field()).isEqualTo("$[0].qname"));
        assertThat(filesInDir()).containsExactly("background_jobs.json", "background_jobs.json.bak");
    }

    @Test
    void shouldThrowUnusableWhenMainIsDamagedAndThereIsNoBackup() throws IOException {
        store.write(doc("a"));
        Files.writeString(main, "");

        SidecarUnusableException e = catchThrowableOfType(SidecarUnusableException.class, () -> store.load());

        assertThat(e.getMessage()).contains("empty").contains(bak + " does not exist");
        assertThat(main).exists();
    }

    @Test
    void shouldFailLoadOrResetWithoutFlagWhenStateIsUnusable() throws IOException {
        store.write(doc("a"));
        Files.writeString(main, "x");

        assertThatThrownBy(() -> store.loadOrReset(false)).isInstanceOf(SidecarUnusableException.class);
        assertThat(main).exists();
    }

    @Test
    void shouldQuarantineBothFilesAndStartEmptyWhenResetIsAllowedAndStateIsUnusable() throws IOException {
        store.write(doc("a"));
        store.write(doc("a", "b"));
        Files.writeString(main, "x");
        Files.writeString(bak, "y");

        LoadResult result = store.loadOrReset(true);

        assertThat(result.source()).isEqualTo(LoadResult.Source.NONE);
        assertThat(result.document().jobs()).isEmpty();
        assertThat(result.quarantined()).hasSize(2).allSatisfy(q -> assertThat(q.error()).isPresent());
        assertThat(filesInDir()).containsExactly("background_jobs.json.bak.corrupt-" + STAMP,
                "background_jobs.json.corrupt-" + STAMP);
        assertThat(Files.readString(dir.resolve("background_jobs.json.corrupt-" + STAMP))).isEqualTo("x");
    }

    @Test
    void shouldLoadGoodStateWhenResetFlagIsGivenButNotNeeded() throws IOException {
        store.write(doc("a"));

        LoadResult result = store.loadOrReset(true);

        assertThat(result.source()).isEqualTo(LoadResult.Source.MAIN);
        assertThat(result.document()).isEqualTo(doc("a"));
    }

    @Test
    void shouldMoveEverythingAsideWhenResetIsCalled() throws IOException {
        store.write(doc("a"));
        store.write(doc("a", "b"));

        LoadResult result = store.reset();

        assertThat(result.document().jobs()).isEmpty();
        assertThat(result.quarantined()).extracting(LoadResult.Quarantined::original).containsExactly(main, bak);
        assertThat(result.quarantined()).allSatisfy(q -> assertThat(q.error()).isEmpty());
        assertThat(store.load().source()).isEqualTo(LoadResult.Source.NONE);
    }

    @Test
    void shouldNotOverwriteEarlierQuarantineWhenTwoHappenInTheSameSecond() throws IOException {
        store.write(doc("a"));
        store.write(doc("a", "b"));
        Files.writeString(main, "first");
        store.load();
        store.write(doc("c"));
        Files.writeString(main, "second");

        store.load();

        assertThat(Files.readString(dir.resolve("background_jobs.json.corrupt-" + STAMP))).isEqualTo("first");
        assertThat(Files.readString(dir.resolve("background_jobs.json.corrupt-" + STAMP + "-2"))).isEqualTo("second");
    }

    @Test
    void shouldDeleteLeftoverTempFilesWhenLoading() throws IOException {
        store.write(doc("a"));
        Files.writeString(dir.resolve("background_jobs.json.123456.tmp"), "half a docu");
        Files.writeString(dir.resolve("background_jobs.json.bak.tmp"), "half a backup");
        Files.writeString(dir.resolve("unrelated.tmp"), "not ours");

        LoadResult result = store.load();

        assertThat(result.document()).isEqualTo(doc("a"));
        assertThat(filesInDir()).containsExactly("background_jobs.json", "unrelated.tmp");
    }

    @Test
    void shouldReadLegacyFileFromMainWhenUpgrading() throws IOException {
        Files.createDirectories(dir);
        Files.write(main, Fixtures.resource("golden/legacy.json"));

        LoadResult result = store.load();

        assertThat(result.source()).isEqualTo(LoadResult.Source.MAIN);
        assertThat(result.document().jobs()).hasSize(3)
                .allSatisfy(j -> assertThat(j.status()).isEqualTo(JobStatus.PENDING));
    }
}
