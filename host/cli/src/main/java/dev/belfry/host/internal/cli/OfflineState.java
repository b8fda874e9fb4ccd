package dev.belfry.host.internal.cli;

import dev.belfry.host.internal.state.IoErrors;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JournalFormatException;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFormatException;
import dev.belfry.sidecar.SidecarStore;
import dev.belfry.sidecar.SidecarUnusableException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * What a start would load, read by the CLI without changing anything: a start moves a damaged file aside and cuts a
 * torn journal tail, this only says so.
 */
final class OfflineState {
    private OfflineState() {
    }

    /**
     * A checkpoint with the journal segments beside it replayed: what a start with it would load.
     *
     * @param from       the file the checkpoint came from; empty when the data directory holds no state file
     * @param why        for a checkpoint that is not the main file, why a start takes it (empty for the main file or
     *                   a file named on the command line)
     * @param checkpoint the checkpoint as it is
     * @param recovery   the journal replayed over it (no segments when none lie beside it)
     * @param state      the result
     */
    record Loaded(Optional<Path> from, String why, SidecarDocument checkpoint, Journal.Recovery recovery,
                  SidecarDocument state) {
    }

    /**
     * Reads a sidecar file the user names, following a link.
     *
     * @throws BelfryCli.BadInputException if the file is missing or cannot be read
     * @throws SidecarFormatException      if it is not a readable sidecar
     */
    static SidecarDocument read(Path file) {
        byte[] bytes;
        try {
            // A link the user names is followed; a pipe, a device or a huge file is refused, not read forever.
            bytes = SidecarStore.readFile(file, true);
        } catch (NoSuchFileException e) {
            throw new BelfryCli.BadInputException("no such file: " + file);
        } catch (IOException e) {
            throw new BelfryCli.BadInputException(cannotRead(file, e));
        }
        return new SidecarCodec().decode(bytes, file.toString());
    }

    /**
     * The file a user names with the segments beside it; a file named {@code background_jobs.json.bak} is taken as a
     * start takes the backup.
     *
     * @throws SidecarFormatException if the file is not a readable sidecar
     * @throws JournalFormatException if the journal beside it is damaged
     */
    static Loaded ofFile(Path file) {
        SidecarDocument checkpoint = read(file);
        boolean backup = String.valueOf(file.getFileName()).equals(SidecarStore.FILE_NAME + ".bak");
        try {
            return replay(Optional.of(file), "", checkpoint, file.toAbsolutePath().getParent(), backup);
        } catch (IOException e) {
            throw new BelfryCli.BadInputException("cannot read the journal beside " + file + ": "
                    + IoErrors.describe(e));
        }
    }

    /**
     * What a start on the data directory would load: the main file, else its backup (a main file that is missing,
     * damaged or not a regular file), else nothing; with the journal replayed.
     *
     * @throws SidecarUnusableException  if a state file exists but neither decodes (a start refuses too)
     * @throws JournalFormatException    if the journal is damaged
     * @throws BelfryCli.BadInputException if a file cannot be read
     */
    static Loaded ofDataDir(Path dataDir, Clock clock) {
        try {
            requireDirectory(dataDir);
            return load(dataDir, clock);
        } catch (IOException e) {
            throw new BelfryCli.BadInputException(cannotRead(dataDir, e));
        }
    }

    /**
     * Like {@link #ofDataDir} while a host may be writing: a checkpoint can replace the sidecar and delete the
     * segments it covers between the reads, which shows as a segment that vanished or a gap after the checkpoint
     * read first. Such reads are repeated; a journal damaged the same way every time is damage.
     *
     * @param attempts   how many reads to try
     * @param beforeNext runs between two attempts (a pause), given the attempt that failed
     * @throws JournalFormatException     if every read found the same damage
     * @throws AdminClient.OperationFailed if the journal changed under every read
     */
    static Loaded consistent(Path dataDir, Clock clock, int attempts, IntConsumer beforeNext) {
        try {
            requireDirectory(dataDir);
        } catch (IOException e) {
            throw new BelfryCli.BadInputException(cannotRead(dataDir, e));
        }
        String first = null;
        boolean same = true;
        String last = "";
        for (int attempt = 1; ; attempt++) {
            try {
                return load(dataDir, clock);
            } catch (JournalFormatException e) {
                last = e.getMessage();
                if (first == null) {
                    first = last;
                }
                same &= last.equals(first);
                if (attempt == attempts && same) {
                    throw e;
                }
            } catch (NoSuchFileException e) {
                last = IoErrors.describe(e) + " (deleted while being read)";
                same = false;
            } catch (IOException e) {
                throw new BelfryCli.BadInputException(cannotRead(dataDir, e));
            }
            if (attempt == attempts) {
                throw new AdminClient.OperationFailed("could not read a consistent state from " + dataDir + ": the"
                        + " journal changed under each of " + attempts + " reads (a running host's checkpoints delete"
                        + " segments); last: " + last);
            }
            beforeNext.accept(attempt);
        }
    }

    /** A mistyped data directory holds no state file either: say so rather than report an empty state. */
    private static void requireDirectory(Path dataDir) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(dataDir, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new BelfryCli.BadInputException("no such directory: " + dataDir);
        }
        if (!a.isDirectory()) {
            throw new BelfryCli.BadInputException(dataDir + " is not a directory");
        }
    }

    private static Loaded load(Path dataDir, Clock clock) throws IOException {
        Path system = dataDir.resolve(SidecarStore.DIRECTORY);
        Path main = system.resolve(SidecarStore.FILE_NAME);
        Path backup = system.resolve(SidecarStore.FILE_NAME + ".bak");
        Attempt fromMain = attempt(main);
        if (fromMain.document().isPresent()) {
            return replay(Optional.of(main), "", fromMain.document().get(), system, false);
        }
        Attempt fromBackup = attempt(backup);
        if (fromBackup.document().isPresent()) {
            String why = fromMain.error().map(e -> main + " is damaged (" + e.getMessage() + ")")
                    .orElse(main + " is missing");
            return replay(Optional.of(backup), why, fromBackup.document().get(), system, true);
        }
        if (fromMain.exists() || fromBackup.exists()) {
            throw new SidecarUnusableException(main, fromMain.error(), backup, fromBackup.error());
        }
        return replay(Optional.empty(), "", SidecarDocument.empty(clock.instant()), system, false);
    }

    private record Attempt(boolean exists, Optional<SidecarDocument> document,
                           Optional<SidecarFormatException> error) {
    }

    // As the store reads its own files: links are refused, not followed, and count as damage like a bad document.
    private static Attempt attempt(Path file) throws IOException {
        try {
            byte[] bytes = SidecarStore.readFile(file, false);
            return new Attempt(true, Optional.of(new SidecarCodec().decode(bytes, file.toString())),
                    Optional.empty());
        } catch (NoSuchFileException e) {
            return new Attempt(false, Optional.empty(), Optional.empty());
        } catch (SidecarFormatException e) {
            return new Attempt(true, Optional.empty(), Optional.of(e));
        }
    }

    private static Loaded replay(Optional<Path> from, String why, SidecarDocument checkpoint, Path system,
                                 boolean fromBackup) throws IOException {
        Journal.Recovery recovery = Journal.recover(checkpoint, system, fromBackup);
        return new Loaded(from, why, checkpoint, recovery, Journal.document(checkpoint, recovery));
    }

    /** The JDK often puts only the path in the message: say what went wrong (permission denied, ...). */
    static String cannotRead(Path file, IOException e) {
        return "cannot read " + (e instanceof FileSystemException f && f.getFile() != null ? ""
                : file + ": ") + IoErrors.describe(e);
    }
}
