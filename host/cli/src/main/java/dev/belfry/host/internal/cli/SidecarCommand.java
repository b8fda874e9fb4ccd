package dev.belfry.host.internal.cli;

import dev.belfry.host.internal.engine.Schedules;
import dev.belfry.host.internal.state.IoErrors;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JournalFormatException;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFileOps;
import dev.belfry.sidecar.SidecarFormatException;
import dev.belfry.sidecar.SidecarStore;
import dev.belfry.sidecar.SidecarUnusableException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code belfry sidecar}: check, inspect and export the job state (a sidecar file with the journal segments beside
 * it, or what a start on a data directory loads) offline: the host need not run, and nothing is changed.
 */
@Command(name = "sidecar", description = "Check, inspect and export the job state file.",
        mixinStandardHelpOptions = true,
        subcommands = {SidecarCommand.Validate.class, SidecarCommand.Dump.class, SidecarCommand.Export.class})
final class SidecarCommand {
    /** How many times export reads a running host's state before it gives up. */
    static final int EXPORT_ATTEMPTS = 5;

    /** FILE or --data DIR: which state to read, as the user gave it. */
    abstract static class Source {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", arity = "0..1",
                description = "A sidecar file; the journal segments beside it are replayed.")
        Path file;

        @Option(names = "--data", paramLabel = "DIR",
                description = "Instead of FILE: what a start on this data directory loads (the state file, else its"
                        + " backup, with the journal replayed).")
        Path data;

        private final Clock clock;

        Source(Clock clock) {
            this.clock = clock;
        }

        /**
         * @throws SidecarFormatException   if the file is not a readable sidecar
         * @throws SidecarUnusableException if, with --data, neither state file is usable
         * @throws JournalFormatException   if the journal is damaged
         */
        OfflineState.Loaded load() {
            if ((file == null) == (data == null)) {
                throw new BelfryCli.BadInputException("give either FILE or --data DIR (see: "
                        + spec.qualifiedName() + " --help)");
            }
            return file != null ? OfflineState.ofFile(file) : OfflineState.ofDataDir(data, clock);
        }

        /** Which file was loaded, and why a start takes it, for output that names it. */
        String origin(OfflineState.Loaded loaded) {
            if (loaded.from().isEmpty()) {
                return data.resolve(SidecarStore.DIRECTORY) + ": no state file";
            }
            return loaded.from().get() + (loaded.why().isEmpty() ? "" : " (a start loads it: " + loaded.why() + ")");
        }
    }

    /** {@code belfry sidecar validate}: exit 0 if valid, 1 with the located error if not. */
    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Check a sidecar file and the journal beside it, or what a start on --data DIR loads; on"
                    + " error print where (file:line:column: field, or segment@offset) and exit 1.")
    static final class Validate extends Source implements Callable<Integer> {
        Validate(Clock clock) {
            super(clock);
        }

        @Override
        public Integer call() {
            try {
                OfflineState.Loaded loaded = load();
                SidecarDocument doc = loaded.checkpoint();
                Journal.Recovery r = loaded.recovery();
                StringBuilder line = new StringBuilder(origin(loaded));
                if (loaded.from().isPresent()) {
                    line.append(": valid, format version ").append(doc.version()).append(", ")
                            .append(doc.jobs().size()).append(" job(s)");
                }
                if (loaded.from().isEmpty() && r.replayed().isEmpty()) {
                    line.append("; a start begins with no jobs");
                }
                if (!r.replayed().isEmpty()) {
                    line.append("; journal: ").append(r.replayed().size()).append(" segment(s) from generation ")
                            .append(r.replayed().get(0).generation()).append(", ").append(r.records())
                            .append(" record(s)");
                    r.tornTail().ifPresent(t -> line.append("; ").append(t.segment().file().getFileName())
                            .append(" ends in a record cut short at offset ").append(t.validLength())
                            .append(" (never acknowledged; a start cuts it)"));
                    line.append("; a start loads ").append(loaded.state().jobs().size()).append(" job(s)");
                }
                if (!r.obsolete().isEmpty()) {
                    line.append("; ").append(r.obsolete().size())
                            .append(" older segment(s) already in the checkpoint (a start deletes them)");
                }
                spec.commandLine().getOut().println(line);
                return 0;
            } catch (SidecarFormatException | JournalFormatException | SidecarUnusableException e) {
                spec.commandLine().getErr().println(e.getMessage());
                return BelfryCli.EXIT_FAILED;
            }
        }
    }

    /** {@code belfry sidecar dump}: the jobs of a sidecar file as a table. */
    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = "Print the jobs of a sidecar file, with the journal beside it replayed, or what a start on"
                    + " --data DIR loads, as a table.")
    static final class Dump extends Source implements Callable<Integer> {
        Dump(Clock clock) {
            super(clock);
        }

        @Override
        public Integer call() {
            OfflineState.Loaded loaded;
            try {
                loaded = load();
            } catch (SidecarFormatException | JournalFormatException | SidecarUnusableException e) {
                spec.commandLine().getErr().println(e.getMessage());
                return BelfryCli.EXIT_FAILED;
            }
            if (data != null) {
                // On standard error, so standard output stays the table alone.
                spec.commandLine().getErr().println(loaded.from().isPresent() ? "loaded from " + origin(loaded)
                        : origin(loaded));
            }
            TextTable table = new TextTable("QNAME", "STATUS", "SCHEDULE", "NEXT FIRE", "LAST FINISHED", "OUTCOME",
                    "RUNS", "FAILS", "PAUSED", "CHECKPOINT");
            for (JobRecord j : loaded.state().jobs()) {
                table.row(j.qname(), j.status().jsonName(), Schedules.describe(j.schedule()), instant(j.nextFireAt()),
                        instant(j.lastFinishedAt()),
                        j.lastOutcome().map(o -> o.success() ? "ok" : "failed: " + o.message()).orElse("-"),
                        j.runCount(), j.failureCount(), j.paused() ? "yes" : "no",
                        j.checkpoint().map(c -> Checkpoints.oneLine(c, Checkpoints.DUMP_CHARS)).orElse("-"));
            }
            table.print(spec.commandLine().getOut());
            return 0;
        }
    }

    /**
     * {@code belfry sidecar export}: what a start would load, as one sidecar with no journal, the backup of a data
     * directory that a running host keeps changing.
     */
    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Write what a start on --data DIR would load (the state file, else its backup, with the"
                    + " journal replayed) to FILE as one sidecar document that needs no journal: a backup, taken"
                    + " safely while the host runs. Reads only; the data directory is not changed.",
                    "FILE is written owner-only (0600) and atomically (a temporary file in its folder, then a"
                    + " rename). To restore: stop the host, put FILE as DIR/_system/background_jobs.json, remove"
                    + " every background_jobs.journal.* beside it, and start."})
    static final class Export implements Callable<Integer> {
        private final Clock clock;
        @Spec
        CommandSpec spec;

        @Option(names = "--data", paramLabel = "DIR", required = true, description = "The data directory.")
        Path data;

        @Parameters(index = "0", paramLabel = "FILE", description = "Where to write the sidecar.")
        Path file;

        @Option(names = "--force", description = "Replace FILE if it exists.")
        boolean force;

        Export(Clock clock) {
            this.clock = clock;
        }

        @Override
        public Integer call() {
            Path folder = checkTarget(file, force);
            if (sameFile(folder, data.resolve(SidecarStore.DIRECTORY))) {
                // With --force it could replace the state file itself, which a running host then overwrites or
                // which no longer matches the journal beside it.
                throw new BelfryCli.BadInputException("refusing to write " + file + " into the data directory's "
                        + SidecarStore.DIRECTORY + " folder; export elsewhere");
            }
            OfflineState.Loaded loaded;
            try {
                loaded = OfflineState.consistent(data, clock, EXPORT_ATTEMPTS, Export::pause);
            } catch (SidecarFormatException | JournalFormatException | SidecarUnusableException e) {
                spec.commandLine().getErr().println(e.getMessage());
                return BelfryCli.EXIT_FAILED;
            }
            // Generation 0 with no segments beside it is a whole state: a start replays nothing over it.
            SidecarDocument doc = loaded.state().withJournalGeneration(0);
            write(file, force, doc, spec.commandLine().getErr());
            spec.commandLine().getOut().println("wrote " + file + ": " + doc.jobs().size() + " job(s) from "
                    + loaded.from().map(Path::toString).orElse("no state file")
                    + (loaded.recovery().records() > 0 ? " with " + loaded.recovery().records()
                    + " journal record(s) replayed" : ""));
            return 0;
        }

        /**
         * @return the folder {@code file} goes in
         * @throws BelfryCli.BadInputException if the file exists and {@code force} is false, or the folder does not
         */
        static Path checkTarget(Path file, boolean force) {
            if (!force && Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new BelfryCli.BadInputException(file + " exists; give --force to replace it");
            }
            Path folder = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(folder)) {
                throw new BelfryCli.BadInputException("no such directory: " + folder);
            }
            return folder;
        }

        /**
         * Writes the document to {@code file} owner-only (0600) and atomically: a temporary file in its folder,
         * synced, then renamed; without {@code force} a file that exists is never replaced.
         *
         * @throws BelfryCli.BadInputException if the file exists and {@code force} is false
         * @throws AdminClient.OperationFailed if it cannot be written
         */
        static void write(Path file, boolean force, SidecarDocument doc, java.io.PrintWriter err) {
            Path target = file.toAbsolutePath();
            Path dir = target.getParent();
            Path temp = null;
            try {
                temp = dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                        ? Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp",
                                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                        : Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
                try (OutputStream out = Files.newOutputStream(temp)) {
                    new SidecarCodec().encode(doc, out);
                }
                SidecarFileOps.nio().force(temp);
                if (force) {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                } else {
                    // Without REPLACE_EXISTING the move refuses a FILE that appeared since the check.
                    Files.move(temp, target);
                }
                temp = null;
                SidecarFileOps.nio().forceDirectory(dir);
            } catch (FileAlreadyExistsException e) {
                throw new BelfryCli.BadInputException(file + " exists; give --force to replace it");
            } catch (IOException e) {
                throw new AdminClient.OperationFailed("cannot write " + file + ": " + IoErrors.describe(e));
            } finally {
                if (temp != null) {
                    try {
                        Files.deleteIfExists(temp);
                    } catch (IOException e) {
                        err.println("cannot delete " + temp + ": " + IoErrors.describe(e));
                    }
                }
            }
        }

        private static boolean sameFile(Path a, Path b) {
            try {
                return Files.isSameFile(a, b);
            } catch (IOException e) {
                return false; // b does not exist or cannot be seen: a is not it
            }
        }

        private static void pause(int attempt) {
            try {
                Thread.sleep(20L * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AdminClient.OperationFailed("interrupted");
            }
        }
    }

    static String instant(Optional<Instant> at) {
        return at.map(Instant::toString).orElse("-");
    }
}
