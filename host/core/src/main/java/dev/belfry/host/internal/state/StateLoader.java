package dev.belfry.host.internal.state;

import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JournalFormatException;
import dev.belfry.sidecar.JournalSegment;
import dev.belfry.sidecar.LoadResult;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFileOps;
import dev.belfry.sidecar.SidecarFormatException;
import dev.belfry.sidecar.SidecarStore;
import dev.belfry.sidecar.SidecarUnusableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the host's state at start: the sidecar (the last checkpoint, recovering from a damaged file by way of its
 * backup) with the journal replayed over it, and opens the {@link JournalStore} that writes from there on. Every
 * way this can fail is a one-line {@link StateLoadException} raised before a job fires.
 */
public final class StateLoader {
    private static final Logger log = LoggerFactory.getLogger(StateLoader.class);
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private StateLoader() {
    }

    /**
     * A start's state: what to restore and where to write.
     *
     * @param state the jobs as recovered
     * @param store the store, not yet started
     */
    public record Loaded(SidecarDocument state, JournalStore store) {
    }

    /** Why the state could not be loaded or cannot be written; the message is one line for the operator. */
    public static final class StateLoadException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StateLoadException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Loads the state and opens the store.
     *
     * @param dataDir  the data directory
     * @param ops      the file operations
     * @param clock    the host's clock
     * @param interval how long a change nobody waits for may stay only in memory
     * @param limits   when checkpoints are written
     * @param reset    whether unusable state may be moved aside (the {@code --reset-state} flag)
     * @return the recovered state and the store
     * @throws StateLoadException if the state is unusable (and {@code reset} is off) or cannot be written
     */
    public static Loaded load(Path dataDir, SidecarFileOps ops, Clock clock, Duration interval,
                              JournalStore.Limits limits, boolean reset) {
        SidecarStore sidecar = new SidecarStore(dataDir, clock, ops);
        Path systemDir = sidecar.file().getParent();
        LoadResult loaded = loadSidecar(dataDir, sidecar, reset);
        // The segments that followed a checkpoint that is gone (the backup was loaded, or none) went with it; what
        // the journal still holds is newer and, record by record, whole.
        boolean lenient = loaded.source() != LoadResult.Source.MAIN;
        boolean quarantined = false;
        Journal.Recovery recovery = null;
        try {
            // Each pass moves one damage aside; a journal has at most as many as it has segment names.
            int passes = Journal.names(systemDir).size() + 1;
            for (int pass = 0; recovery == null; pass++) {
                try {
                    recovery = Journal.recover(loaded.document(), systemDir, lenient);
                } catch (JournalFormatException e) {
                    if (!reset) {
                        throw new StateLoadException("the job state's journal is damaged, so the host does not start"
                                + " (no change it holds is dropped silently): " + e.getMessage() + "; `belfry sidecar"
                                + " validate` shows what would load; start with " + SidecarUnusableException.RESET_FLAG
                                + " to keep what comes before the damage and move the rest aside", e);
                    }
                    if (pass == passes) {
                        throw new StateLoadException("the job state's journal is still damaged after moving the"
                                + " damage aside: " + e.getMessage(), e);
                    }
                    quarantine(systemDir, e, ops, clock);
                    quarantined = true;
                }
            }
        } catch (IOException e) {
            throw new StateLoadException("cannot read the job state's journal in " + systemDir + ": "
                    + IoErrors.describe(e), e);
        }
        if (recovery.records() > 0) {
            log.info("replayed {} journal record(s) from {} segment(s) over the checkpoint of {} job(s)",
                    recovery.records(), recovery.replayed().size(), loaded.document().jobs().size());
        }
        // A state that did not come whole from the main file is written down as a checkpoint at once, so a
        // recovery from the backup, a reset or a quarantine is not repeated (and its losses not logged again) at
        // every start.
        boolean checkpointFirst = loaded.source() != LoadResult.Source.MAIN || quarantined;
        try {
            JournalStore store = JournalStore.open(sidecar, ops, clock, interval, limits, loaded.document(),
                    recovery, checkpointFirst);
            return new Loaded(Journal.document(loaded.document(), recovery), store);
        } catch (IOException e) {
            throw new StateLoadException("the job state cannot be written, so the host does not start: "
                    + e.getMessage(), e);
        }
    }

    private static LoadResult loadSidecar(Path dataDir, SidecarStore store, boolean reset) {
        try {
            LoadResult result = store.loadOrReset(reset);
            for (LoadResult.Quarantined q : result.quarantined()) {
                log.error("state file {} was unusable and moved to {}: {}", q.original(), q.movedTo(),
                        q.error().map(SidecarFormatException::getMessage).orElse("reset requested"));
            }
            if (result.recovered()) {
                Object from = switch (result.source()) {
                    case MAIN -> store.file();
                    case BACKUP -> store.backupFile();
                    case NONE -> "nothing (no usable state file; starting empty)";
                };
                log.warn("state restored from {} ({} jobs)", from, result.document().jobs().size());
            }
            return result;
        } catch (SidecarUnusableException e) {
            throw new StateLoadException(e.getMessage(), e);
        } catch (IOException e) {
            throw new StateLoadException("cannot read state in " + dataDir + ": " + IoErrors.describe(e), e);
        }
    }

    /**
     * Keeps what comes before the damage: the damaged segment is copied aside whole and cut at the damage (or moved
     * aside when nothing before it is usable), and every later segment is moved aside. Nothing is deleted.
     */
    private static void quarantine(Path systemDir, JournalFormatException damage, SidecarFileOps ops, Clock clock)
            throws IOException {
        Path damaged = Path.of(damage.file());
        long g = Journal.generationOf(String.valueOf(damaged.getFileName()));
        String suffix = ".corrupt-" + STAMP.format(clock.instant());
        for (Journal.SegmentFile s : Journal.names(systemDir)) {
            if (s.generation() < g) {
                continue;
            }
            Path aside = s.file().resolveSibling(s.file().getFileName() + suffix);
            if (s.generation() == g && damage.offset() >= JournalSegment.HEADER_BYTES
                    && Files.isRegularFile(s.file(), LinkOption.NOFOLLOW_LINKS)) {
                Files.copy(s.file(), aside, StandardCopyOption.COPY_ATTRIBUTES);
                ops.truncate(s.file(), damage.offset());
                log.error("journal segment {} is damaged at offset {} ({}); copied whole to {} and cut there: changes"
                        + " after the damage are not loaded", s.file(), damage.offset(), damage.getMessage(), aside);
            } else {
                ops.atomicMove(s.file(), aside);
                log.error("journal segment {} moved aside to {} ({}): its changes are not loaded", s.file(), aside,
                        s.generation() == g ? damage.getMessage() : "it follows the damage");
            }
        }
        ops.forceDirectory(systemDir);
    }
}
