package dev.belfry.host.reliability.crash;

import dev.belfry.sidecar.LoadResult;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/** Reads a data directory's sidecar the way a test must: without changing anything the host will see. */
final class StateFiles {
    private static final SidecarCodec CODEC = new SidecarCodec();

    private StateFiles() {
    }

    static Path main(Path data) {
        return data.resolve(SidecarStore.DIRECTORY).resolve(SidecarStore.FILE_NAME);
    }

    static Path backup(Path data) {
        return data.resolve(SidecarStore.DIRECTORY).resolve(SidecarStore.FILE_NAME + ".bak");
    }

    /**
     * Decodes the main file as it is now (it is replaced atomically, so a running host never shows a torn one).
     *
     * @return the document, or empty if there is no main file yet
     * @throws dev.belfry.sidecar.SidecarFormatException if it does not decode
     */
    static Optional<SidecarDocument> readMain(Path data) throws IOException {
        Path file = main(data);
        try {
            return Optional.of(CODEC.decode(Files.readAllBytes(file), file.toString()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * Loads the sidecar with {@link SidecarStore#load()} exactly as a starting host would (main, else the
     * {@code .bak}), but on a copy in {@code scratch}, so that a quarantine or the removal of leftover temp files is
     * left for the host itself to do.
     *
     * @return the load result; its source tells whether the {@code .bak} was needed
     * @throws dev.belfry.sidecar.SidecarUnusableException if neither file is usable
     */
    static LoadResult loadCopy(Path data, Path scratch) throws IOException {
        Path from = data.resolve(SidecarStore.DIRECTORY);
        Path to = scratch.resolve(SidecarStore.DIRECTORY);
        if (Files.isDirectory(to)) {
            try (DirectoryStream<Path> old = Files.newDirectoryStream(to)) {
                for (Path p : old) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(to);
        if (!Files.isDirectory(from)) {
            // Killed before the host first wrote its state: nothing on disk, which loads as an empty state.
            return new SidecarStore(scratch, Clock.systemUTC()).load();
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(from, SidecarStore.FILE_NAME + "*")) {
            for (Path p : files) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
        return new SidecarStore(scratch, Clock.systemUTC()).load();
    }
}
