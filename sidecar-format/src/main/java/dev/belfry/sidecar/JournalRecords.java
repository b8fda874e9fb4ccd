package dev.belfry.sidecar;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The payload of a journal record: one job's complete new state, or its removal, in a compact binary form
 * (documented in {@code docs/sidecar-format.md}, "Journal records"). Every record stands alone: replaying a
 * segment is "the last record of each job wins", so a record never depends on the one before it.
 *
 * <p>Integers are unsigned LEB128 varints (signed ones zig-zag encoded first), strings a varint byte length and
 * UTF-8, instants a signed varint of epoch seconds and a varint of nanoseconds, durations likewise.
 */
public final class JournalRecords {
    /** Kind byte of a record holding a job's whole state. */
    public static final byte PUT = 'P';
    /** Kind byte of a record removing a job. */
    public static final byte REMOVE = 'R';

    /** Status codes, by their position here; the list only ever grows at the end. */
    private static final JobStatus[] STATUSES = {JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.RUNNING,
        JobStatus.IDLE, JobStatus.FAILED_RETRYING, JobStatus.FAILED, JobStatus.PAUSED, JobStatus.ORPHANED,
        JobStatus.COMPLETED, JobStatus.CANCELLED};
    private static final PeriodicMode[] MODES = PeriodicMode.values();

    private static final int PAUSED = 1;
    private static final int DYNAMIC = 1 << 1;
    private static final int HAS_NEXT_FIRE = 1 << 2;
    private static final int HAS_LAST_STARTED = 1 << 3;
    private static final int HAS_LAST_FINISHED = 1 << 4;
    private static final int HAS_OUTCOME = 1 << 5;
    private static final int HAS_ORPHANED = 1 << 6;
    private static final int HAS_CHECKPOINT = 1 << 7;
    /** The optional instants that follow the flags, in their order. */
    private static final int[] INSTANT_FLAGS = {HAS_NEXT_FIRE, HAS_LAST_STARTED, HAS_LAST_FINISHED};

    private static final byte MANUAL = 0;
    private static final byte ONCE = 1;
    private static final byte PERIODIC = 2;
    private static final byte CRON = 3;

    private JournalRecords() {
    }

    /** A change read back from a record. */
    public sealed interface Change permits Put, Remove {
        /** @return the job the change is about */
        QName qname();
    }

    /**
     * A job's whole new state.
     *
     * @param job the state
     */
    public record Put(JobRecord job) implements Change {
        @Override
        public QName qname() {
            return job.qname();
        }
    }

    /**
     * A job removed.
     *
     * @param qname the job
     */
    public record Remove(QName qname) implements Change {
    }

    /**
     * Encodes records into one reusable buffer, so the steady firing path makes no garbage for them. Not
     * thread-safe: one writer thread owns an encoder.
     */
    public static final class Encoder {
        private byte[] buf = new byte[512];
        private int length;

        /** Creates an encoder. */
        public Encoder() {
        }

        /**
         * Encodes a job's whole state; the bytes are in {@link #buffer()} up to {@link #length()} until the next
         * call.
         *
         * @param job the state
         */
        public void put(JobRecord job) {
            length = 0;
            buf[length++] = PUT;
            string(job.qname().namespace());
            string(job.qname().name());
            string(job.pluginId());
            schedule(job.schedule());
            int flags = (job.paused() ? PAUSED : 0) | (job.dynamic() ? DYNAMIC : 0)
                    | (job.nextFireAt().isPresent() ? HAS_NEXT_FIRE : 0)
                    | (job.lastStartedAt().isPresent() ? HAS_LAST_STARTED : 0)
                    | (job.lastFinishedAt().isPresent() ? HAS_LAST_FINISHED : 0)
                    | (job.lastOutcome().isPresent() ? HAS_OUTCOME : 0)
                    | (job.orphanedAt().isPresent() ? HAS_ORPHANED : 0)
                    | (job.checkpoint().isPresent() ? HAS_CHECKPOINT : 0);
            // No ifPresent(this::instant) below: each such method reference is an object made per record.
            ensure(2);
            buf[length++] = (byte) statusCode(job.status());
            buf[length++] = (byte) flags;
            if (job.nextFireAt().isPresent()) {
                instant(job.nextFireAt().get());
            }
            if (job.lastStartedAt().isPresent()) {
                instant(job.lastStartedAt().get());
            }
            if (job.lastFinishedAt().isPresent()) {
                instant(job.lastFinishedAt().get());
            }
            if (job.lastOutcome().isPresent()) {
                RunOutcome o = job.lastOutcome().get();
                ensure(1);
                buf[length++] = (byte) (o.success() ? 1 : 0);
                string(o.message());
                varLong(o.duration().toMillis());
            }
            if (job.orphanedAt().isPresent()) {
                instant(job.orphanedAt().get());
            }
            varLong(job.consecutiveFailures());
            varLong(job.runCount());
            varLong(job.failureCount());
            if (job.checkpoint().isPresent()) {
                string(job.checkpoint().get());
            }
            varLong(job.version());
            string(job.unknown().isEmpty() ? "" : SidecarCodec.unknownJson(job.unknown()));
        }

        /**
         * Encodes a removal; the bytes are in {@link #buffer()} up to {@link #length()} until the next call.
         *
         * @param qname the job removed
         */
        public void remove(QName qname) {
            length = 0;
            buf[length++] = REMOVE;
            string(qname.namespace());
            string(qname.name());
        }

        /** @return the buffer holding the last encoded record from offset 0 */
        public byte[] buffer() {
            return buf;
        }

        /** @return the last encoded record's length */
        public int length() {
            return length;
        }

        /** @return a copy of the last encoded record */
        public byte[] toByteArray() {
            return Arrays.copyOf(buf, length);
        }

        private void schedule(Schedule schedule) {
            ensure(1);
            if (schedule instanceof Schedule.Manual) {
                buf[length++] = MANUAL;
            } else if (schedule instanceof Schedule.Once once) {
                buf[length++] = ONCE;
                instant(once.at());
            } else if (schedule instanceof Schedule.Periodic p) {
                buf[length++] = PERIODIC;
                duration(p.every());
                ensure(1);
                buf[length++] = (byte) p.mode().ordinal();
                duration(p.initialDelay());
            } else if (schedule instanceof Schedule.Cron c) {
                buf[length++] = CRON;
                string(c.expression());
                string(c.zone().getId());
            } else {
                throw new IllegalStateException("unhandled schedule kind " + schedule.getClass().getName());
            }
        }

        private void instant(Instant at) {
            varLong(zigZag(at.getEpochSecond()));
            varLong(at.getNano());
        }

        private void duration(Duration d) {
            varLong(zigZag(d.getSeconds()));
            varLong(d.getNano());
        }

        private void string(String s) {
            // Names, ids and cron expressions are ASCII almost always: copied char by char with no encoder garbage.
            int n = s.length();
            boolean ascii = true;
            for (int i = 0; i < n && ascii; i++) {
                ascii = s.charAt(i) < 0x80;
            }
            if (ascii) {
                varLong(n);
                ensure(n);
                for (int i = 0; i < n; i++) {
                    buf[length++] = (byte) s.charAt(i);
                }
            } else {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                varLong(utf8.length);
                ensure(utf8.length);
                System.arraycopy(utf8, 0, buf, length, utf8.length);
                length += utf8.length;
            }
        }

        private void varLong(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[length++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[length++] = (byte) v;
        }

        private void ensure(int more) {
            if (length + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, length + more));
            }
        }
    }

    /**
     * Decodes records. Keeps one String per plugin id and zone, shared by the records it reads. Not thread-safe.
     */
    public static final class Decoder {
        private final Map<String, String> pluginIds = new HashMap<>();
        private final Map<String, ZoneId> zones = new HashMap<>();
        private byte[] b;
        private int at;
        private int end;
        private int namespaceAt;
        private int namespaceLength;
        private int nameAt;
        private int nameLength;

        /** Creates a decoder. */
        public Decoder() {
        }

        /**
         * Decodes one record's payload.
         *
         * @param payload the bytes
         * @param offset  where the payload starts
         * @param length  its length
         * @return the change
         * @throws IllegalArgumentException with what is wrong, if the payload is not a valid record (its checksum
         *                                  was right, so a writer of another format or a bug wrote it)
         */
        public Change decode(byte[] payload, int offset, int length) {
            b = Objects.requireNonNull(payload, "payload");
            at = offset;
            end = offset + length;
            int kind = u8();
            Change change = switch (kind) {
                case PUT -> new Put(job());
                case REMOVE -> new Remove(QName.of(string(), string()));
                default -> throw new IllegalArgumentException("unknown record kind 0x" + Integer.toHexString(kind));
            };
            if (at != end) {
                throw new IllegalArgumentException((end - at) + " byte(s) left after the record");
            }
            return change;
        }

        /**
         * Checks a payload's structure as {@link #decode} reads it, without making its objects, and notes where the
         * job's namespace and name are ({@link #namespaceAt()} and so on), so a journal can be replayed newest
         * first and a change that a later one replaces costs no objects. Value rules that only the records check
         * (a name's characters, a checkpoint's length) are left to {@link #decode} of the change that wins.
         *
         * @param payload the bytes
         * @param offset  where the payload starts
         * @param length  its length
         * @throws IllegalArgumentException with what is wrong, as {@link #decode} would say it
         */
        public void skim(byte[] payload, int offset, int length) {
            b = Objects.requireNonNull(payload, "payload");
            at = offset;
            end = offset + length;
            int kind = u8();
            if (kind != PUT && kind != REMOVE) {
                throw new IllegalArgumentException("unknown record kind 0x" + Integer.toHexString(kind));
            }
            namespaceAt = skipString();
            namespaceLength = at - namespaceAt;
            nameAt = skipString();
            nameLength = at - nameAt;
            if (kind == PUT) {
                skimJob();
            }
            if (at != end) {
                throw new IllegalArgumentException((end - at) + " byte(s) left after the record");
            }
        }

        /** @return where the namespace's bytes start in the payload last {@linkplain #skim skimmed} */
        public int namespaceAt() {
            return namespaceAt;
        }

        /** @return how many bytes the namespace has */
        public int namespaceLength() {
            return namespaceLength;
        }

        /** @return where the name's bytes start in the payload last skimmed */
        public int nameAt() {
            return nameAt;
        }

        /** @return how many bytes the name has */
        public int nameLength() {
            return nameLength;
        }

        private void skimJob() {
            skipString(); // plugin id
            int kind = u8();
            switch (kind) {
                case MANUAL -> { }
                case ONCE -> skipInstant();
                case PERIODIC -> {
                    skipInstant(); // a duration has the same form
                    if (u8() >= MODES.length) {
                        throw new IllegalArgumentException("unknown periodic mode");
                    }
                    skipInstant();
                }
                case CRON -> {
                    skipString();
                    int zoneAt = skipString();
                    zones.computeIfAbsent(new String(b, zoneAt, at - zoneAt, StandardCharsets.UTF_8), ZoneId::of);
                }
                default -> throw new IllegalArgumentException("unknown schedule kind " + kind);
            }
            int status = u8();
            if (status >= STATUSES.length) {
                throw new IllegalArgumentException("unknown status code " + status);
            }
            int flags = u8();
            for (int flag : INSTANT_FLAGS) {
                if ((flags & flag) != 0) {
                    skipInstant();
                }
            }
            if ((flags & HAS_OUTCOME) != 0) {
                u8();
                skipString();
                varLong();
            }
            if ((flags & HAS_ORPHANED) != 0) {
                skipInstant();
            }
            if (varLong() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("consecutive failures out of range");
            }
            varLong();
            varLong();
            if ((flags & HAS_CHECKPOINT) != 0) {
                skipString();
            }
            varLong();
            int unknownAt = skipString();
            if (at > unknownAt) {
                SidecarCodec.parseUnknown(new String(b, unknownAt, at - unknownAt, StandardCharsets.UTF_8));
            }
        }

        private void skipInstant() {
            varLong();
            nanos();
        }

        /** @return where the string's bytes start; they end where reading goes on */
        private int skipString() {
            long n = varLong();
            if (n > end - at) {
                throw new IllegalArgumentException("string of " + n + " bytes runs past the record's end");
            }
            int from = at;
            at += (int) n;
            return from;
        }

        private JobRecord job() {
            QName qname = QName.of(string(), string());
            String pluginId = pluginIds.computeIfAbsent(string(), p -> p);
            Schedule schedule = schedule();
            int status = u8();
            if (status >= STATUSES.length) {
                throw new IllegalArgumentException("unknown status code " + status);
            }
            int flags = u8();
            Optional<Instant> next = (flags & HAS_NEXT_FIRE) != 0 ? Optional.of(instant()) : Optional.empty();
            Optional<Instant> started = (flags & HAS_LAST_STARTED) != 0 ? Optional.of(instant()) : Optional.empty();
            Optional<Instant> finished = (flags & HAS_LAST_FINISHED) != 0 ? Optional.of(instant())
                    : Optional.empty();
            Optional<RunOutcome> outcome = Optional.empty();
            if ((flags & HAS_OUTCOME) != 0) {
                boolean success = u8() != 0;
                outcome = Optional.of(new RunOutcome(success, string(), Duration.ofMillis(varLong())));
            }
            Optional<Instant> orphaned = (flags & HAS_ORPHANED) != 0 ? Optional.of(instant()) : Optional.empty();
            long consecutive = varLong();
            if (consecutive > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("consecutive failures " + consecutive + " out of range");
            }
            long runs = varLong();
            long failures = varLong();
            Optional<String> checkpoint = (flags & HAS_CHECKPOINT) != 0 ? Optional.of(string()) : Optional.empty();
            long version = varLong();
            String unknownJson = string();
            UnknownFields unknown = unknownJson.isEmpty() ? UnknownFields.none()
                    : SidecarCodec.parseUnknown(unknownJson);
            return new JobRecord(qname, pluginId, schedule, STATUSES[status], next, started, finished, outcome,
                    (int) consecutive, runs, failures, (flags & PAUSED) != 0, orphaned, (flags & DYNAMIC) != 0,
                    checkpoint, version, unknown);
        }

        private Schedule schedule() {
            int kind = u8();
            return switch (kind) {
                case MANUAL -> new Schedule.Manual();
                case ONCE -> new Schedule.Once(instant());
                case PERIODIC -> {
                    Duration every = duration();
                    int mode = u8();
                    if (mode >= MODES.length) {
                        throw new IllegalArgumentException("unknown periodic mode " + mode);
                    }
                    yield new Schedule.Periodic(every, MODES[mode], duration());
                }
                case CRON -> {
                    String expression = string();
                    yield new Schedule.Cron(expression, zones.computeIfAbsent(string(), ZoneId::of));
                }
                default -> throw new IllegalArgumentException("unknown schedule kind " + kind);
            };
        }

        private Instant instant() {
            long seconds = unZigZag(varLong());
            return Instant.ofEpochSecond(seconds, nanos());
        }

        private Duration duration() {
            long seconds = unZigZag(varLong());
            return Duration.ofSeconds(seconds, nanos());
        }

        private long nanos() {
            long n = varLong();
            if (n > 999_999_999L) {
                throw new IllegalArgumentException("nanoseconds " + n + " out of range");
            }
            return n;
        }

        private String string() {
            long n = varLong();
            if (n > end - at) {
                throw new IllegalArgumentException("string of " + n + " bytes runs past the record's end");
            }
            String s = new String(b, at, (int) n, StandardCharsets.UTF_8);
            at += (int) n;
            return s;
        }

        private int u8() {
            if (at >= end) {
                throw new IllegalArgumentException("record cut short");
            }
            return b[at++] & 0xFF;
        }

        private long varLong() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int x = u8();
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("varint longer than 10 bytes");
        }
    }

    private static int statusCode(JobStatus status) {
        for (int i = 0; i < STATUSES.length; i++) {
            if (STATUSES[i] == status) {
                return i;
            }
        }
        throw new IllegalStateException("status " + status + " has no journal code");
    }

    private static long zigZag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static long unZigZag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
