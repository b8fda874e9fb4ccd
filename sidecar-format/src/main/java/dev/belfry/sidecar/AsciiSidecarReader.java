package dev.belfry.sidecar;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The quick way to read the usual sidecar: an all-ASCII file of the current format without members this version
 * does not know, read from its bytes straight into records, with no token stream and no tree. At start-up a host
 * of 100,000 jobs spent most of its time between the file and its armed jobs making Jackson's tokens, a small tree
 * per job and the hash maps of its members.
 *
 * <p>It reads any arrangement of such a file (members in any order, any white space, escapes in strings), but it
 * gives up on whatever it does not need to read for that: a member it does not know, a legacy root array, a
 * number with a fraction, a minus sign or more than a long holds, a value in a form the writer does not produce,
 * and any error at all.
 * Giving up costs only time: the codec then reads the file the usual way, through the tree, which stays the one
 * definition of what is accepted and of how each problem is worded. So this reader must never accept what the
 * usual way refuses, nor read a value differently; {@code SidecarCodecFastPathTest} compares the two ways on
 * mutated files.
 */
final class AsciiSidecarReader {
    /** Thrown to give up; control flow, so without a stack trace, and one instance serves every give-up. */
    private static final RuntimeException GIVE_UP = new RuntimeException("not read the quick way", null, false,
            false) {
    };

    private static final byte[][] DOCUMENT_MEMBERS = names("format", "version", "written_at", "journal_generation",
            "jobs");
    private static final int D_FORMAT = 0;
    private static final int D_VERSION = 1;
    private static final int D_WRITTEN_AT = 2;
    private static final int D_JOURNAL_GENERATION = 3;
    private static final int D_JOBS = 4;

    // Indexed by ordinal, which is the order the codec writes them: the next expected name is almost always the
    // first one tried. A member's bit in the seen-set is 1 << ordinal.
    private static final JobField[] JOB_FIELDS = JobField.values();
    private static final byte[][] JOB_MEMBERS = names(JobField.jsonNames().toArray(String[]::new));
    private static final int JOB_REQUIRED = requiredBits();

    private static final byte[][] SCHEDULE_MEMBERS = names("type", "at", "every", "mode", "initial_delay",
            "expression", "zone");
    private static final int S_TYPE = 0;
    private static final int S_AT = 1;
    private static final int S_EVERY = 2;
    private static final int S_MODE = 3;
    private static final int S_INITIAL_DELAY = 4;
    private static final int S_EXPRESSION = 5;
    private static final int S_ZONE = 6;

    private static final byte[][] OUTCOME_MEMBERS = names("success", "message", "duration_ms");
    private static final int O_SUCCESS = 0;
    private static final int O_MESSAGE = 1;
    private static final int O_DURATION_MS = 2;

    private static final JobStatus[] STATUSES = JobStatus.values();
    private static final byte[][] STATUS_NAMES = names(java.util.Arrays.stream(STATUSES).map(JobStatus::jsonName)
            .toArray(String[]::new));
    private static final int MAX_STRING_BYTES = 8 << 20;
    private static final byte[] FORMAT = SidecarDocument.FORMAT.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};

    private final byte[] b;
    private int at;
    // One String per plugin id, shared by the records of its jobs (in their qname and plugin_id) and so by the
    // engine and the state writer that keep those records; jobs of one plugin come one after another, so the
    // last one is tried before the map.
    private final Map<String, String> pluginIds = new HashMap<>();
    private String lastPluginId = "";
    private final Map<String, ZoneId> zones = new HashMap<>();
    // Where the string just read by rawString() starts and ends, and whether it has escapes.
    private int stringStart;
    private int stringEnd;
    private boolean stringEscaped;
    // The schedule read last and where its text is: the next job's schedule is most often the same text.
    private Schedule lastSchedule;
    private int lastScheduleStart;
    private int lastScheduleLength;
    private final ByteText text = new ByteText();

    private AsciiSidecarReader(byte[] ascii) {
        this.b = ascii;
    }

    /**
     * @param ascii the file content, every byte below 0x80
     * @return the document
     * @throws RuntimeException if the file is not one this reader reads; the caller then reads it the usual way
     */
    static SidecarDocument read(byte[] ascii) {
        return new AsciiSidecarReader(ascii).document();
    }

    private SidecarDocument document() {
        expect('{');
        String format = null;
        int version = 0;
        Instant writtenAt = null;
        long journalGeneration = 0;
        List<JobRecord> jobs = null;
        int seen = 0;
        do {
            int member = memberName(DOCUMENT_MEMBERS, seen, D_FORMAT);
            seen |= 1 << member;
            switch (member) {
                case D_FORMAT -> {
                    rawString();
                    if (stringEscaped || !same(stringStart, stringEnd, FORMAT)) {
                        throw GIVE_UP;
                    }
                    format = SidecarDocument.FORMAT;
                }
                case D_VERSION -> version = (int) integer(1, Integer.MAX_VALUE);
                case D_WRITTEN_AT -> writtenAt = instant();
                case D_JOURNAL_GENERATION -> journalGeneration = integer(0, Journal.MAX_GENERATION);
                default -> jobs = jobs();
            }
        } while (nextMember());
        skipWhiteSpace();
        if (at != b.length || format == null || version == 0 || writtenAt == null || jobs == null) {
            throw GIVE_UP;
        }
        return new SidecarDocument(version, writtenAt, jobs, UnknownFields.none(), journalGeneration);
    }

    private List<JobRecord> jobs() {
        expect('[');
        List<JobRecord> jobs = new ArrayList<>();
        skipWhiteSpace();
        if (peek() == ']') {
            at++;
            return jobs;
        }
        do {
            jobs.add(job());
            skipWhiteSpace();
        } while (take(','));
        expect(']');
        return jobs;
    }

    private JobRecord job() {
        expect('{');
        QName qname = null;
        String pluginId = null;
        Schedule schedule = null;
        JobStatus status = null;
        Optional<Instant> nextFireAt = Optional.empty();
        Optional<Instant> lastStartedAt = Optional.empty();
        Optional<Instant> lastFinishedAt = Optional.empty();
        Optional<RunOutcome> lastOutcome = Optional.empty();
        int consecutiveFailures = 0;
        long runCount = 0;
        long failureCount = 0;
        boolean paused = false;
        Optional<Instant> orphanedAt = Optional.empty();
        boolean dynamic = false;
        Optional<String> checkpoint = Optional.empty();
        long version = 0;
        int seen = 0;
        int expected = 0;
        do {
            int member = memberName(JOB_MEMBERS, seen, expected);
            seen |= 1 << member;
            expected = member + 1;
            switch (JOB_FIELDS[member]) {
                case QNAME -> qname = qname();
                case PLUGIN_ID -> pluginId = pluginId();
                case SCHEDULE -> schedule = schedule();
                case STATUS -> status = status();
                case NEXT_FIRE_AT -> nextFireAt = optionalInstant();
                case LAST_STARTED_AT -> lastStartedAt = optionalInstant();
                case LAST_FINISHED_AT -> lastFinishedAt = optionalInstant();
                case LAST_OUTCOME -> lastOutcome = takeNull() ? Optional.empty() : Optional.of(outcome());
                case CONSECUTIVE_FAILURES -> consecutiveFailures = (int) integer(0, Integer.MAX_VALUE);
                case RUN_COUNT -> runCount = integer(0, Long.MAX_VALUE);
                case FAILURE_COUNT -> failureCount = integer(0, Long.MAX_VALUE);
                case PAUSED -> paused = bool();
                case ORPHANED_AT -> orphanedAt = optionalInstant();
                case DYNAMIC -> dynamic = bool();
                case CHECKPOINT -> checkpoint = takeNull() ? Optional.empty() : Optional.of(string());
                case VERSION -> version = integer(0, Long.MAX_VALUE);
                default -> throw GIVE_UP; // a field this reader does not read yet: the usual way reads it
            }
        } while (nextMember());
        if ((seen & JOB_REQUIRED) != JOB_REQUIRED) {
            throw GIVE_UP;
        }
        // The record checks the rest (the plugin id, the checkpoint's length) and throws, which gives up too.
        return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                lastOutcome, consecutiveFailures, runCount, failureCount, paused, orphanedAt, dynamic, checkpoint,
                version, UnknownFields.none());
    }

    // The namespace is most often the plugin id read last, and is compared as bytes: only the name becomes a string.
    private QName qname() {
        rawString();
        if (stringEscaped) {
            String text = decoded();
            int dot = text.lastIndexOf('.');
            if (dot <= 0 || dot == text.length() - 1) {
                throw GIVE_UP;
            }
            return new QName(pluginId(text.substring(0, dot)), text.substring(dot + 1));
        }
        int dot = stringEnd - 1;
        while (dot >= stringStart && b[dot] != '.') {
            dot--;
        }
        if (dot <= stringStart || dot == stringEnd - 1) {
            throw GIVE_UP;
        }
        String namespace = isLastPluginId(stringStart, dot) ? lastPluginId
                : pluginId(new String(b, stringStart, dot - stringStart, StandardCharsets.ISO_8859_1));
        // QName checks both parts.
        return new QName(namespace, new String(b, dot + 1, stringEnd - dot - 1, StandardCharsets.ISO_8859_1));
    }

    private String pluginId() {
        rawString();
        return !stringEscaped && isLastPluginId(stringStart, stringEnd) ? lastPluginId : pluginId(decoded());
    }

    private String pluginId(String text) {
        if (!text.equals(lastPluginId)) {
            String first = pluginIds.putIfAbsent(text, text);
            lastPluginId = first != null ? first : text;
        }
        return lastPluginId;
    }

    /** Whether the unescaped bytes from {@code from} to {@code to} spell the plugin id read last. */
    private boolean isLastPluginId(int from, int to) {
        if (to - from != lastPluginId.length()) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (b[i] != lastPluginId.charAt(i - from)) {
                return false;
            }
        }
        return true;
    }

    private JobStatus status() {
        rawString();
        if (!stringEscaped) {
            for (int i = 0; i < STATUS_NAMES.length; i++) {
                if (same(stringStart, stringEnd, STATUS_NAMES[i])) {
                    return STATUSES[i];
                }
            }
        }
        throw GIVE_UP;
    }

    /**
     * A schedule whose text is byte for byte the one read last is that schedule: nothing in an object's text reads
     * differently in another place. Jobs share it, as they may (a schedule is a value), and nothing is parsed again.
     */
    private Schedule schedule() {
        skipWhiteSpace();
        int start = at;
        if (lastSchedule != null && start + lastScheduleLength <= b.length
                && sameBytes(lastScheduleStart, start, lastScheduleLength)) {
            at = start + lastScheduleLength;
            return lastSchedule;
        }
        Schedule schedule = newSchedule();
        lastSchedule = schedule;
        lastScheduleStart = start;
        lastScheduleLength = at - start;
        return schedule;
    }

    private Schedule newSchedule() {
        expect('{');
        String[] values = new String[SCHEDULE_MEMBERS.length];
        int seen = 0;
        int expected = S_TYPE;
        do {
            int member = memberName(SCHEDULE_MEMBERS, seen, expected);
            seen |= 1 << member;
            expected = member + 1;
            values[member] = string();
        } while (nextMember());
        String type = required(values, S_TYPE);
        switch (type) {
            case "manual":
                return Schedule.manual();
            case "once":
                return Schedule.once(SidecarCodec.parseInstant(required(values, S_AT)));
            case "periodic": {
                Duration every = SidecarCodec.parseDuration(required(values, S_EVERY));
                Duration initialDelay = SidecarCodec.parseDuration(required(values, S_INITIAL_DELAY));
                String mode = required(values, S_MODE);
                if (every.compareTo(Schedule.Periodic.MIN_PERIOD) < 0 || initialDelay.isNegative()) {
                    throw GIVE_UP;
                }
                if (mode.equals("fixed_rate")) {
                    return Schedule.every(every, PeriodicMode.FIXED_RATE, initialDelay);
                } else if (mode.equals("fixed_delay")) {
                    return Schedule.every(every, PeriodicMode.FIXED_DELAY, initialDelay);
                }
                throw GIVE_UP;
            }
            case "cron": {
                String expression = required(values, S_EXPRESSION);
                String zoneId = required(values, S_ZONE);
                ZoneId zone = zones.get(zoneId);
                if (zone == null) {
                    zone = ZoneId.of(zoneId);
                    zones.put(zoneId, zone);
                }
                return Schedule.cron(expression, zone);
            }
            default:
                throw GIVE_UP;
        }
    }

    private static String required(String[] values, int member) {
        String value = values[member];
        if (value == null) {
            throw GIVE_UP;
        }
        return value;
    }

    private RunOutcome outcome() {
        expect('{');
        boolean success = false;
        String message = null;
        long millis = -1;
        int seen = 0;
        int expected = O_SUCCESS;
        do {
            int member = memberName(OUTCOME_MEMBERS, seen, expected);
            seen |= 1 << member;
            expected = member + 1;
            switch (member) {
                case O_SUCCESS -> success = bool();
                case O_MESSAGE -> message = string();
                default -> millis = integer(0, Long.MAX_VALUE);
            }
        } while (nextMember());
        if (seen != 0b111) {
            throw GIVE_UP;
        }
        return new RunOutcome(success, message, Duration.ofMillis(millis));
    }

    private Optional<Instant> optionalInstant() {
        return takeNull() ? Optional.empty() : Optional.of(instant());
    }

    private Instant instant() {
        rawString();
        if (!stringEscaped) {
            Instant canonical = IsoInstantText.parse(text.of(stringStart, stringEnd));
            if (canonical != null) {
                return canonical;
            }
        }
        return SidecarCodec.parseInstant(decoded());
    }

    // ------------------------------------------------------------------ JSON, the part of it sidecars use

    /**
     * Reads {@code "name":} and returns the name's index in {@code names}, trying {@code expected} first.
     *
     * @param seen the members already read, as bits by index: a second one gives up (the usual way reports it)
     */
    private int memberName(byte[][] names, int seen, int expected) {
        skipWhiteSpace();
        rawString();
        if (stringEscaped) {
            throw GIVE_UP;
        }
        int member = -1;
        if (expected < names.length && same(stringStart, stringEnd, names[expected])) {
            member = expected;
        } else {
            for (int i = 0; i < names.length && member < 0; i++) {
                if (same(stringStart, stringEnd, names[i])) {
                    member = i;
                }
            }
        }
        if (member < 0 || (seen & (1 << member)) != 0) {
            throw GIVE_UP;
        }
        expect(':');
        skipWhiteSpace();
        return member;
    }

    /** After a member's value: true if another member follows (the comma is taken), false at the closing brace. */
    private boolean nextMember() {
        skipWhiteSpace();
        if (take(',')) {
            return true;
        }
        expect('}');
        return false;
    }

    private String string() {
        rawString();
        return decoded();
    }

    /** The string {@link #rawString} just found, its escapes undone. */
    private String decoded() {
        if (!stringEscaped) {
            return new String(b, stringStart, stringEnd - stringStart, StandardCharsets.ISO_8859_1);
        }
        StringBuilder sb = new StringBuilder(stringEnd - stringStart);
        for (int i = stringStart; i < stringEnd; i++) {
            char c = (char) b[i];
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = (char) b[++i];
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (i + 4 >= stringEnd) {
                        throw GIVE_UP;
                    }
                    sb.append((char) (hex(b[i + 1]) << 12 | hex(b[i + 2]) << 8 | hex(b[i + 3]) << 4 | hex(b[i + 4])));
                    i += 4;
                }
                default -> throw GIVE_UP;
            }
        }
        return sb.toString();
    }

    private static int hex(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        } else if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        throw GIVE_UP;
    }

    /** Finds the string at the current position: its content's bounds and whether it has escapes. */
    private void rawString() {
        expect('"');
        int start = at;
        boolean escaped = false;
        while (true) {
            byte c = b[at]; // past the end: an exception, which gives up
            if (c == '"') {
                break;
            } else if (c == '\\') {
                escaped = true;
                at += 2; // the escaped character cannot end the string; \\u's digits are checked by string()
            } else if (c < 0x20) {
                throw GIVE_UP; // JSON wants control characters escaped
            } else {
                at++;
            }
        }
        // Jackson refuses a string of more than 20 million characters; one of millions is no usual sidecar.
        if (at - start > MAX_STRING_BYTES) {
            throw GIVE_UP;
        }
        stringStart = start;
        stringEnd = at;
        stringEscaped = escaped;
        at++;
    }

    /**
     * A whole number in {@code [min, max]}, written as JSON writes one: no leading zeros, no fraction. Every
     * number in a sidecar has a minimum of 0 or more, so a minus sign gives up (the usual way words that error).
     */
    private long integer(long min, long max) {
        int first = at;
        long value = 0;
        while (at < b.length && b[at] >= '0' && b[at] <= '9') {
            int digit = b[at++] - '0';
            if (value > (Long.MAX_VALUE - digit) / 10) {
                throw GIVE_UP; // more than a long holds
            }
            value = value * 10 + digit;
        }
        int digits = at - first;
        if (digits == 0 || (digits > 1 && b[first] == '0')) {
            throw GIVE_UP;
        }
        endOfValue();
        if (value < min || value > max) {
            throw GIVE_UP;
        }
        return value;
    }

    private boolean bool() {
        if (literal(TRUE)) {
            return true;
        } else if (literal(FALSE)) {
            return false;
        }
        throw GIVE_UP;
    }

    /** Takes a {@code null} if one is here. */
    private boolean takeNull() {
        return literal(NULL);
    }

    private boolean literal(byte[] word) {
        if (at + word.length <= b.length && same(at, at + word.length, word)) {
            at += word.length;
            endOfValue();
            return true;
        }
        return false;
    }

    // A number or literal must end where a value may end: "truex" or "12a" is not JSON.
    private void endOfValue() {
        if (at < b.length) {
            byte c = b[at];
            if (c != ',' && c != '}' && c != ']' && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                throw GIVE_UP;
            }
        }
    }

    private void skipWhiteSpace() {
        while (at < b.length && (b[at] == ' ' || b[at] == '\n' || b[at] == '\r' || b[at] == '\t')) {
            at++;
        }
    }

    private byte peek() {
        if (at >= b.length) {
            throw GIVE_UP;
        }
        return b[at];
    }

    private boolean take(char c) {
        if (at < b.length && b[at] == c) {
            at++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        skipWhiteSpace();
        if (!take(c)) {
            throw GIVE_UP;
        }
    }

    // A plain loop: the words are short, and Arrays.equals over ranges was a sixth of the reading time.
    private boolean same(int from, int to, byte[] word) {
        if (to - from != word.length) {
            return false;
        }
        for (int i = 0; i < word.length; i++) {
            if (b[from + i] != word[i]) {
                return false;
            }
        }
        return true;
    }

    private boolean sameBytes(int first, int second, int length) {
        for (int i = 0; i < length; i++) {
            if (b[first + i] != b[second + i]) {
                return false;
            }
        }
        return true;
    }

    /** Bytes of the file read as characters where they are, for parsers that take a CharSequence. */
    private final class ByteText implements CharSequence {
        private int from;
        private int to;

        ByteText of(int from, int to) {
            this.from = from;
            this.to = to;
            return this;
        }

        @Override
        public int length() {
            return to - from;
        }

        @Override
        public char charAt(int index) {
            return (char) b[from + index];
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return toString().subSequence(start, end);
        }

        @Override
        public String toString() {
            return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
        }
    }

    private static byte[][] names(String... names) {
        byte[][] bytes = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            bytes[i] = names[i].getBytes(StandardCharsets.US_ASCII);
        }
        return bytes;
    }

    private static int requiredBits() {
        if (JOB_FIELDS.length > Integer.SIZE) {
            throw new IllegalStateException(JOB_FIELDS.length + " job fields do not fit the reader's " + Integer.SIZE
                    + "-bit set of the members seen");
        }
        int bits = 0;
        for (JobField f : JOB_FIELDS) {
            if (f.required()) {
                bits |= 1 << f.ordinal();
            }
        }
        return bits;
    }
}
