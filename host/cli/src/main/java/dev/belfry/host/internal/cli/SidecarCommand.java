package dev.belfry.host.internal.cli;

import dev.belfry.host.internal.engine.Schedules;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.Journal;
import dev.belfry.sidecar.JournalFormatException;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFormatException;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code belfry sidecar}: check and inspect a sidecar state file, with the journal segments beside it, offline (the
 * host need not run).
 */
@Command(name = "sidecar", description = "Check and inspect a sidecar state file.", mixinStandardHelpOptions = true,
        subcommands = {SidecarCommand.Validate.class, SidecarCommand.Dump.class})
final class SidecarCommand {

    static SidecarDocument read(Path file) {
        byte[] bytes;
        try {
            // A link the user names is followed; a pipe, a device or a huge file is refused, not read forever.
            bytes = SidecarStore.readFile(file, true);
        } catch (NoSuchFileException e) {
            throw new BelfryCli.BadInputException("no such file: " + file);
        } catch (IOException e) {
            throw new BelfryCli.BadInputException("cannot read " + file + ": " + e.getMessage());
        }
        return new SidecarCodec().decode(bytes, file.toString());
    }

    /**
     * A sidecar with the journal segments beside it replayed: what a start with that sidecar would load.
     *
     * @param checkpoint the file as it is
     * @param recovery   the journal replayed over it (no segments when none lie beside the file)
     * @param state      the result
     */
    record Loaded(SidecarDocument checkpoint, Journal.Recovery recovery, SidecarDocument state) {
    }

    /**
     * @throws SidecarFormatException  if the file is not a readable sidecar
     * @throws JournalFormatException  if the journal beside it is damaged
     */
    static Loaded load(Path file) {
        SidecarDocument checkpoint = read(file);
        Path dir = file.toAbsolutePath().getParent();
        boolean backup = String.valueOf(file.getFileName()).equals(SidecarStore.FILE_NAME + ".bak");
        try {
            Journal.Recovery recovery = Journal.recover(checkpoint, dir, backup);
            return new Loaded(checkpoint, recovery, Journal.document(checkpoint, recovery));
        } catch (IOException e) {
            throw new BelfryCli.BadInputException("cannot read the journal beside " + file + ": " + e.getMessage());
        }
    }

    /** {@code belfry sidecar validate}: exit 0 if valid, 1 with the located error if not. */
    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Check a sidecar file and the journal beside it; on error print where (file:line:column:"
                    + " field, or segment@offset) and exit 1.")
    static final class Validate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() {
            try {
                Loaded loaded = load(file);
                SidecarDocument doc = loaded.checkpoint();
                Journal.Recovery r = loaded.recovery();
                StringBuilder line = new StringBuilder(file + ": valid, format version " + doc.version() + ", "
                        + doc.jobs().size() + " job(s)");
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
            } catch (SidecarFormatException | JournalFormatException e) {
                spec.commandLine().getErr().println(e.getMessage());
                return BelfryCli.EXIT_FAILED;
            }
        }
    }

    /** {@code belfry sidecar dump}: the jobs of a sidecar file as a table. */
    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = "Print the jobs of a sidecar file, with the journal beside it replayed, as a table.")
    static final class Dump implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() {
            SidecarDocument doc;
            try {
                doc = load(file).state();
            } catch (SidecarFormatException | JournalFormatException e) {
                spec.commandLine().getErr().println(e.getMessage());
                return BelfryCli.EXIT_FAILED;
            }
            TextTable table = new TextTable("QNAME", "STATUS", "SCHEDULE", "NEXT FIRE", "LAST FINISHED", "OUTCOME",
                    "RUNS", "FAILS", "PAUSED", "CHECKPOINT");
            for (JobRecord j : doc.jobs()) {
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

    static String instant(Optional<Instant> at) {
        return at.map(Instant::toString).orElse("-");
    }
}
