package dev.belfry.sidecar;

import java.util.Objects;

/**
 * A journal segment cannot be read at all: it is too short for its header, does not start with the journal's
 * magic bytes, or has a version this code does not read. The message is one line naming the file and the byte
 * offset, such as {@code /data/_system/background_jobs.journal.3@0: not a journal segment (bad magic bytes)}.
 */
public final class JournalFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final long offset;

    /**
     * Creates an exception.
     *
     * @param file    the segment file, as a path the operator can find
     * @param offset  the byte offset of the problem
     * @param problem what is wrong, in one line, without the location
     * @throws NullPointerException if a string argument is null
     */
    public JournalFormatException(String file, long offset, String problem) {
        super(Objects.requireNonNull(file, "file") + "@" + offset + ": " + Objects.requireNonNull(problem, "problem"));
        this.file = file;
        this.offset = offset;
    }

    /** @return the segment file, as its path */
    public String file() {
        return file;
    }

    /** @return the byte offset of the problem */
    public long offset() {
        return offset;
    }
}
