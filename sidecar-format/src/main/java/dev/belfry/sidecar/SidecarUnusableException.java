package dev.belfry.sidecar;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Neither the sidecar nor its backup generation can be read, and at least one of them exists, so starting with
 * no state would silently forget jobs. Nothing has been moved or changed. The message names both files and their
 * errors and tells the operator to restart with {@code --reset-state}, which moves both aside and starts empty
 * (see {@link SidecarStore#loadOrReset(boolean)}).
 */
public final class SidecarUnusableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The command-line flag that allows the host to start over. */
    public static final String RESET_FLAG = "--reset-state";

    private final transient Path mainFile;
    private final transient Path backupFile;
    private final SidecarFormatException mainError;
    private final SidecarFormatException backupError;

    /**
     * Creates the exception.
     *
     * @param mainFile    the main sidecar file
     * @param mainError   why it could not be read, or empty if it does not exist
     * @param backupFile  the backup generation
     * @param backupError why it could not be read, or empty if it does not exist
     * @throws NullPointerException if an argument is null
     */
    public SidecarUnusableException(Path mainFile, Optional<SidecarFormatException> mainError, Path backupFile,
            Optional<SidecarFormatException> backupError) {
        super("the background job state cannot be loaded: " + describe(mainFile, mainError) + "; "
                + describe(backupFile, backupError) + ". Nothing was changed. Fix or remove the files, or restart"
                + " with " + RESET_FLAG + " to move them aside and start with no job state.");
        this.mainFile = mainFile;
        this.backupFile = backupFile;
        this.mainError = mainError.orElse(null);
        this.backupError = backupError.orElse(null);
    }

    /** @return the main sidecar file */
    public Path mainFile() {
        return mainFile;
    }

    /** @return the backup generation file */
    public Path backupFile() {
        return backupFile;
    }

    /** @return why the main file could not be read, or empty if it does not exist */
    public Optional<SidecarFormatException> mainError() {
        return Optional.ofNullable(mainError);
    }

    /** @return why the backup could not be read, or empty if it does not exist */
    public Optional<SidecarFormatException> backupError() {
        return Optional.ofNullable(backupError);
    }

    private static String describe(Path file, Optional<SidecarFormatException> error) {
        Objects.requireNonNull(file, "file");
        return error.map(e -> file + " is unreadable (" + e.getMessage() + ")").orElse(file + " does not exist");
    }
}
