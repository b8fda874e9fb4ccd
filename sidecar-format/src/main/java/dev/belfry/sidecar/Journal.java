package dev.belfry.sidecar;

import dev.belfry.api.QName;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The journal beside the sidecar: segment files {@code <data>/_system/background_jobs.journal.<generation>}, and
 * what recovery loads from a checkpoint (the sidecar) and the segments that follow it.
 *
 * <p><b>Generations.</b> A checkpoint names, in {@code journal_generation}, the first segment whose changes it does
 * not hold. Recovery replays, in order, every segment from that generation on; segments below it are already in
 * the checkpoint ({@linkplain Recovery#obsolete() obsolete}, left by a crash between writing a checkpoint and
 * deleting them). The replayed segments must be consecutive generations starting at the checkpoint's: a gap means
 * a segment was lost.
 *
 * <p><b>How segments end.</b> Only the last segment that holds records may end in a torn record (a write the
 * crash cut short, never acknowledged): recovery stops there, and the caller truncates it. A torn record before
 * more records, a record with a bad checksum followed by data, or a record that does not decode is damage:
 * {@link #recover} throws a {@link JournalFormatException} naming the file and offset, and changes nothing.
 *
 * <p>This class only reads; the host's journal store writes, truncates and deletes.
 */
public final class Journal {
    /** The prefix of every segment's file name; the generation follows it in decimal. */
    public static final String SEGMENT_PREFIX = SidecarStore.FILE_NAME.replace(".json", ".journal.");
    /**
     * The largest generation a checkpoint may name (10^15): a host rolling a segment every second would take 30
     * million years to reach it, and staying far below {@code Long.MAX_VALUE} means a generation never overflows.
     */
    public static final long MAX_GENERATION = 1_000_000_000_000_000L;

    private Journal() {
    }

    /**
     * A segment file.
     *
     * @param file       where it is
     * @param generation the generation its name gives
     */
    public record SegmentFile(Path file, long generation) {
    }

    /**
     * What recovery loads.
     *
     * @param jobs       every job after replaying the journal over the checkpoint, by name, in no order
     * @param replayed   the segments replayed, in order
     * @param obsolete   segments the checkpoint already holds: delete them
     * @param records    how many records were replayed
     * @param tornTail   the segment that ends in a torn record and the length to truncate it to, if one does; a
     *                   length of 0 is a last segment whose header was cut short: delete it, the next segment
     *                   takes its generation
     * @param nextGeneration the generation of the next segment to write: one past the last segment, or the
     *                   checkpoint's generation when no segment follows it
     */
    public record Recovery(Map<QName, JobRecord> jobs, List<SegmentFile> replayed, List<SegmentFile> obsolete,
                           long records, Optional<TornTail> tornTail, long nextGeneration) {
    }

    /**
     * A segment's last record was cut short.
     *
     * @param segment     the segment
     * @param validLength the length to truncate it to
     * @param problem     one line naming the file, the offset and what is wrong
     */
    public record TornTail(SegmentFile segment, long validLength, String problem) {
    }

    /**
     * @param name a file name
     * @return the file's segment generation, or -1 if the name is not a segment's
     */
    public static long generationOf(String name) {
        int digits = name.length() - SEGMENT_PREFIX.length();
        // Only the canonical spelling: "0009" and "9" must not both name segment 9.
        if (!name.startsWith(SEGMENT_PREFIX) || digits < 1 || digits > 18
                || (digits > 1 && name.charAt(SEGMENT_PREFIX.length()) == '0')) {
            return -1;
        }
        long g = 0;
        for (int i = SEGMENT_PREFIX.length(); i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            g = g * 10 + (c - '0');
        }
        return g;
    }

    /**
     * @param systemDir  the {@code _system} directory
     * @param generation a generation
     * @return the segment file of that generation
     */
    public static Path segment(Path systemDir, long generation) {
        return systemDir.resolve(SEGMENT_PREFIX + generation);
    }

    /**
     * Lists the segment files, lowest generation first.
     *
     * @param systemDir the {@code _system} directory
     * @return the segments; none if the directory does not exist
     * @throws JournalFormatException if a segment's name is taken by something other than a regular file
     * @throws IOException            if the directory cannot be read
     */
    public static List<SegmentFile> list(Path systemDir) throws IOException {
        List<SegmentFile> out = names(systemDir);
        for (SegmentFile s : out) {
            BasicFileAttributes a = Files.readAttributes(s.file(), BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                throw new JournalFormatException(s.file().toString(), 0, "not a regular file ("
                        + (a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a directory"
                        : SidecarStore.specialKind(s.file()))
                        + "); a journal segment must be one");
            }
        }
        return out;
    }

    /**
     * Lists whatever carries a segment's name, regular file or not, lowest generation first: what recovery's
     * quarantine moves aside.
     *
     * @param systemDir the {@code _system} directory
     * @return the entries; none if the directory does not exist
     * @throws IOException if the directory cannot be read
     */
    public static List<SegmentFile> names(Path systemDir) throws IOException {
        List<SegmentFile> out = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(systemDir)) {
            for (Path p : dir) {
                long g = generationOf(String.valueOf(p.getFileName()));
                if (g >= 0) {
                    out.add(new SegmentFile(p, g));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        out.sort((a, b) -> Long.compare(a.generation(), b.generation()));
        return out;
    }

    /**
     * Loads what a start would: the checkpoint with the journal replayed over it. Reads only.
     *
     * @param checkpoint the sidecar as loaded
     * @param systemDir  the {@code _system} directory
     * @param fromBackup whether the checkpoint is the sidecar's backup (the main file was damaged or missing): the
     *                   segments that followed the backup went with the main file's checkpoint, so the journal may
     *                   start later than the backup's generation; what it holds is newer and is replayed
     * @return the recovered jobs and what to do with the segments
     * @throws JournalFormatException if the journal is damaged (see the class description); nothing is changed
     * @throws IOException            if a segment cannot be read
     */
    public static Recovery recover(SidecarDocument checkpoint, Path systemDir, boolean fromBackup)
            throws IOException {
        Map<QName, JobRecord> jobs = new HashMap<>(Math.max(16, checkpoint.jobs().size() * 4 / 3 + 1));
        for (JobRecord j : checkpoint.jobs()) {
            jobs.put(j.qname(), j);
        }
        long from = checkpoint.journalGeneration();
        List<SegmentFile> obsolete = new ArrayList<>();
        List<SegmentFile> replayed = new ArrayList<>();
        JournalRecords.Decoder decoder = new JournalRecords.Decoder();
        LastRecords lastRecordOf = new LastRecords(checkpoint.jobs().size());
        long[] ordinal = {0};
        List<Long> counts = new ArrayList<>();
        long records = 0;
        TornTail torn = null;
        long expected = from;
        List<SegmentFile> segments = list(systemDir);
        for (int i = 0; i < segments.size(); i++) {
            SegmentFile s = segments.get(i);
            if (s.generation() < from) {
                obsolete.add(s);
                continue;
            }
            String name = s.file().toString();
            if (fromBackup && replayed.isEmpty()) {
                expected = s.generation();
            }
            if (s.generation() != expected) {
                throw new JournalFormatException(name, 0, "journal segment " + expected + " is missing ("
                        + (expected == from ? "the checkpoint is followed by generation " + from
                        : "the journal goes on after segment " + (expected - 1)) + ", but the next segment found is "
                        + s.generation() + "); changes in it may be lost");
            }
            boolean last = i == segments.size() - 1;
            if (Files.size(s.file()) < JournalSegment.HEADER_BYTES && last) {
                // The crash came while the segment was being created: it never held a record. The next segment
                // takes its place (and its generation), so the generations stay consecutive.
                torn = new TornTail(s, 0, name + "@0: segment header cut short; torn tail, truncate to 0");
                continue;
            }
            expected++;
            // First pass: each record's job is only looked up (skimmed, no objects made), to find the last record
            // of every job; the second pass below decodes just those. A job's last record is its state.
            JournalReader.Scan seg = JournalReader.scan(s.file(), (buffer, offset, length, at) -> {
                try {
                    decoder.skim(buffer, offset, length);
                } catch (RuntimeException e) {
                    throw new JournalFormatException(name, at, "record does not decode: " + e.getMessage());
                }
                lastRecordOf.note(buffer, decoder, ordinal[0]++);
            });
            if (seg.header().generation() != s.generation()) {
                throw new JournalFormatException(name, 12, "header says generation " + seg.header().generation()
                        + " but the file name says " + s.generation());
            }
            if (torn != null && seg.count() > 0) {
                throw new JournalFormatException(torn.segment().file().toString(), torn.validLength(),
                        "torn record in the middle of the journal (segment " + s.generation()
                                + " holds later changes)");
            }
            if (seg.end() == JournalReader.End.CORRUPT_MIDDLE) {
                throw new JournalFormatException(name, seg.validLength(), withoutLocation(seg.problem()));
            }
            records += seg.count();
            replayed.add(s);
            counts.add(seg.count());
            if (seg.end() == JournalReader.End.TORN_TAIL) {
                torn = new TornTail(s, seg.validLength(), seg.problem().orElse("torn record"));
            }
        }
        applyLastRecords(replayed, counts, lastRecordOf, decoder, jobs);
        return new Recovery(jobs, Collections.unmodifiableList(replayed), Collections.unmodifiableList(obsolete),
                records, Optional.ofNullable(torn), expected);
    }

    /**
     * Second pass: decodes each job's last record. Only the records the first pass counted are looked at (a
     * segment a running host appends to may have grown since).
     */
    private static void applyLastRecords(List<SegmentFile> replayed, List<Long> counts, LastRecords lastRecordOf,
                                         JournalRecords.Decoder decoder, Map<QName, JobRecord> jobs)
            throws IOException {
        long[] ordinal = {0};
        int countIndex = 0;
        for (SegmentFile s : replayed) {
            if (Files.size(s.file()) < JournalSegment.HEADER_BYTES) {
                continue; // the torn header the first pass skipped
            }
            long count = counts.get(countIndex++);
            long first = ordinal[0];
            JournalReader.scan(s.file(), (buffer, offset, length, at) -> {
                long n = ordinal[0]++;
                if (n - first >= count) {
                    return;
                }
                decoder.skim(buffer, offset, length);
                if (lastRecordOf.isLast(buffer, decoder, n)) {
                    JournalRecords.Change c;
                    try {
                        c = decoder.decode(buffer, offset, length);
                    } catch (RuntimeException e) {
                        throw new JournalFormatException(s.file().toString(), at, "record does not decode: "
                                + e.getMessage());
                    }
                    if (c instanceof JournalRecords.Put p) {
                        jobs.put(p.qname(), p.job());
                    } else {
                        jobs.remove(c.qname());
                    }
                }
            });
            ordinal[0] = first + count;
        }
    }

    /**
     * The ordinal of each job's last record, keyed by the job's name as the record's UTF-8 bytes: looking a record
     * up makes no object, and a key is copied only for a job's first record.
     */
    private static final class LastRecords {
        private final Map<NameBytes, long[]> last;
        private final NameBytes probe = new NameBytes();

        LastRecords(int expectedJobs) {
            last = new HashMap<>(Math.max(16, expectedJobs * 4 / 3 + 1));
        }

        void note(byte[] buffer, JournalRecords.Decoder skimmed, long ordinal) {
            probe.set(buffer, skimmed);
            long[] at = last.get(probe);
            if (at == null) {
                last.put(probe.copy(), new long[] {ordinal});
            } else {
                at[0] = ordinal;
            }
        }

        boolean isLast(byte[] buffer, JournalRecords.Decoder skimmed, long ordinal) {
            probe.set(buffer, skimmed);
            long[] at = last.get(probe);
            return at != null && at[0] == ordinal;
        }
    }

    /** A job's namespace and name as UTF-8 bytes, compared by content. */
    private static final class NameBytes {
        private byte[] bytes;
        private int namespaceAt;
        private int namespaceLength;
        private int nameAt;
        private int nameLength;
        private int hash;

        void set(byte[] b, JournalRecords.Decoder skimmed) {
            bytes = b;
            namespaceAt = skimmed.namespaceAt();
            namespaceLength = skimmed.namespaceLength();
            nameAt = skimmed.nameAt();
            nameLength = skimmed.nameLength();
            int h = 1;
            for (int i = 0; i < namespaceLength; i++) {
                h = 31 * h + b[namespaceAt + i];
            }
            h = 31 * h + '.';
            for (int i = 0; i < nameLength; i++) {
                h = 31 * h + b[nameAt + i];
            }
            hash = h;
        }

        /** A key of its own: the probe's bytes live in a buffer the reader reuses. */
        NameBytes copy() {
            NameBytes c = new NameBytes();
            c.bytes = new byte[namespaceLength + nameLength];
            System.arraycopy(bytes, namespaceAt, c.bytes, 0, namespaceLength);
            System.arraycopy(bytes, nameAt, c.bytes, namespaceLength, nameLength);
            c.namespaceAt = 0;
            c.namespaceLength = namespaceLength;
            c.nameAt = namespaceLength;
            c.nameLength = nameLength;
            c.hash = hash;
            return c;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof NameBytes n && n.hash == hash
                    && Arrays.equals(bytes, namespaceAt, namespaceAt + namespaceLength, n.bytes, n.namespaceAt,
                    n.namespaceAt + n.namespaceLength)
                    && Arrays.equals(bytes, nameAt, nameAt + nameLength, n.bytes, n.nameAt, n.nameAt + n.nameLength);
        }
    }

    private static String withoutLocation(Optional<String> problem) {
        String p = problem.orElse("damaged record");
        int at = p.indexOf(": ");
        return at < 0 ? p : p.substring(at + 2);
    }

    /**
     * The recovered jobs as a document: the checkpoint's version and unknown members, the jobs sorted by name.
     *
     * @param checkpoint the checkpoint recovery started from
     * @param recovery   what it loaded
     * @return the document a start would load
     */
    public static SidecarDocument document(SidecarDocument checkpoint, Recovery recovery) {
        List<JobRecord> jobs = new ArrayList<>(recovery.jobs().values());
        jobs.sort((a, b) -> a.qname().compareTo(b.qname()));
        return new SidecarDocument(checkpoint.version(), checkpoint.writtenAt(), jobs, checkpoint.unknown(),
                recovery.nextGeneration());
    }
}
