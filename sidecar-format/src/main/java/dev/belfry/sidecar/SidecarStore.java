package dev.belfry.sidecar;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the sidecar at {@code <data>/_system/background_jobs.json}, written durably and atomically, with the
 * previous generation kept as {@code background_jobs.json.bak}.
 *
 * <p><b>Writing.</b> The new content goes to a temporary file in the same directory, which is flushed; the
 * current main file is copied to {@code .bak.tmp}, flushed and atomically renamed to {@code .bak}; the temporary
 * file is atomically renamed over the main file; and the directory is flushed. At no moment is the main file
 * missing or partly written. If any step before the final rename fails, the main file is untouched, the temporary
 * files are deleted and the {@link IOException} names the file and the step.
 *
 * <p><b>Loading.</b> A main file that cannot be decoded is never overwritten: it is renamed to
 * {@code background_jobs.json.corrupt-<UTC timestamp>} and the backup is loaded instead. A missing main file with a
 * readable backup (a crash between the renames, or a deleted file) loads the backup. If neither file is usable
 * but one exists, {@link #load()} throws {@link SidecarUnusableException} and changes nothing.
 *
 * <p><b>Only regular files.</b> Both files must be regular files of at most {@link #MAX_FILE_BYTES}. Anything else
 * in their place (a directory, a named pipe, a device, a symbolic link, whatever it points to, or a file too large)
 * is not opened and counts as damaged: moved aside, and the backup loaded. Links are refused rather than followed
 * because every write replaces the main file by a rename, which would silently replace the link with a file.
 *
 * <p>The store is meant to be used by one thread (the host's journal store, which writes checkpoints one at a time); its methods are synchronized so a
 * stray concurrent call cannot interleave the write steps.
 */
public final class SidecarStore {
    /** The directory under the data directory that holds the sidecar. */
    public static final String DIRECTORY = "_system";
    /** The sidecar's file name. */
    public static final String FILE_NAME = "background_jobs.json";

    /**
     * The largest state file that is read: 1 GiB, about twice what a million jobs take (a job is about
     * 540 bytes). A larger file is refused without reading it, so a damaged or sparse file cannot exhaust the heap.
     */
    public static final long MAX_FILE_BYTES = 1L << 30;

    private static final Logger LOG = LoggerFactory.getLogger(SidecarStore.class);
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final String TEMP_PREFIX = FILE_NAME + ".";
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path dataDir;
    private final Path dir;
    private final Path main;
    private final Path backup;
    private final Path backupTemp;
    private final Clock clock;
    private final SidecarFileOps ops;
    private final SidecarCodec codec = new SidecarCodec();

    /**
     * Creates a store using the real file system. Nothing is read or created until the first call.
     *
     * @param dataDir the host's data directory; the sidecar lives in its {@value #DIRECTORY} subdirectory
     * @param clock   the clock that stamps quarantined files and empty documents
     * @throws NullPointerException if an argument is null
     */
    public SidecarStore(Path dataDir, Clock clock) {
        this(dataDir, clock, SidecarFileOps.nio());
    }

    /**
     * Creates a store with the given file operations, for fault injection.
     *
     * @param dataDir the host's data directory; the sidecar lives in its {@value #DIRECTORY} subdirectory
     * @param clock   the clock that stamps quarantined files and empty documents
     * @param ops     the file-system steps
     * @throws NullPointerException if an argument is null
     */
    public SidecarStore(Path dataDir, Clock clock, SidecarFileOps ops) {
        this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ops = Objects.requireNonNull(ops, "ops");
        this.dir = dataDir.resolve(DIRECTORY);
        this.main = dir.resolve(FILE_NAME);
        this.backup = dir.resolve(FILE_NAME + ".bak");
        this.backupTemp = dir.resolve(FILE_NAME + ".bak.tmp");
    }

    /** @return the main sidecar file, {@code <data>/_system/background_jobs.json} */
    public Path file() {
        return main;
    }

    /** @return the previous generation, {@code <data>/_system/background_jobs.json.bak} */
    public Path backupFile() {
        return backup;
    }

    /**
     * Writes a document durably (see the class description), creating {@value #DIRECTORY} if needed. The
     * document is written as given, including its {@link SidecarDocument#writtenAt()}.
     *
     * @param document the document
     * @throws IOException naming the sidecar file and the failed step. If the failure came before the final
     *                     rename, the previous main file is unchanged and no temporary file is left. If only the
     *                     last directory flush failed, the new content is already in place but may not survive a
     *                     power loss; writing again is safe.
     */
    public synchronized void write(SidecarDocument document) throws IOException {
        ensureDirectory();
        Path temp = null;
        boolean backupTempMayExist = false;
        String step = "create a temporary file in " + dir;
        try {
            temp = ops.createTempFile(dir, TEMP_PREFIX, TEMP_SUFFIX);
            step = "write " + temp;
            ops.write(temp, out -> codec.encode(document, out));
            step = "flush " + temp;
            ops.force(temp);
            step = "check " + main;
            Optional<BasicFileAttributes> current = attributes(main, false);
            if (current.isPresent() && !current.get().isRegularFile()) {
                // Only load() moves a strange file aside, with a logged reason; the writer never replaces one.
                throw new IOException("the file " + notRegular(main, current.get()) + "; it is left as it is");
            }
            if (current.isPresent()) {
                backupTempMayExist = true;
                step = "copy " + main + " to " + backupTemp;
                ops.copy(main, backupTemp);
                step = "flush " + backupTemp;
                ops.force(backupTemp);
                step = "rename " + backupTemp + " to " + backup;
                ops.atomicMove(backupTemp, backup);
                backupTempMayExist = false;
            }
            step = "rename " + temp + " to " + main;
            ops.atomicMove(temp, main);
            temp = null;
            step = "flush directory " + dir;
            ops.forceDirectory(dir);
        } catch (IOException | RuntimeException e) {
            Exception failure = e instanceof IOException
                    ? new IOException("could not write " + main + ": " + step + " failed: " + e, e)
                    : e;
            deleteQuietly(temp, failure);
            if (backupTempMayExist) {
                deleteQuietly(backupTemp, failure);
            }
            if (failure instanceof IOException io) {
                throw io;
            }
            throw (RuntimeException) failure;
        }
    }

    /**
     * Loads the sidecar, recovering from a damaged or missing main file by way of the backup (see the class
     * description). Leftover temporary files from an interrupted write are deleted first.
     *
     * @return the document and where it came from; an empty document from {@link LoadResult.Source#NONE} when
     *         neither file exists
     * @throws SidecarUnusableException if a file exists but neither the main file nor the backup can be decoded;
     *                                  nothing is changed in that case
     * @throws IOException              if a file exists but cannot be read, or a damaged file cannot be moved aside
     */
    public synchronized LoadResult load() throws IOException {
        deleteLeftoverTempFiles();
        Attempt fromMain = read(main);
        if (fromMain.document().isPresent()) {
            return new LoadResult(fromMain.document().get(), LoadResult.Source.MAIN, List.of());
        }
        Attempt fromBackup = read(backup);
        if (fromBackup.document().isPresent()) {
            List<LoadResult.Quarantined> moved = new ArrayList<>();
            if (fromMain.error().isPresent()) {
                moved.add(quarantine(main, fromMain.error()));
                LOG.error("Background job state {} is damaged and was moved to {}: {}. Loaded the previous "
                                + "generation {} instead; changes since it was written are lost.",
                        main, moved.get(0).movedTo(), fromMain.error().get().getMessage(), backup);
            } else {
                LOG.warn("Background job state {} is missing; loaded the previous generation {}", main, backup);
            }
            return new LoadResult(fromBackup.document().get(), LoadResult.Source.BACKUP, moved);
        }
        if (!fromMain.exists() && !fromBackup.exists()) {
            return new LoadResult(SidecarDocument.empty(clock.instant()), LoadResult.Source.NONE, List.of());
        }
        throw new SidecarUnusableException(main, fromMain.error(), backup, fromBackup.error());
    }

    /**
     * Loads the sidecar like {@link #load()}; if it is unusable and {@code reset} is true, moves the damaged
     * files aside and starts empty instead of failing. A usable sidecar is always loaded, even with
     * {@code reset}: the flag permits starting over, it does not demand it, so a flag left in a service
     * definition cannot wipe good state on every restart. Use {@link #reset()} to start over unconditionally.
     *
     * @param reset whether an unusable sidecar may be replaced by an empty document (the {@code --reset-state}
     *              command-line flag)
     * @return the load result; after a reset its source is {@link LoadResult.Source#NONE} and it lists the moved
     *         files with their errors
     * @throws SidecarUnusableException if the sidecar is unusable and {@code reset} is false
     * @throws IOException              if a file cannot be read or moved
     */
    public synchronized LoadResult loadOrReset(boolean reset) throws IOException {
        try {
            return load();
        } catch (SidecarUnusableException e) {
            if (!reset) {
                throw e;
            }
            LOG.warn("Starting with no background job state because {} was given: {}",
                    SidecarUnusableException.RESET_FLAG, e.getMessage());
            return startEmpty(e.mainError(), e.backupError());
        }
    }

    /**
     * Moves the main file and the backup aside (whatever their content) and returns an empty document. The files
     * are renamed to {@code <name>.corrupt-<UTC timestamp>}, never deleted.
     *
     * @return an empty document from {@link LoadResult.Source#NONE}, listing the moved files
     * @throws IOException if a file cannot be moved
     */
    public synchronized LoadResult reset() throws IOException {
        deleteLeftoverTempFiles();
        LOG.warn("Resetting background job state in {}", dir);
        return startEmpty(Optional.empty(), Optional.empty());
    }

    private LoadResult startEmpty(Optional<SidecarFormatException> mainError,
            Optional<SidecarFormatException> backupError) throws IOException {
        List<LoadResult.Quarantined> moved = new ArrayList<>();
        if (Files.exists(main, LinkOption.NOFOLLOW_LINKS)) {
            moved.add(quarantine(main, mainError));
        }
        if (Files.exists(backup, LinkOption.NOFOLLOW_LINKS)) {
            moved.add(quarantine(backup, backupError));
        }
        for (LoadResult.Quarantined q : moved) {
            LOG.warn("Moved {} aside to {}", q.original(), q.movedTo());
        }
        return new LoadResult(SidecarDocument.empty(clock.instant()), LoadResult.Source.NONE, moved);
    }

    private record Attempt(boolean exists, Optional<SidecarDocument> document,
            Optional<SidecarFormatException> error) {
    }

    private Attempt read(Path file) throws IOException {
        try {
            byte[] bytes = readFile(file, false);
            return new Attempt(true, Optional.of(codec.decode(bytes, file.toString())), Optional.empty());
        } catch (NoSuchFileException e) {
            return new Attempt(false, Optional.empty(), Optional.empty());
        } catch (SidecarFormatException e) {
            return new Attempt(true, Optional.empty(), Optional.of(e));
        }
    }

    /**
     * Reads a state file whole, if it is a regular file of at most {@link #MAX_FILE_BYTES}. Anything else is refused
     * before it is opened, so a named pipe cannot block the reader and a device or a sparse file cannot fill the
     * heap.
     *
     * @param file        the file
     * @param followLinks whether a symbolic link is followed to the file it points to (a file named on the command
     *                    line) or refused (the store's own files, see the class description)
     * @return the file's bytes
     * @throws NoSuchFileException    if the file does not exist (or, when following links, the link is dangling)
     * @throws SidecarFormatException if the file is not a regular file or is too large; the message names the file
     *                                and what it is
     * @throws IOException            if the file cannot be read
     */
    public static byte[] readFile(Path file, boolean followLinks) throws IOException {
        BasicFileAttributes attrs = attributes(file, followLinks)
                .orElseThrow(() -> new NoSuchFileException(file.toString()));
        if (!attrs.isRegularFile()) {
            throw refused(file, notRegular(file, attrs));
        }
        OpenOption[] options = followLinks ? new OpenOption[] {StandardOpenOption.READ}
                : new OpenOption[] {StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS};
        try (SeekableByteChannel ch = Files.newByteChannel(file, options)) {
            long size = ch.size();
            if (size > MAX_FILE_BYTES) {
                throw refused(file, tooLarge(size));
            }
            byte[] bytes = new byte[(int) size];
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) {
                    break; // shrank since its size was read: what is there is what gets decoded
                }
            }
            return buf.hasRemaining() ? Arrays.copyOf(bytes, buf.position()) : bytes;
        }
    }

    private static Optional<BasicFileAttributes> attributes(Path file, boolean followLinks) throws IOException {
        try {
            return Optional.of(followLinks ? Files.readAttributes(file, BasicFileAttributes.class)
                    : Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private static SidecarFormatException refused(Path file, String problem) {
        return new SidecarFormatException(file.toString(), 1, 1, "$", problem);
    }

    private static String tooLarge(long size) {
        return "the file is " + size + " bytes, more than the " + MAX_FILE_BYTES + " (1 GiB) a state file may have";
    }

    private static String notRegular(Path file, BasicFileAttributes attrs) {
        if (attrs.isSymbolicLink()) {
            String target;
            try {
                target = Files.readSymbolicLink(file).toString();
            } catch (IOException | UnsupportedOperationException e) {
                target = "somewhere unreadable";
            }
            return "is a symbolic link to " + target + ", not a regular file (links are not followed: every write"
                    + " replaces the file by a rename, which would replace the link)";
        }
        if (attrs.isDirectory()) {
            return "is a directory, not a regular file";
        }
        return "is " + specialKind(file) + ", not a regular file";
    }

    // The kind of a special file, from st_mode where the platform exposes it; the journal's segments say it alike.
    static String specialKind(Path file) {
        try {
            int type = ((Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 0170000;
            switch (type) {
                case 0010000: return "a named pipe (FIFO)";
                case 0020000: return "a character device";
                case 0060000: return "a block device";
                case 0140000: return "a socket";
                default: return "a special file";
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "a special file";
        }
    }

    private LoadResult.Quarantined quarantine(Path file, Optional<SidecarFormatException> error)
            throws IOException {
        String base = file.getFileName() + ".corrupt-" + STAMP.format(clock.instant());
        Path target = dir.resolve(base);
        // Two quarantines within one second must not overwrite each other.
        for (int n = 2; Files.exists(target, LinkOption.NOFOLLOW_LINKS); n++) {
            target = dir.resolve(base + "-" + n);
        }
        try {
            ops.atomicMove(file, target);
            ops.forceDirectory(dir);
        } catch (IOException e) {
            throw new IOException("could not move damaged " + file + " aside to " + target + ": " + e, e);
        }
        return new LoadResult.Quarantined(file, target, error);
    }

    private void ensureDirectory() throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir);
            // The new directory entry must itself be durable, or the first sidecar could vanish with it.
            ops.forceDirectory(dataDir);
        } catch (IOException e) {
            throw new IOException("could not create " + dir + ": " + e, e);
        }
    }

    private void deleteLeftoverTempFiles() throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, TEMP_PREFIX + "*" + TEMP_SUFFIX)) {
            for (Path p : leftovers) {
                LOG.info("Deleting {}, left over from an interrupted write", p);
                ops.deleteIfExists(p);
            }
        }
    }

    private void deleteQuietly(Path file, Exception failure) {
        if (file == null) {
            return;
        }
        try {
            ops.deleteIfExists(file);
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
