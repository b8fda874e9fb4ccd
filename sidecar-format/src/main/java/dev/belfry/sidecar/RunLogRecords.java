package dev.belfry.sidecar;

import dev.belfry.api.QName;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The payloads of the run log, the host's durable run history (documented in {@code docs/sidecar-format.md}, "Run
 * log records"). Unlike journal records, run log records depend on the ones before them in the same segment: job
 * names are given once per segment and then referred to by number, and instants are deltas from the run before. So
 * an {@link Encoder} and a {@link Decoder} each hold the state of one segment, from its first record on.
 *
 * <p>Integers are unsigned LEB128 varints (signed ones zig-zag encoded first), strings a varint byte length and
 * UTF-8.
 */
public final class RunLogRecords {
    /** Kind byte of the record that opens a segment: what follows, up to {@link #SNAPSHOT_END}, is the whole log. */
    public static final byte SNAPSHOT_START = 'S';
    /** Kind byte of the record that closes a segment's snapshot: from here on the segment is the log. */
    public static final byte SNAPSHOT_END = 'E';
    /** Kind byte of a record of runs. */
    public static final byte RUNS = 'U';
    /** Kind byte of a record of jobs whose runs are dropped. */
    public static final byte DROP = 'D';

    private static final int HAS_ERROR = 1;
    private static final int HAS_ATTEMPT = 1 << 1;
    private static final int HAS_LIFE = 1 << 2;
    private static final int WIDE_TIMES = 1 << 3;
    private static final int KNOWN_FLAGS = HAS_ERROR | HAS_ATTEMPT | HAS_LIFE | WIDE_TIMES;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private RunLogRecords() {
    }

    /**
     * One ended run as the run log keeps it.
     *
     * @param job           the job
     * @param hostStartedAt when the host process the run belongs to started, to the millisecond: the engine's run
     *                      ids are unique within one process only
     * @param runId         the run's id within that process
     * @param scheduledFor  the fire it was for
     * @param startedAt     when it started
     * @param finishedAt    when it ended or was given up on
     * @param attempt       its attempt number, at least 1
     * @param error         why it failed, was cancelled or timed out; empty when it succeeded
     */
    public record Run(QName job, Instant hostStartedAt, long runId, Instant scheduledFor, Instant startedAt,
                      Instant finishedAt, int attempt, Optional<String> error) {
        /**
         * Validates the run and truncates {@code hostStartedAt} to milliseconds.
         *
         * @param job           the job
         * @param hostStartedAt when the host process the run belongs to started
         * @param runId         the run's id within that process
         * @param scheduledFor  the fire it was for
         * @param startedAt     when it started
         * @param finishedAt    when it ended or was given up on
         * @param attempt       its attempt number, at least 1
         * @param error         why it failed; empty when it succeeded
         * @throws IllegalArgumentException if the attempt is below 1
         * @throws NullPointerException     if an argument is null
         */
        public Run {
            Objects.requireNonNull(job, "job");
            hostStartedAt = Objects.requireNonNull(hostStartedAt, "hostStartedAt").truncatedTo(ChronoUnit.MILLIS);
            Objects.requireNonNull(scheduledFor, "scheduledFor");
            Objects.requireNonNull(startedAt, "startedAt");
            Objects.requireNonNull(finishedAt, "finishedAt");
            Objects.requireNonNull(error, "error");
            if (attempt < 1) {
                throw new IllegalArgumentException("attempt must be at least 1: " + attempt);
            }
        }
    }

    /** What a record says, told in order. */
    public interface Visitor {
        /** The record that opens a segment's snapshot. */
        void snapshotStart();

        /** The record that closes it. */
        void snapshotEnd();

        /** @param run a run, older than every run that follows it in the segment for the same job */
        void run(Run run);

        /** @param job a job whose runs so far are dropped (it was removed) */
        void drop(QName job);
    }

    /** The state a segment's records build up: its job names, and the run the next one is a delta from. */
    private static class SegmentState {
        final List<QName> names = new ArrayList<>();
        final Map<QName, Integer> numbers = new HashMap<>();
        int previousJob = -1;
        long previousRunId;
        long previousLife;
        long previousSeconds;
        long previousNanos;

        int number(QName job) {
            Integer n = numbers.get(job);
            return n == null ? -1 : n;
        }

        void define(QName job) {
            numbers.put(job, names.size());
            names.add(job);
        }

        void copyFrom(SegmentState other) {
            names.clear();
            names.addAll(other.names);
            numbers.clear();
            numbers.putAll(other.numbers);
            previousJob = other.previousJob;
            previousRunId = other.previousRunId;
            previousLife = other.previousLife;
            previousSeconds = other.previousSeconds;
            previousNanos = other.previousNanos;
        }
    }

    /**
     * Encodes the records of one segment into a reusable buffer. Not thread-safe: one writer thread owns it.
     */
    public static final class Encoder extends SegmentState {
        private byte[] buf = new byte[4096];
        private int length;

        /** Creates an encoder for a new segment. */
        public Encoder() {
        }

        /**
         * Creates an encoder that goes on where a decoder stopped: to append to the segment it read.
         *
         * @param decoder a decoder that read a whole segment
         * @return the encoder
         */
        public static Encoder continuing(Decoder decoder) {
            Encoder e = new Encoder();
            e.copyFrom(decoder);
            return e;
        }

        /** Encodes {@link #SNAPSHOT_START} as the payload. */
        public void snapshotStart() {
            single(SNAPSHOT_START);
        }

        /** Encodes {@link #SNAPSHOT_END} as the payload. */
        public void snapshotEnd() {
            single(SNAPSHOT_END);
        }

        private void single(byte kind) {
            length = 0;
            buf[length++] = kind;
        }

        /** Starts a {@link #RUNS} payload; add runs with {@link #run}. */
        public void startRuns() {
            single(RUNS);
        }

        /** Starts a {@link #DROP} payload; add jobs with {@link #drop}. */
        public void startDrops() {
            single(DROP);
        }

        /**
         * Adds a run to the {@link #RUNS} payload being built.
         *
         * @param run the run
         */
        public void run(Run run) {
            long life = run.hostStartedAt().toEpochMilli();
            Instant s = run.scheduledFor();
            long startDelta;
            long finishDelta;
            long scheduleDelta;
            boolean wide;
            try {
                scheduleDelta = nanosBetween(previousSeconds, previousNanos, s.getEpochSecond(), s.getNano());
                startDelta = nanosBetween(s, run.startedAt());
                finishDelta = nanosBetween(run.startedAt(), run.finishedAt());
                wide = false;
            } catch (ArithmeticException e) {
                // Instants over 292 years apart (Schedule.once(Instant.MAX) is valid) do not fit a delta in nanos.
                scheduleDelta = startDelta = finishDelta = 0;
                wide = true;
            }
            int flags = (run.error().isPresent() ? HAS_ERROR : 0) | (run.attempt() != 1 ? HAS_ATTEMPT : 0)
                    | (life != previousLife ? HAS_LIFE : 0) | (wide ? WIDE_TIMES : 0);
            ensure(1);
            buf[length++] = (byte) flags;
            jobRef(run.job());
            if (life != previousLife) {
                varLong(zigZag(life - previousLife));
                previousLife = life;
            }
            varLong(zigZag(run.runId() - previousRunId));
            previousRunId = run.runId();
            if (wide) {
                instant(s);
                instant(run.startedAt());
                instant(run.finishedAt());
            } else {
                varLong(zigZag(scheduleDelta));
                varLong(zigZag(startDelta));
                varLong(zigZag(finishDelta));
            }
            previousSeconds = s.getEpochSecond();
            previousNanos = s.getNano();
            if (run.attempt() != 1) {
                varLong(run.attempt());
            }
            run.error().ifPresent(this::string);
        }

        /**
         * Adds a job to the {@link #DROP} payload being built.
         *
         * @param job the job
         */
        public void drop(QName job) {
            jobRef(job);
        }

        /** @return the buffer holding the payload, valid up to {@link #length()} */
        public byte[] buffer() {
            return buf;
        }

        /** @return the payload's length */
        public int length() {
            return length;
        }

        private void jobRef(QName job) {
            int n = number(job);
            if (n >= 0 && n == previousJob) {
                varLong(0);
            } else if (n >= 0) {
                varLong(n + 1L);
            } else {
                n = names.size();
                varLong(n + 1L);
                string(job.toString());
                define(job);
            }
            previousJob = n;
        }

        private void instant(Instant i) {
            varLong(zigZag(i.getEpochSecond()));
            varLong(i.getNano());
        }

        private void string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            varLong(bytes.length);
            ensure(bytes.length);
            System.arraycopy(bytes, 0, buf, length, bytes.length);
            length += bytes.length;
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

    /** Decodes the records of one segment, in order. Not thread-safe. */
    public static final class Decoder extends SegmentState {
        private byte[] b;
        private int at;
        private int end;

        /** Creates a decoder for a segment's first record. */
        public Decoder() {
        }

        /**
         * Decodes one record and tells the visitor what it holds; a record that does not decode tells nothing.
         *
         * @param payload the bytes
         * @param offset  where the payload starts
         * @param length  its length
         * @param visitor told what the record says
         * @throws IllegalArgumentException with what is wrong, if the payload is not a valid record; the decoder
         *                                  cannot go on after it
         */
        public void decode(byte[] payload, int offset, int length, Visitor visitor) {
            b = Objects.requireNonNull(payload, "payload");
            at = offset;
            end = offset + length;
            int kind = u8();
            switch (kind) {
                case SNAPSHOT_START, SNAPSHOT_END -> {
                    if (at != end) {
                        throw new IllegalArgumentException((end - at) + " byte(s) left after the record");
                    }
                    if (kind == SNAPSHOT_START) {
                        visitor.snapshotStart();
                    } else {
                        visitor.snapshotEnd();
                    }
                }
                case RUNS -> {
                    List<Run> runs = new ArrayList<>();
                    while (at < end) {
                        runs.add(run());
                    }
                    runs.forEach(visitor::run);
                }
                case DROP -> {
                    List<QName> jobs = new ArrayList<>();
                    while (at < end) {
                        jobs.add(names.get(jobRef()));
                    }
                    jobs.forEach(visitor::drop);
                }
                default -> throw new IllegalArgumentException("unknown record kind 0x" + Integer.toHexString(kind));
            }
        }

        private Run run() {
            int flags = u8();
            if ((flags & ~KNOWN_FLAGS) != 0) {
                throw new IllegalArgumentException("unknown run flags 0x" + Integer.toHexString(flags));
            }
            QName job = names.get(jobRef());
            if ((flags & HAS_LIFE) != 0) {
                previousLife += unZigZag(varLong());
            }
            previousRunId += unZigZag(varLong());
            Instant scheduled;
            Instant started;
            Instant finished;
            if ((flags & WIDE_TIMES) != 0) {
                scheduled = instant();
                started = instant();
                finished = instant();
            } else {
                scheduled = plusNanos(previousSeconds, previousNanos, unZigZag(varLong()));
                started = plusNanos(scheduled.getEpochSecond(), scheduled.getNano(), unZigZag(varLong()));
                finished = plusNanos(started.getEpochSecond(), started.getNano(), unZigZag(varLong()));
            }
            previousSeconds = scheduled.getEpochSecond();
            previousNanos = scheduled.getNano();
            long attempt = (flags & HAS_ATTEMPT) != 0 ? varLong() : 1;
            if (attempt < 1 || attempt > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("attempt " + attempt + " out of range");
            }
            Optional<String> error = (flags & HAS_ERROR) != 0 ? Optional.of(string()) : Optional.empty();
            return new Run(job, Instant.ofEpochMilli(previousLife), previousRunId, scheduled, started, finished,
                    (int) attempt, error);
        }

        private int jobRef() {
            long ref = varLong();
            int n;
            if (ref == 0) {
                if (previousJob < 0) {
                    throw new IllegalArgumentException("\"same job\" before any job");
                }
                n = previousJob;
            } else if (ref <= names.size()) {
                n = (int) ref - 1;
            } else if (ref == names.size() + 1L) {
                n = names.size();
                define(QName.parse(string()));
            } else {
                throw new IllegalArgumentException("job number " + (ref - 1) + " not defined (" + names.size()
                        + " defined)");
            }
            previousJob = n;
            return n;
        }

        private Instant instant() {
            long seconds = unZigZag(varLong());
            long nanos = varLong();
            if (nanos >= NANOS_PER_SECOND) {
                throw new IllegalArgumentException("nanoseconds " + nanos + " out of range");
            }
            return Instant.ofEpochSecond(seconds, nanos);
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

    private static long nanosBetween(Instant from, Instant to) {
        return nanosBetween(from.getEpochSecond(), from.getNano(), to.getEpochSecond(), to.getNano());
    }

    private static long nanosBetween(long fromSeconds, long fromNanos, long toSeconds, long toNanos) {
        return Math.addExact(Math.multiplyExact(Math.subtractExact(toSeconds, fromSeconds), NANOS_PER_SECOND),
                toNanos - fromNanos);
    }

    private static Instant plusNanos(long seconds, long nanos, long delta) {
        try {
            return Instant.ofEpochSecond(Math.addExact(seconds, Math.floorDiv(delta, NANOS_PER_SECOND)),
                    nanos + Math.floorMod(delta, NANOS_PER_SECOND));
        } catch (ArithmeticException | java.time.DateTimeException e) {
            throw new IllegalArgumentException("instant out of range: " + e.getMessage());
        }
    }

    private static long zigZag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static long unZigZag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
