package dev.belfry.host.testing;

import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * What a data directory holds, as the next start would load it: the sidecar (the last checkpoint) with the journal
 * segments after it replayed. Reads only, so a running host's files are left as they are.
 */
public final class StateOnDisk {
    private StateOnDisk() {
    }

    /**
     * @param data a data directory
     * @return the jobs a start would load; an empty document if nothing was written yet
     * @throws IOException                                if a file cannot be read
     * @throws dev.belfry.sidecar.SidecarFormatException  if the main sidecar does not decode
     * @throws dev.belfry.sidecar.JournalFormatException  if the journal is damaged
     */
    public static SidecarDocument read(Path data) throws IOException {
        Path dir = data.resolve(SidecarStore.DIRECTORY);
        Path main = dir.resolve(SidecarStore.FILE_NAME);
        SidecarDocument checkpoint;
        try {
            checkpoint = new SidecarCodec().decode(SidecarStore.readFile(main, false), main.toString());
        } catch (NoSuchFileException e) {
            checkpoint = SidecarDocument.empty(java.time.Instant.EPOCH);
        }
        try {
            return Journal.document(checkpoint, Journal.recover(checkpoint, dir, false));
        } catch (NoSuchFileException e) {
            return checkpoint;
        }
    }
}
