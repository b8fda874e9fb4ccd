package dev.belfry.host.internal.state;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Says what an I/O error means in words. The JDK's file-system exceptions often carry only a path as their message
 * ({@code AccessDeniedException: /data/_system}), which tells an operator where but not what went wrong.
 */
public final class IoErrors {
    private IoErrors() {
    }

    /**
     * @param e an I/O error
     * @return one line naming the file (where the exception knows it) and the problem
     */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            String what = f.getReason() != null ? f.getReason()
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof NoSuchFileException ? "does not exist"
                    : e instanceof FileAlreadyExistsException ? "is in the way (it exists, and is not a directory)"
                    : e instanceof NotDirectoryException ? "is not a directory"
                    : e instanceof DirectoryNotEmptyException ? "is a directory that is not empty"
                    : e.getClass().getSimpleName();
            return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + what;
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
