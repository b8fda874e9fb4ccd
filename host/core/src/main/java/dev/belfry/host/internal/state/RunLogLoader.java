package dev.belfry.host.internal.state;

import dev.belfry.api.QName;
import dev.belfry.sidecar.JournalFormatException;
import dev.belfry.sidecar.JournalReader;
import dev.belfry.sidecar.JournalSegment;
import dev.belfry.sidecar.JournalWriter;
import dev.belfry.sidecar.RunLogRecords;
import dev.belfry.sidecar.SidecarFileOps;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the run log at a start: replays the highest segment whose snapshot is complete into memory, deletes the
 * segments a compaction left, cuts a torn tail, moves a damaged segment aside, and says where appends go next.
 */
final class RunLogLoader {
    /** Its lines are the run log's: operators know them by that logger. */
    private static final Logger log = LoggerFactory.getLogger(RunLog.class);

    private final Path dir;
    private final SidecarFileOps ops;

    RunLogLoader(Path dir, SidecarFileOps ops) {
        this.dir = dir;
        this.ops = ops;
    }

    /** Where appends go once the log is loaded. */
    sealed interface Loaded permits Appending, Rewrite {
    }

    /** Appends go on at the end of the loaded segment, through {@code writer} and {@code encoder}. */
    record Appending(long segment, FileChannel channel, JournalWriter writer, RunLogRecords.Encoder encoder,
                     long runs) implements Loaded {
    }

    /** No segment can take appends: segment {@code segment} is to be written from memory by a compaction first. */
    record Rewrite(long segment) implements Loaded {
    }

    /**
     * Loads the log into {@code memory}.
     *
     * @param memory empty; gets the runs of the log
     * @return where appends go
     * @throws IOException if a segment cannot be deleted, moved aside, cut or opened
     */
    Loaded load(RecentRuns memory) throws IOException {
        List<Long> segments = list(dir);
        int chosen = -1;
        JournalReader.Segment read = null;
        for (int i = segments.size() - 1; i >= 0 && chosen < 0; i--) {
            JournalReader.Segment s = readQuietly(segments.get(i));
            if (s != null && snapshotComplete(s)) {
                chosen = i;
                read = s;
            }
        }
        if (chosen < 0) {
            if (segments.stream().allMatch(this::unfinished)) {
                // The crash came while the first segment was being written: it never held a run.
                for (long g : segments) {
                    log.warn("run history segment {} was left by an unfinished compaction; deleted", file(g));
                    ops.deleteIfExists(file(g));
                }
            } else {
                List<Path> moved = new ArrayList<>();
                for (long g : segments) {
                    moved.add(moveAside(file(g)));
                }
                log.error("run history in {} is damaged (no segment holds a whole snapshot); moved aside to {};"
                        + " starting with no run history", dir, moved);
            }
            return new Rewrite(segments.isEmpty() ? 0 : segments.get(segments.size() - 1) + 1);
        }
        for (int i = chosen + 1; i < segments.size(); i++) {
            log.warn("run history segment {} was left by an unfinished compaction; deleted", file(segments.get(i)));
            ops.deleteIfExists(file(segments.get(i)));
        }
        long g = segments.get(chosen);
        Path file = file(g);
        Replay replay = new Replay(memory);
        int good = 0;
        Optional<String> damage = read.end() == JournalReader.End.CORRUPT_MIDDLE ? read.problem() : Optional.empty();
        for (; good < read.count(); good++) {
            try {
                replay.decoder.decode(read.bytes(), read.starts()[good], read.lengths()[good], replay);
            } catch (RuntimeException e) {
                damage = Optional.of(file.getFileName() + "@" + (read.starts()[good] - JournalSegment.FRAME_BYTES)
                        + ": record does not decode: " + e.getMessage());
                break;
            }
        }
        for (int i = 0; i < chosen; i++) {
            ops.deleteIfExists(file(segments.get(i)));
        }
        if (damage.isPresent()) {
            Path aside = moveAside(file);
            log.error("run history {} is damaged ({}); moved aside to {}; starting with the {} run(s) read before"
                    + " the damage", file, damage.get(), aside, memory.size());
            return new Rewrite(g + 1);
        }
        if (read.end() == JournalReader.End.TORN_TAIL) {
            log.warn("run history {} ends in a record cut short by a crash; cut to {} bytes: {}", file,
                    read.validLength(), read.problem().orElse("torn record"));
            ops.truncate(file, read.validLength());
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        ch.position(read.validLength());
        return new Appending(g, ch, new JournalWriter(ch, file, ops), RunLogRecords.Encoder.continuing(replay.decoder),
                replay.runs);
    }

    /** Replays a segment into memory. */
    private static final class Replay implements RunLogRecords.Visitor {
        final RunLogRecords.Decoder decoder = new RunLogRecords.Decoder();
        private final RecentRuns memory;
        long runs;

        Replay(RecentRuns memory) {
            this.memory = memory;
        }

        @Override
        public void snapshotStart() {
        }

        @Override
        public void snapshotEnd() {
        }

        @Override
        public void run(RunLogRecords.Run run) {
            runs++;
            memory.add(run.job(), run.runId(), run.scheduledFor(), run.startedAt(), run.finishedAt(), run.attempt(),
                    run.error().orElse(null), memory.lifeIndex(run.hostStartedAt()));
        }

        @Override
        public void drop(QName job) {
            memory.forget(job);
        }
    }

    /** @return the segment, or null if it is not one (a bad header, a wrong number, unreadable) */
    private JournalReader.Segment readQuietly(long g) {
        try {
            JournalReader.Segment s = JournalReader.read(file(g));
            return s.header().generation() == g ? s : null;
        } catch (IOException | JournalFormatException e) {
            return null;
        }
    }

    /** A snapshot cut short by a crash: a header cut short, or valid records up to a torn tail, without the end. */
    private boolean unfinished(long g) {
        try {
            if (Files.size(file(g)) < JournalSegment.HEADER_BYTES) {
                return true;
            }
        } catch (IOException e) {
            return false;
        }
        JournalReader.Segment s = readQuietly(g);
        return s != null && s.end() != JournalReader.End.CORRUPT_MIDDLE && !snapshotComplete(s)
                && (s.count() == 0 || isSingle(s, 0, RunLogRecords.SNAPSHOT_START));
    }

    /** Opens with SNAPSHOT_START and holds SNAPSHOT_END among its valid records. */
    private static boolean snapshotComplete(JournalReader.Segment s) {
        if (s.count() == 0 || !isSingle(s, 0, RunLogRecords.SNAPSHOT_START)) {
            return false;
        }
        for (int i = 1; i < s.count(); i++) {
            if (isSingle(s, i, RunLogRecords.SNAPSHOT_END)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSingle(JournalReader.Segment s, int record, byte kind) {
        return s.lengths()[record] == 1 && s.bytes()[s.starts()[record]] == kind;
    }

    private Path moveAside(Path file) throws IOException {
        Path aside = file.resolveSibling(file.getFileName() + RunLog.DAMAGED_SUFFIX);
        ops.atomicMove(file, aside);
        return aside;
    }

    private Path file(long g) {
        return file(dir, g);
    }

    /** @return segment {@code g}'s file in {@code dir} */
    static Path file(Path dir, long g) {
        return dir.resolve(RunLog.SEGMENT_PREFIX + g);
    }

    /** @return the segment numbers in {@code dir}, lowest first */
    static List<Long> list(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, RunLog.SEGMENT_PREFIX + "*")) {
            for (Path p : entries) {
                long g = numberOf(String.valueOf(p.getFileName()));
                if (g >= 0 && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    out.add(g);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        out.sort(null);
        return out;
    }

    private static long numberOf(String name) {
        String digits = name.substring(RunLog.SEGMENT_PREFIX.length());
        if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Long.parseLong(digits);
    }
}
