package dev.belfry.sidecar;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link SidecarStore#load()} found: the document to start from, which file it came from, and any damaged
 * files it moved aside on the way.
 *
 * @param document    the state to start from; an empty document when {@link #source()} is {@link Source#NONE}
 * @param source      where the document came from
 * @param quarantined files that were moved aside, in the order it happened; unmodifiable, often empty
 */
public record LoadResult(SidecarDocument document, Source source, List<Quarantined> quarantined) {

    /** Where a loaded document came from. */
    public enum Source {
        /** The main file, {@code background_jobs.json}. */
        MAIN,
        /** The previous generation, {@code background_jobs.json.bak}, because the main file was damaged or missing. */
        BACKUP,
        /** No file: a first start, or a reset. The document is empty. */
        NONE
    }

    /**
     * A file that was moved aside instead of being read or overwritten.
     *
     * @param original where the file was
     * @param movedTo  where it is now ({@code <name>.corrupt-<UTC timestamp>})
     * @param error    why it could not be read; empty when it was moved aside by a reset without being read
     */
    public record Quarantined(Path original, Path movedTo, Optional<SidecarFormatException> error) {
        /**
         * Checks the components.
         *
         * @throws NullPointerException if a component is null
         */
        public Quarantined {
            Objects.requireNonNull(original, "original");
            Objects.requireNonNull(movedTo, "movedTo");
            Objects.requireNonNull(error, "error");
        }
    }

    /**
     * Checks the components and copies the list.
     *
     * @throws NullPointerException if a component is null
     */
    public LoadResult {
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(source, "source");
        quarantined = List.copyOf(quarantined);
    }

    /** @return true if anything had to be moved aside, i.e. an operator should look at the log */
    public boolean recovered() {
        return !quarantined.isEmpty();
    }
}
