package dev.belfry.host.reliability.crash;

import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JournalSegment;
import dev.belfry.sidecar.LoadResult;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** Reads a data directory's state the way a test must: without changing anything the host will see. */
final class StateFiles {
    private StateFiles() {
    }

    static Path main(Path data) {
        return data.resolve(SidecarStore.DIRECTORY).resolve(SidecarStore.FILE_NAME);
    }

    static Path backup(Path data) {
        return data.resolve(SidecarStore.DIRECTORY).resolve(SidecarStore.FILE_NAME + ".bak");
    }

    /**
     * What a start would load, read the way a starting host reads it (the sidecar, else its {@code .bak}, with the
     * journal segments after it replayed), but on a copy in {@code scratch}, so that a quarantine, the cut of a torn
     * tail or the removal of leftover temp files is left for the host itself to do. A running host's files are copied
     * again until the copy is consistent: the same main file and the same segments before and after the copy.
     *
     * @return what was loaded and from which files
     * @throws dev.belfry.sidecar.SidecarUnusableException if neither sidecar file is usable
     * @throws dev.belfry.sidecar.JournalFormatException   if the journal is damaged
     */
    static Recovered recover(Path data, Path scratch) throws IOException {
        Path from = data.resolve(SidecarStore.DIRECTORY);
        Path to = scratch.resolve(SidecarStore.DIRECTORY);
        List<String> files = List.of();
        for (int attempt = 1; ; attempt++) {
            clear(to);
            if (!Files.isDirectory(from)) {
                break; // killed before the host first wrote its state: nothing on disk, which loads as empty
            }
            byte[] mainBefore = readIfExists(main(data));
            List<String> before = names(from);
            boolean vanished = false;
            for (String name : before) {
                try {
                    Files.copy(from.resolve(name), to.resolve(name));
                } catch (NoSuchFileException e) {
                    vanished = true; // a checkpoint deleted it meanwhile
                }
            }
            if (!vanished && names(from).equals(before) && Arrays.equals(readIfExists(main(data)), mainBefore)) {
                files = before;
                break;
            }
            if (attempt == 100) {
                throw new IllegalStateException("no consistent copy of " + from + " in 100 attempts");
            }
        }
        LoadResult loaded = new SidecarStore(scratch, Clock.systemUTC()).load();
        Journal.Recovery r = Journal.recover(loaded.document(), to, loaded.source() == LoadResult.Source.BACKUP);
        long lastSegmentBytes = r.replayed().isEmpty() ? -1 : Files.size(r.replayed().get(r.replayed().size() - 1)
                .file());
        return new Recovered(Journal.document(loaded.document(), r), loaded.source(), loaded.document()
                .journalGeneration(), r.replayed().size(), r.records(), r.tornTail().isPresent(), lastSegmentBytes,
                files);
    }

    /**
     * @param state      the jobs as a start would load them
     * @param source     which sidecar file held the checkpoint
     * @param checkpoint the checkpoint's journal generation
     * @param segments   how many segments were replayed over it
     * @param records    how many records they held
     * @param tornTail   whether the last one ended in a torn record
     * @param lastSegmentBytes the size of the last segment replayed, -1 if none
     * @param files      the state files there were, by name
     */
    record Recovered(SidecarDocument state, LoadResult.Source source, long checkpoint, int segments, long records,
                     boolean tornTail, long lastSegmentBytes, List<String> files) {
        /** @return whether a checkpoint was under way: its temp file, its {@code .bak} copy, or covered segments */
        boolean checkpointUnderWay() {
            return files.stream().anyMatch(f -> f.endsWith(".tmp")) || files.stream()
                    .anyMatch(f -> Journal.generationOf(f) >= 0 && Journal.generationOf(f) < checkpoint);
        }

        /** @return whether the newest segment holds no record yet: a roll, or a start, had just made it */
        boolean freshSegment() {
            return lastSegmentBytes >= 0 && lastSegmentBytes <= JournalSegment.HEADER_BYTES;
        }
    }

    private static List<String> names(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "background_jobs.*")) {
            for (Path p : files) {
                out.add(String.valueOf(p.getFileName()));
            }
        }
        Collections.sort(out);
        return out;
    }

    private static byte[] readIfExists(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new byte[0];
        }
    }

    private static void clear(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> old = Files.newDirectoryStream(dir)) {
                for (Path p : old) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
    }
}
