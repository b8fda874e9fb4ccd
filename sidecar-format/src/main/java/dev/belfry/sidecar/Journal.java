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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
     * @param tornTail   the segment that ends in a torn record and the length to truncate it to, if one does
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
        if (!name.startsWith(SEGMENT_PREFIX) || name.length() == SEGMENT_PREFIX.length()
                || name.length() > SEGMENT_PREFIX.length() + 18) {
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
        List<SegmentFile> out = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(systemDir)) {
            for (Path p : dir) {
                String name = String.valueOf(p.getFileName());
                long g = generationOf(name);
                if (g < 0) {
                    continue;
                }
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!a.isRegularFile()) {
                    throw new JournalFormatException(p.toString(), 0, "not a regular file ("
                            + (a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a directory"
                            : "a special file") + "); a journal segment must be one");
                }
                out.add(new SegmentFile(p, g));
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
        List<JournalReader.Segment> read = new ArrayList<>();
        List<SegmentFile> readFiles = new ArrayList<>();
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
                throw new JournalFormatException(name, 0, "journal segment " + expected + " is missing (the"
                        + " checkpoint " + (expected == from ? "is followed by generation " + from
                        : "journal goes on after segment " + (expected - 1)) + "); changes in it would be lost");
            }
            expected++;
            boolean last = i == segments.size() - 1;
            if (Files.size(s.file()) < JournalSegment.HEADER_BYTES && last) {
                // The crash came while the segment was being created: it never held a record.
                torn = new TornTail(s, 0, name + "@0: segment header cut short; torn tail, truncate to 0");
                replayed.add(s);
                continue;
            }
            JournalReader.Segment seg = JournalReader.read(s.file());
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
            read.add(seg);
            readFiles.add(s);
            records += seg.count();
            replayed.add(s);
            if (seg.end() == JournalReader.End.TORN_TAIL) {
                torn = new TornTail(s, seg.validLength(), seg.problem().orElse("torn record"));
            }
        }
        replayNewestFirst(read, readFiles, jobs);
        return new Recovery(jobs, Collections.unmodifiableList(replayed), Collections.unmodifiableList(obsolete),
                records, Optional.ofNullable(torn), expected);
    }

    /**
     * Applies the segments' records over the checkpoint's jobs. The last change of a job wins, so they are read newest
     * first: the first change met for a job is decoded and applied, and every older one is only checked (skimmed)
     * and passed over. Most records of a long journal are replaced ones, and skimming one makes no objects.
     */
    private static void replayNewestFirst(List<JournalReader.Segment> segments, List<SegmentFile> files,
                                          Map<QName, JobRecord> jobs) {
        JournalRecords.Decoder decoder = new JournalRecords.Decoder();
        Set<NameBytes> settled = new HashSet<>(Math.max(16, jobs.size() * 4 / 3 + 1));
        NameBytes probe = new NameBytes(); // looked up for every record; a key is copied only for a job's first
        JournalFormatException damage = null;
        for (int i = segments.size() - 1; i >= 0; i--) {
            JournalReader.Segment seg = segments.get(i);
            String name = files.get(i).file().toString();
            byte[] bytes = seg.bytes();
            for (int r = seg.count() - 1; r >= 0; r--) {
                int start = seg.starts()[r];
                int length = seg.lengths()[r];
                try {
                    decoder.skim(bytes, start, length);
                    probe.set(bytes, decoder.namespaceAt(), decoder.namespaceLength(), decoder.nameAt(),
                            decoder.nameLength());
                    if (settled.contains(probe)) {
                        continue;
                    }
                    settled.add(probe.copy());
                    JournalRecords.Change c = decoder.decode(bytes, start, length);
                    if (c instanceof JournalRecords.Put p) {
                        jobs.put(p.qname(), p.job());
                    } else {
                        jobs.remove(c.qname());
                    }
                } catch (RuntimeException e) {
                    // Kept, not thrown: the damage reported is the first in the journal's order, as a replay from
                    // the start would meet it, so that moving it aside (--reset-state) keeps only what precedes it.
                    damage = new JournalFormatException(name, start - JournalSegment.FRAME_BYTES,
                            "record does not decode: " + e.getMessage());
                }
            }
        }
        if (damage != null) {
            throw damage;
        }
    }

    /**
     * A job's namespace and name as the UTF-8 bytes of a record, compared by content. Only the probe is ever
     * {@linkplain #set set}; the keys in the set are copies and never change.
     */
    private static final class NameBytes {
        private byte[] bytes;
        private int namespaceAt;
        private int namespaceLength;
        private int nameAt;
        private int nameLength;
        private int hash;

        void set(byte[] b, int nsAt, int nsLength, int nmAt, int nmLength) {
            this.bytes = b;
            this.namespaceAt = nsAt;
            this.namespaceLength = nsLength;
            this.nameAt = nmAt;
            this.nameLength = nmLength;
            int h = 1;
            for (int i = 0; i < nsLength; i++) {
                h = 31 * h + b[nsAt + i];
            }
            h = 31 * h + '.';
            for (int i = 0; i < nmLength; i++) {
                h = 31 * h + b[nmAt + i];
            }
            this.hash = h;
        }

        NameBytes copy() {
            NameBytes c = new NameBytes();
            c.bytes = bytes;
            c.namespaceAt = namespaceAt;
            c.namespaceLength = namespaceLength;
            c.nameAt = nameAt;
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
