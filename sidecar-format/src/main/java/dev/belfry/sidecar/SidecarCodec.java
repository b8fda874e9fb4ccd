package dev.belfry.sidecar;

import static dev.belfry.sidecar.JobField.CHECKPOINT;
import static dev.belfry.sidecar.JobField.CONSECUTIVE_FAILURES;
import static dev.belfry.sidecar.JobField.DYNAMIC;
import static dev.belfry.sidecar.JobField.FAILURE_COUNT;
import static dev.belfry.sidecar.JobField.LAST_FINISHED_AT;
import static dev.belfry.sidecar.JobField.LAST_OUTCOME;
import static dev.belfry.sidecar.JobField.LAST_STARTED_AT;
import static dev.belfry.sidecar.JobField.NEXT_FIRE_AT;
import static dev.belfry.sidecar.JobField.ORPHANED_AT;
import static dev.belfry.sidecar.JobField.PAUSED;
import static dev.belfry.sidecar.JobField.PLUGIN_ID;
import static dev.belfry.sidecar.JobField.QNAME;
import static dev.belfry.sidecar.JobField.RUN_COUNT;
import static dev.belfry.sidecar.JobField.SCHEDULE;
import static dev.belfry.sidecar.JobField.STATUS;
import static dev.belfry.sidecar.JobField.VERSION;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.sidecar.JsonTree.Arr;
import dev.belfry.sidecar.JsonTree.Bool;
import dev.belfry.sidecar.JsonTree.Node;
import dev.belfry.sidecar.JsonTree.Null;
import dev.belfry.sidecar.JsonTree.Num;
import dev.belfry.sidecar.JsonTree.Obj;
import dev.belfry.sidecar.JsonTree.Path;
import dev.belfry.sidecar.JsonTree.Str;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads and writes the sidecar's JSON form. Writing is deterministic: UTF-8, one job per line, members in a
 * fixed order (unknown members last, in the order they were read), absent optional values written as
 * {@code null}, and a trailing newline. Reading accepts the current format, documents of a newer version with
 * the same format name (unknown members are kept), and the legacy bare array of job rows.
 *
 * <p>Every read error is a {@link SidecarFormatException} naming the source, the line and column of the offending
 * value and its JSON path. Instances hold no mutable state and may be shared between threads.
 */
public final class SidecarCodec {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    static final Set<String> DOCUMENT_KEYS = Set.of("format", "version", "written_at", "journal_generation", "jobs");

    // Member names, with their quoted UTF-8 form computed once: a commit writes millions of them.
    private static final SerializedString F_QNAME = serialized(QNAME);
    private static final SerializedString F_PLUGIN_ID = serialized(PLUGIN_ID);
    private static final SerializedString F_SCHEDULE = serialized(SCHEDULE);
    private static final SerializedString F_STATUS = serialized(STATUS);
    private static final SerializedString F_LAST_OUTCOME = serialized(LAST_OUTCOME);
    private static final SerializedString F_SUCCESS = new SerializedString("success");
    private static final SerializedString F_MESSAGE = new SerializedString("message");
    private static final SerializedString F_DURATION_MS = new SerializedString("duration_ms");
    private static final SerializedString F_CONSECUTIVE_FAILURES = serialized(CONSECUTIVE_FAILURES);
    private static final SerializedString F_RUN_COUNT = serialized(RUN_COUNT);
    private static final SerializedString F_FAILURE_COUNT = serialized(FAILURE_COUNT);
    private static final SerializedString F_PAUSED = serialized(PAUSED);
    private static final SerializedString F_DYNAMIC = serialized(DYNAMIC);
    private static final SerializedString F_CHECKPOINT = serialized(CHECKPOINT);
    private static final SerializedString F_VERSION = serialized(VERSION);
    private static final SerializedString F_TYPE = new SerializedString("type");
    private static final SerializedString F_AT = new SerializedString("at");
    private static final SerializedString F_EVERY = new SerializedString("every");
    private static final SerializedString F_MODE = new SerializedString("mode");
    private static final SerializedString F_INITIAL_DELAY = new SerializedString("initial_delay");
    private static final SerializedString F_EXPRESSION = new SerializedString("expression");
    private static final SerializedString F_ZONE = new SerializedString("zone");
    private static final SerializedString F_NEXT_FIRE_AT = serialized(NEXT_FIRE_AT);
    private static final SerializedString F_LAST_STARTED_AT = serialized(LAST_STARTED_AT);
    private static final SerializedString F_LAST_FINISHED_AT = serialized(LAST_FINISHED_AT);
    private static final SerializedString F_ORPHANED_AT = serialized(ORPHANED_AT);
    /** Each periodic mode's name in the file ({@code fixed_rate}), by ordinal. */
    private static final String[] MODE_NAMES = Arrays.stream(PeriodicMode.values())
            .map(m -> m.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);

    /** Creates a codec. */
    public SidecarCodec() {
    }

    private static SerializedString serialized(JobField field) {
        return new SerializedString(field.jsonName());
    }

    // ---------------------------------------------------------------------------------------------- writing

    /**
     * Writes a document as UTF-8 JSON, one job per line, ending in a newline. The same document always yields the
     * same bytes.
     *
     * @param document the document to write
     * @return the file content
     * @throws NullPointerException if {@code document} is null
     */
    public byte[] encode(SidecarDocument document) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024 + 512 * document.jobs().size());
        try {
            encode(document, out);
        } catch (IOException e) {
            // Only an in-memory buffer is written to; this cannot happen.
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Writes a document to a stream, byte for byte what {@link #encode(SidecarDocument)} returns, without holding
     * the whole content in memory.
     *
     * @param document the document to write
     * @param out      where the bytes go; flushed, not closed
     * @throws IOException if the stream fails
     */
    public void encode(SidecarDocument document, OutputStream out) throws IOException {
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.setPrettyPrinter(new OneJobPerLine());
            g.writeStartObject();
            g.writeStringField("format", SidecarDocument.FORMAT);
            g.writeNumberField("version", document.version());
            g.writeStringField("written_at", document.writtenAt().toString());
            if (document.journalGeneration() > 0) {
                g.writeNumberField("journal_generation", document.journalGeneration());
            }
            g.writeArrayFieldStart("jobs");
            JobWriter jobs = new JobWriter(g);
            for (JobRecord job : document.jobs()) {
                jobs.write(job);
            }
            g.writeEndArray();
            writeUnknown(g, document.unknown());
            g.writeEndObject();
        }
        out.write('\n');
        out.flush();
    }

    /**
     * The layout: the document's own members one to a line, and so are the entries of the arrays and objects among
     * them; anything deeper (a job's members) stays on its entry's line. A 100,000-job file is a third smaller than fully indented, quicker to write and read, and one line
     * per job is what {@code grep} and {@code diff} want. Jackson calls this in place of writing the separators.
     */
    private static final class OneJobPerLine implements PrettyPrinter {
        // Containers at this depth or less (the document is 1, its arrays 2) put each entry on a line of its own.
        private static final int LINED = 2;
        private static final String[] NEWLINE_INDENT = {"\n", "\n  ", "\n    "};
        private int depth;

        @Override
        public void writeRootValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw('\n');
        }

        @Override
        public void writeStartObject(JsonGenerator g) throws IOException {
            open(g, '{');
        }

        @Override
        public void beforeObjectEntries(JsonGenerator g) throws IOException {
            lineBreak(g, depth);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(depth <= LINED ? ": " : ":");
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            separate(g);
        }

        @Override
        public void writeEndObject(JsonGenerator g, int entries) throws IOException {
            end(g, entries, '}');
        }

        @Override
        public void writeStartArray(JsonGenerator g) throws IOException {
            open(g, '[');
        }

        @Override
        public void beforeArrayValues(JsonGenerator g) throws IOException {
            lineBreak(g, depth);
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            separate(g);
        }

        @Override
        public void writeEndArray(JsonGenerator g, int values) throws IOException {
            end(g, values, ']');
        }

        private void open(JsonGenerator g, char bracket) throws IOException {
            g.writeRaw(bracket);
            depth++;
        }

        private void separate(JsonGenerator g) throws IOException {
            g.writeRaw(',');
            lineBreak(g, depth);
        }

        private void end(JsonGenerator g, int entries, char bracket) throws IOException {
            depth--;
            if (entries > 0 && depth < LINED) { // the closed container was lined: its bracket gets a line
                g.writeRaw(NEWLINE_INDENT[depth]);
            }
            g.writeRaw(bracket);
        }

        // A line break indented for an entry of a container at the given depth; nothing inside a lined entry.
        private static void lineBreak(JsonGenerator g, int containerDepth) throws IOException {
            if (containerDepth <= LINED) {
                g.writeRaw(NEWLINE_INDENT[containerDepth]);
            }
        }
    }

    /**
     * Writes jobs, one after the other, without making garbage of its own: a commit writes every job, and at
     * 100,000 jobs the instants, names and durations made into strings were about 50 MB per commit for the
     * collector; now they are written from one buffer.
     */
    private static final class JobWriter {
        private final JsonGenerator g;
        private final char[] text = new char[Math.max(Math.max(IsoInstantText.MAX_LENGTH,
                IsoDurationText.MAX_LENGTH), QName.MAX_NAMESPACE_LENGTH + 1 + QName.MAX_NAME_LENGTH)];

        JobWriter(JsonGenerator g) {
            this.g = g;
        }

        void write(JobRecord job) throws IOException {
            g.writeStartObject();
            g.writeFieldName(F_QNAME);
            writeQName(job.qname());
            stringField(g, F_PLUGIN_ID, job.pluginId());
            g.writeFieldName(F_SCHEDULE);
            writeSchedule(job.schedule());
            stringField(g, F_STATUS, job.status().jsonName());
            writeInstant(F_NEXT_FIRE_AT, job.nextFireAt());
            writeInstant(F_LAST_STARTED_AT, job.lastStartedAt());
            writeInstant(F_LAST_FINISHED_AT, job.lastFinishedAt());
            g.writeFieldName(F_LAST_OUTCOME);
            if (job.lastOutcome().isPresent()) {
                RunOutcome o = job.lastOutcome().get();
                g.writeStartObject();
                booleanField(g, F_SUCCESS, o.success());
                stringField(g, F_MESSAGE, o.message());
                numberField(g, F_DURATION_MS, o.duration().toMillis());
                g.writeEndObject();
            } else {
                g.writeNull();
            }
            numberField(g, F_CONSECUTIVE_FAILURES, job.consecutiveFailures());
            numberField(g, F_RUN_COUNT, job.runCount());
            numberField(g, F_FAILURE_COUNT, job.failureCount());
            booleanField(g, F_PAUSED, job.paused());
            writeInstant(F_ORPHANED_AT, job.orphanedAt());
            booleanField(g, F_DYNAMIC, job.dynamic());
            g.writeFieldName(F_CHECKPOINT);
            if (job.checkpoint().isPresent()) {
                g.writeString(job.checkpoint().get());
            } else {
                g.writeNull();
            }
            numberField(g, F_VERSION, job.version());
            writeUnknown(g, job.unknown());
            g.writeEndObject();
        }

        // namespace.name, as QName.toString() gives it
        private void writeQName(QName qname) throws IOException {
            String namespace = qname.namespace();
            String name = qname.name();
            namespace.getChars(0, namespace.length(), text, 0);
            text[namespace.length()] = '.';
            name.getChars(0, name.length(), text, namespace.length() + 1);
            g.writeString(text, 0, namespace.length() + 1 + name.length());
        }

        private void writeSchedule(Schedule schedule) throws IOException {
            g.writeStartObject();
            if (schedule instanceof Schedule.Manual) {
                stringField(g, F_TYPE, "manual");
            } else if (schedule instanceof Schedule.Once once) {
                stringField(g, F_TYPE, "once");
                g.writeFieldName(F_AT);
                writeInstant(once.at());
            } else if (schedule instanceof Schedule.Periodic p) {
                stringField(g, F_TYPE, "periodic");
                g.writeFieldName(F_EVERY);
                writeDuration(p.every());
                stringField(g, F_MODE, MODE_NAMES[p.mode().ordinal()]);
                g.writeFieldName(F_INITIAL_DELAY);
                writeDuration(p.initialDelay());
            } else if (schedule instanceof Schedule.Cron c) {
                stringField(g, F_TYPE, "cron");
                stringField(g, F_EXPRESSION, c.expression());
                stringField(g, F_ZONE, c.zone().getId());
            } else {
                throw new IllegalStateException("unhandled schedule kind " + schedule.getClass().getName());
            }
            g.writeEndObject();
        }

        private void writeDuration(Duration value) throws IOException {
            int length = IsoDurationText.write(value, text);
            if (length < 0) {
                g.writeString(value.toString());
            } else {
                g.writeString(text, 0, length);
            }
        }

        private void writeInstant(SerializedString name, Optional<Instant> value) throws IOException {
            g.writeFieldName(name);
            if (value.isPresent()) {
                writeInstant(value.get());
            } else {
                g.writeNull();
            }
        }

        private void writeInstant(Instant value) throws IOException {
            int length = IsoInstantText.write(value, text);
            if (length < 0) {
                g.writeString(value.toString());
            } else {
                g.writeString(text, 0, length);
            }
        }
    }

    private static void stringField(JsonGenerator g, SerializedString name, String value) throws IOException {
        g.writeFieldName(name);
        g.writeString(value);
    }

    private static void numberField(JsonGenerator g, SerializedString name, long value) throws IOException {
        g.writeFieldName(name);
        g.writeNumber(value);
    }

    private static void booleanField(JsonGenerator g, SerializedString name, boolean value) throws IOException {
        g.writeFieldName(name);
        g.writeBoolean(value);
    }

    private static void writeUnknown(JsonGenerator g, UnknownFields unknown) throws IOException {
        for (Map.Entry<String, Node> e : unknown.fields().entrySet()) {
            g.writeFieldName(e.getKey());
            writeNode(g, e.getValue());
        }
    }

    /** A job's unknown members as one JSON object's text, for a journal record. */
    static String unknownJson(UnknownFields unknown) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            writeUnknown(g, unknown);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an in-memory buffer only
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * Reads back what {@link #unknownJson} wrote.
     *
     * @throws IllegalArgumentException if the text is not a JSON object
     */
    static UnknownFields parseUnknown(String json) {
        Node root;
        try {
            root = JsonTree.parse(json.toCharArray(), json.length(), "journal record");
        } catch (SidecarFormatException e) {
            throw new IllegalArgumentException("unknown members are not JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Obj o)) {
            throw new IllegalArgumentException("unknown members are not a JSON object");
        }
        return UnknownFields.of(o.members());
    }

    private static void writeNode(JsonGenerator g, Node n) throws IOException {
        if (n instanceof Obj o) {
            g.writeStartObject();
            for (Map.Entry<String, Node> m : o.members().entrySet()) {
                g.writeFieldName(m.getKey());
                writeNode(g, m.getValue());
            }
            g.writeEndObject();
        } else if (n instanceof Arr a) {
            g.writeStartArray();
            for (Node item : a.items()) {
                writeNode(g, item);
            }
            g.writeEndArray();
        } else if (n instanceof Str s) {
            g.writeString(s.value());
        } else if (n instanceof Num x) {
            // The source text is written back untouched: 1.50 stays 1.50, a 30-digit integer stays exact.
            g.writeNumber(x.text());
        } else if (n instanceof Bool b) {
            g.writeBoolean(b.value());
        } else if (n instanceof Null) {
            g.writeNull();
        } else {
            throw new IllegalStateException("unhandled JSON node " + n.getClass());
        }
    }

    // ---------------------------------------------------------------------------------------------- reading

    /**
     * Reads a document from a file's bytes.
     *
     * <p>Besides the current format this accepts a document of a newer version with the same {@code format} name
     * (members it does not know are kept in {@link UnknownFields}) and the legacy form, a bare JSON array of job
     * rows {@code {"qname", "status", "consecutive_failures"}} with optional {@code schedule} and
     * {@code next_fire_at}. Legacy jobs come back as {@link JobStatus#PENDING} whatever status they had, with a
     * {@link Schedule.Manual manual} schedule when none is given, all other counters 0, and the document's
     * {@code writtenAt} set to {@link Instant#EPOCH} because legacy files do not record it.
     *
     * @param bytes      the file content, UTF-8 (a leading byte-order mark is ignored)
     * @param sourceName the name to report in errors, usually the file name
     * @return the document
     * @throws SidecarFormatException if the bytes are not a readable sidecar; it names the source, line, column and
     *                                JSON path of the first problem found
     * @throws NullPointerException   if an argument is null
     */
    public SidecarDocument decode(byte[] bytes, String sourceName) {
        java.util.Objects.requireNonNull(bytes, "bytes");
        java.util.Objects.requireNonNull(sourceName, "sourceName");
        if (isAscii(bytes)) {
            try {
                return AsciiSidecarReader.read(bytes);
            } catch (RuntimeException e) {
                // Not the usual file, or not a good one: read it the way every file is read, so that any error is
                // found and worded as it always is.
            }
        }
        return decodeText(bytes, sourceName);
    }

    /** The way every file can be read: decoded to characters, parsed into a tree, then read. */
    SidecarDocument decodeText(byte[] bytes, String sourceName) {
        CharBuffer text = utf8(bytes, sourceName);
        Node root = JsonTree.parse(text.array(), text.limit(), sourceName);
        Reader r = new Reader(sourceName);
        try {
            if (root instanceof Obj o) {
                return r.document(o);
            } else if (root instanceof Arr a) {
                return r.legacy(a);
            }
            throw r.error(root, Path.DOCUMENT, "expected a background-jobs object (or the legacy array of jobs), "
                    + "found " + JsonTree.describe(root));
        } catch (SidecarFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            // A safety net: a value that passed the checks here but was still refused by a constructor.
            throw r.error(root, Path.DOCUMENT, "unreadable document: " + e.getMessage(), e);
        }
    }

    /**
     * An instant as the sidecar writes it, read without the JDK's formatter where the text is canonical.
     *
     * @throws DateTimeParseException if it is not an ISO-8601 instant
     */
    static Instant parseInstant(String text) {
        Instant canonical = IsoInstantText.parse(text);
        return canonical != null ? canonical : Instant.parse(text);
    }

    /**
     * A duration as the sidecar writes it, read without the JDK's regular expression where the text is canonical.
     *
     * @throws DateTimeParseException if it is not an ISO-8601 duration
     */
    static Duration parseDuration(String text) {
        Duration canonical = IsoDurationText.parse(text);
        return canonical != null ? canonical : Duration.parse(text);
    }

    /** Whether every byte is ASCII, as a sidecar is unless a name, message or checkpoint has other characters. */
    private static boolean isAscii(byte[] bytes) {
        long bits = 0;
        int i = 0;
        for (; i + Long.BYTES <= bytes.length; i += Long.BYTES) { // eight bytes a step: a 60 MB file in a few ms
            bits |= (long) LONGS.get(bytes, i);
        }
        for (; i < bytes.length; i++) {
            bits |= bytes[i];
        }
        return (bits & 0x8080808080808080L) == 0;
    }

    // Decoded into a char buffer that the parser reads in place: a 60 MB sidecar is not copied into a String.
    private static CharBuffer utf8(byte[] bytes, String source) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        out.flip();
        if (result.isError()) {
            int line = 1;
            int column = 1;
            for (int i = 0; i < out.limit(); i++) {
                if (out.get(i) == '\n') {
                    line++;
                    column = 1;
                } else {
                    column++;
                }
            }
            throw new SidecarFormatException(source, line, column, JsonTree.ROOT,
                    "the file is not valid UTF-8 (bad byte at offset " + in.position() + ")");
        }
        // A byte-order mark becomes a space, so columns on the first line still match what an editor shows.
        if (out.length() > 0 && out.charAt(0) == '\uFEFF') {
            out.put(0, ' ');
        }
        return out;
    }

    private static final class Reader {
        private static final String STATUS_NAMES =
                Arrays.stream(JobStatus.values()).map(JobStatus::jsonName).collect(Collectors.joining(", "));

        private final String source;
        // One String per plugin id rather than one per job: the records of a plugin's jobs share it (in their
        // qname and plugin_id), and with them the engine and the state writer that keep those records.
        private final Map<String, String> pluginIds = new HashMap<>();

        Reader(String source) {
            this.source = source;
        }

        SidecarFormatException error(Node at, Path path, String problem) {
            return error(at, path, problem, null);
        }

        SidecarFormatException error(Node at, Path path, String problem, Throwable cause) {
            JsonTree.Loc loc = at.loc();
            return new SidecarFormatException(source, loc.line(), loc.column(), path.toString(), problem, cause);
        }

        SidecarDocument document(Obj root) {
            return document(root, null);
        }

        /** @param alreadyRead the jobs, if they were read while parsing (the tree's array is then empty) */
        SidecarDocument document(Obj root, List<JobRecord> alreadyRead) {
            Node format = root.members().get("format");
            if (format == null) {
                throw error(root, Path.DOCUMENT.member("format"),
                        "missing member \"format\": this is not a Belfry background-jobs file"
                        + " (expected \"format\": \"" + SidecarDocument.FORMAT + "\")");
            }
            if (!(format instanceof Str s) || !SidecarDocument.FORMAT.equals(s.value())) {
                throw error(format, Path.DOCUMENT.member("format"), "not a Belfry background-jobs file: format is "
                        + JsonTree.describe(format) + ", expected \"" + SidecarDocument.FORMAT + "\"");
            }
            Node versionNode = required(root, Path.DOCUMENT, "version");
            int version = (int) integer(versionNode, Path.DOCUMENT.member("version"), 1, Integer.MAX_VALUE);
            Instant writtenAt = instant(required(root, Path.DOCUMENT, "written_at"),
                    Path.DOCUMENT.member("written_at"));
            Path jobsPath = Path.DOCUMENT.member("jobs");
            Arr jobs = array(required(root, Path.DOCUMENT, "jobs"), jobsPath);
            List<JobRecord> records = alreadyRead != null ? alreadyRead : jobs(jobs, jobsPath, this::job);
            Node generationNode = root.members().get("journal_generation");
            long generation = generationNode == null ? 0
                    : integer(generationNode, Path.DOCUMENT.member("journal_generation"), 0, Journal.MAX_GENERATION);
            return new SidecarDocument(version, writtenAt, records, unknown(root, DOCUMENT_KEYS), generation);
        }

        SidecarDocument legacy(Arr root) {
            List<JobRecord> records = jobs(root, Path.DOCUMENT, this::legacyJob);
            return new SidecarDocument(SidecarDocument.CURRENT_VERSION, Instant.EPOCH, records,
                    UnknownFields.none());
        }

        interface JobReader {
            JobRecord read(Obj job, Path path);
        }

        /** One item of a jobs array, checked against the jobs before it ({@code seen}: name to path). */
        JobRecord item(Node item, Path at, JobReader reader, Map<QName, Path> seen) {
            Obj job = object(item, at, "a job object");
            JobRecord record = reader.read(job, at);
            Path first = seen.putIfAbsent(record.qname(), at);
            if (first != null) {
                throw error(job.members().get(QNAME.jsonName()), member(at, QNAME),
                        "duplicate job \"" + record.qname() + "\" (already defined at " + first + ")");
            }
            return record;
        }

        private List<JobRecord> jobs(Arr array, Path path, JobReader reader) {
            List<JobRecord> records = new ArrayList<>(array.items().size());
            Map<QName, Path> seen = new HashMap<>();
            for (int i = 0; i < array.items().size(); i++) {
                records.add(item(array.items().get(i), path.index(i), reader, seen));
            }
            return records;
        }

        JobRecord job(Obj o, Path path) {
            QName qname = qname(required(o, path, QNAME), member(path, QNAME));
            String pluginId = pluginId(required(o, path, PLUGIN_ID), member(path, PLUGIN_ID));
            Schedule schedule = schedule(required(o, path, SCHEDULE), member(path, SCHEDULE));
            JobStatus status = status(required(o, path, STATUS), member(path, STATUS));
            Optional<Instant> nextFireAt = optionalInstant(o, path, NEXT_FIRE_AT);
            Optional<Instant> lastStartedAt = optionalInstant(o, path, LAST_STARTED_AT);
            Optional<Instant> lastFinishedAt = optionalInstant(o, path, LAST_FINISHED_AT);
            Optional<RunOutcome> lastOutcome = optional(o, LAST_OUTCOME)
                    .map(n -> outcome(n, member(path, LAST_OUTCOME)));
            int consecutiveFailures = (int) count(o, path, CONSECUTIVE_FAILURES, Integer.MAX_VALUE);
            long runCount = count(o, path, RUN_COUNT, Long.MAX_VALUE);
            long failureCount = count(o, path, FAILURE_COUNT, Long.MAX_VALUE);
            boolean paused = bool(required(o, path, PAUSED), member(path, PAUSED));
            // orphaned_at and dynamic came after the first files of format version 1 were written: both optional.
            Optional<Instant> orphanedAt = optionalInstant(o, path, ORPHANED_AT);
            boolean dynamic = optionalBool(o, path, DYNAMIC, false);
            Optional<String> checkpoint = optional(o, CHECKPOINT)
                    .map(n -> checkpoint(n, member(path, CHECKPOINT)));
            long version = count(o, path, VERSION, Long.MAX_VALUE);
            try {
                return new JobRecord(qname, pluginId, schedule, status, nextFireAt, lastStartedAt, lastFinishedAt,
                        lastOutcome, consecutiveFailures, runCount, failureCount, paused, orphanedAt, dynamic,
                        checkpoint, version, unknown(o, JobField.jsonNames()));
            } catch (IllegalArgumentException e) {
                throw error(o, path, e.getMessage(), e);
            }
        }

        // A legacy row's members are spelled as the job members of the same meaning.
        private JobRecord legacyJob(Obj o, Path path) {
            QName qname = qname(required(o, path, QNAME), member(path, QNAME));
            // The legacy status is checked for shape only: it is not trusted, every legacy job starts PENDING.
            optional(o, STATUS).ifPresent(n -> string(n, member(path, STATUS)));
            int consecutiveFailures = optional(o, CONSECUTIVE_FAILURES)
                    .map(n -> (int) integer(n, member(path, CONSECUTIVE_FAILURES), 0, Integer.MAX_VALUE))
                    .orElse(0);
            Schedule schedule = optional(o, SCHEDULE)
                    .map(n -> schedule(n, member(path, SCHEDULE)))
                    .orElse(Schedule.manual());
            Optional<Instant> nextFireAt = optionalInstant(o, path, NEXT_FIRE_AT);
            try {
                return new JobRecord(qname, qname.namespace(), schedule, JobStatus.PENDING, nextFireAt,
                        Optional.empty(), Optional.empty(), Optional.empty(), consecutiveFailures, 0, 0, false,
                        Optional.empty(), false, Optional.empty(), 0, UnknownFields.none());
            } catch (IllegalArgumentException e) {
                throw error(o, path, e.getMessage(), e);
            }
        }

        private Schedule schedule(Node n, Path path) {
            Obj o = object(n, path, "a schedule object such as {\"type\": \"manual\"}");
            Node typeNode = required(o, path, "type");
            String type = string(typeNode, path.member("type"));
            switch (type.toLowerCase(Locale.ROOT)) {
                case "manual":
                    return Schedule.manual();
                case "once":
                    return Schedule.once(instant(required(o, path, "at"), path.member("at")));
                case "periodic":
                    return periodic(o, path);
                case "cron":
                    return cron(o, path);
                default:
                    throw error(typeNode, path.member("type"), "unknown schedule type "
                            + JsonTree.quote(type) + " (expected manual, once, periodic or cron)");
            }
        }

        private Schedule periodic(Obj o, Path path) {
            Path everyPath = path.member("every");
            Node everyNode = required(o, path, "every");
            Duration every = duration(everyNode, everyPath);
            if (every.compareTo(Schedule.Periodic.MIN_PERIOD) < 0) {
                throw error(everyNode, everyPath, "period must be at least 1 ms, found " + every);
            }
            Path modePath = path.member("mode");
            Node modeNode = required(o, path, "mode");
            String modeText = string(modeNode, modePath);
            PeriodicMode mode;
            try {
                mode = PeriodicMode.valueOf(modeText.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw error(modeNode, modePath, "unknown periodic mode " + JsonTree.quote(modeText)
                        + " (expected fixed_rate or fixed_delay)");
            }
            Path delayPath = path.member("initial_delay");
            Node delayNode = required(o, path, "initial_delay");
            Duration initialDelay = duration(delayNode, delayPath);
            if (initialDelay.isNegative()) {
                throw error(delayNode, delayPath, "initial delay must not be negative, found " + initialDelay);
            }
            return Schedule.every(every, mode, initialDelay);
        }

        private Schedule cron(Obj o, Path path) {
            Path exprPath = path.member("expression");
            Node exprNode = required(o, path, "expression");
            String expression = string(exprNode, exprPath);
            ZoneId zone = zone(required(o, path, "zone"), path.member("zone"));
            try {
                return Schedule.cron(expression, zone);
            } catch (InvalidScheduleException e) {
                throw error(exprNode, exprPath, e.getMessage(), e);
            }
        }

        private RunOutcome outcome(Node n, Path path) {
            Obj o = object(n, path, "an outcome object");
            boolean success = bool(required(o, path, "success"), path.member("success"));
            String message = string(required(o, path, "message"), path.member("message"));
            long millis = integer(required(o, path, "duration_ms"), path.member("duration_ms"), 0,
                    Long.MAX_VALUE);
            return new RunOutcome(success, message, Duration.ofMillis(millis));
        }

        private QName qname(Node n, Path path) {
            String text = string(n, path);
            try {
                // Split at the last dot as QName.parse does, sharing the plugin id; a text without a usable dot is
                // left to QName.parse, which refuses it with its own message.
                int dot = text.lastIndexOf('.');
                if (dot <= 0 || dot == text.length() - 1) {
                    return QName.parse(text);
                }
                return new QName(shared(text.substring(0, dot)), text.substring(dot + 1));
            } catch (IllegalArgumentException e) {
                throw error(n, path, e.getMessage(), e);
            }
        }

        private String pluginId(Node n, Path path) {
            String text = string(n, path);
            try {
                return shared(QName.checkNamespace(text));
            } catch (IllegalArgumentException e) {
                throw error(n, path, e.getMessage(), e);
            }
        }

        private String shared(String pluginId) {
            String first = pluginIds.putIfAbsent(pluginId, pluginId);
            return first != null ? first : pluginId;
        }

        private JobStatus status(Node n, Path path) {
            String text = string(n, path);
            try {
                return JobStatus.fromJsonName(text);
            } catch (IllegalArgumentException e) {
                throw error(n, path, "unknown job status " + JsonTree.quote(text) + " (expected one of "
                        + STATUS_NAMES + ")");
            }
        }

        private String checkpoint(Node n, Path path) {
            String text = string(n, path);
            if (text.length() > JobRecord.MAX_CHECKPOINT_LENGTH) {
                throw error(n, path, "checkpoint is " + text.length() + " characters long, more than the "
                        + JobRecord.MAX_CHECKPOINT_LENGTH + " allowed");
            }
            return text;
        }

        private Optional<Instant> optionalInstant(Obj o, Path path, JobField field) {
            return optional(o, field).map(n -> instant(n, member(path, field)));
        }

        private Instant instant(Node n, Path path) {
            if (n instanceof Str s) {
                try {
                    return parseInstant(s.value());
                } catch (DateTimeParseException e) {
                    // fall through to the error below
                }
            }
            throw error(n, path, "expected an ISO-8601 instant such as \"2026-11-23T04:05:06Z\", found "
                    + JsonTree.describe(n));
        }

        private Duration duration(Node n, Path path) {
            if (n instanceof Str s) {
                try {
                    return parseDuration(s.value());
                } catch (DateTimeParseException e) {
                    // fall through to the error below
                }
            }
            throw error(n, path, "expected an ISO-8601 duration such as \"PT10S\", found " + JsonTree.describe(n));
        }

        private ZoneId zone(Node n, Path path) {
            String id = string(n, path);
            try {
                return ZoneId.of(id);
            } catch (DateTimeException e) {
                throw error(n, path, "unknown time zone " + JsonTree.quote(id)
                        + " (expected a region such as \"Europe/Berlin\", \"UTC\" or an offset such as \"+01:00\")");
            }
        }

        private long count(Obj o, Path path, JobField field, long max) {
            return integer(required(o, path, field), member(path, field), 0, max);
        }

        private long integer(Node n, Path path, long min, long max) {
            if (!(n instanceof Num x) || !x.integral()) {
                throw error(n, path, "expected a whole number, found " + JsonTree.describe(n));
            }
            String text = x.text();
            long value;
            int vsMin;
            int vsMax;
            if (text.length() <= 18) {
                // Fits a long (JSON integers are -?[0-9]+): the common case, without a BigInteger.
                value = Long.parseLong(text);
                vsMin = Long.compare(value, min);
                vsMax = Long.compare(value, max);
            } else {
                BigInteger big = new BigInteger(text);
                value = big.longValue();
                vsMin = big.compareTo(BigInteger.valueOf(min));
                vsMax = big.compareTo(BigInteger.valueOf(max));
            }
            if (vsMin < 0) {
                throw error(n, path, min == 0
                        ? "must not be negative, found " + JsonTree.describe(n)
                        : "must be at least " + min + ", found " + JsonTree.describe(n));
            }
            if (vsMax > 0) {
                throw error(n, path, "number " + JsonTree.describe(n) + " is too large (at most " + max + ")");
            }
            return value;
        }

        // Omitted means ifOmitted. Unlike the optional instants, null is not taken as absent: the writer never
        // produces it, and a flag has no third state.
        private boolean optionalBool(Obj o, Path path, JobField field, boolean ifOmitted) {
            Node n = o.members().get(field.jsonName());
            return n == null ? ifOmitted : bool(n, member(path, field));
        }

        private boolean bool(Node n, Path path) {
            if (n instanceof Bool b) {
                return b.value();
            }
            throw error(n, path, "expected true or false, found " + JsonTree.describe(n));
        }

        private String string(Node n, Path path) {
            if (n instanceof Str s) {
                return s.value();
            }
            throw error(n, path, "expected a string, found " + JsonTree.describe(n));
        }

        private Obj object(Node n, Path path, String what) {
            if (n instanceof Obj o) {
                return o;
            }
            throw error(n, path, "expected " + what + ", found " + JsonTree.describe(n));
        }

        private Arr array(Node n, Path path) {
            if (n instanceof Arr a) {
                return a;
            }
            throw error(n, path, "expected an array, found " + JsonTree.describe(n));
        }

        private Node required(Obj o, Path path, String name) {
            Node n = o.members().get(name);
            if (n == null) {
                // Point at the object that lacks the member: there is no value to point at.
                throw error(o, path.member(name), "missing required member \"" + name + "\"");
            }
            return n;
        }

        private Node required(Obj o, Path path, JobField field) {
            return required(o, path, field.jsonName());
        }

        private static Optional<Node> optional(Obj o, JobField field) {
            Node n = o.members().get(field.jsonName());
            return n == null || n instanceof Null ? Optional.empty() : Optional.of(n);
        }

        private static Path member(Path path, JobField field) {
            return path.member(field.jsonName());
        }

        private static UnknownFields unknown(Obj o, Set<String> known) {
            Map<String, Node> extra = null; // almost always none: no map for them
            for (Map.Entry<String, Node> m : o.members().entrySet()) {
                if (!known.contains(m.getKey())) {
                    if (extra == null) {
                        extra = new LinkedHashMap<>();
                    }
                    extra.put(m.getKey(), m.getValue());
                }
            }
            return extra == null ? UnknownFields.none() : UnknownFields.of(extra);
        }
    }
}
