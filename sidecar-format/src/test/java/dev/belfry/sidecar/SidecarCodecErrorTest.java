package dev.belfry.sidecar;

import static dev.belfry.sidecar.Fixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

// Every bad input must fail with the location of the offending value. In each input below, the marker «
// stands where the error must point; it is removed before decoding.
class SidecarCodecErrorTest {
    private static final char MARK = '«';
    private static final String JOB1 = "{\"qname\": \"a.one\", \"plugin_id\": \"a\", \"schedule\": {\"type\": \"manual\"},"
            + " \"status\": \"idle\", \"consecutive_failures\": 0, \"run_count\": 0, \"failure_count\": 0,"
            + " \"paused\": false, \"version\": 0}";
    private static final String JOB2 = JOB1.replace("a.one", "a.two");
    private static final String CRON = "{\"type\": \"cron\", \"expression\": \"0 3 * * *\", \"zone\": \"UTC\"}";
    private static final String PERIODIC =
            "{\"type\": \"periodic\", \"every\": \"PT10S\", \"mode\": \"fixed_rate\", \"initial_delay\": \"PT0S\"}";

    private final SidecarCodec codec = new SidecarCodec();

    private static String document(String head, String job2) {
        return "{\n"
                + head
                + "  \"version\": 1,\n"
                + "  \"written_at\": \"2026-11-23T04:05:06Z\",\n"
                + "  \"jobs\": [\n"
                + "    " + JOB1 + ",\n"
                + "    " + job2 + "\n"
                + "  ]\n"
                + "}\n";
    }

    private static String withFormat(String formatLine) {
        return document(formatLine, JOB2);
    }

    private static String withJob2(String from, String to) {
        if (!JOB2.contains(from)) {
            throw new IllegalArgumentException("bad test case: " + from);
        }
        return document("  \"format\": \"belfry.background-jobs\",\n", JOB2.replace(from, to));
    }

    private static String valid() {
        return withJob2("", "");
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of("truncated inside a job", valid().substring(0, valid().indexOf("a.two") + 6) + MARK,
                        "jobs[1]", "truncated"),
                Arguments.of("truncated after a comma", "{\"format\": \"belfry.background-jobs\", \"jobs\": [1," + MARK,
                        "jobs", "truncated"),
                Arguments.of("deleted closing brace of a job", withJob2("\"version\": 0}", "\"version\": 0")
                        .replace("\n  ]", "\n  " + MARK + "]"), "jobs[1]", "malformed JSON"),
                Arguments.of("deleted opening brace of a job", withJob2("{\"qname\": \"a.two\",",
                        "\"qname\"" + MARK + ": \"a.two\","), "jobs", "was expecting comma"),
                Arguments.of("missing comma between members", withJob2("\"paused\": false,",
                        "\"paused\": false " + MARK + "\"x\": 1,"), "jobs[1]", "malformed JSON"),
                Arguments.of("counter is a string", withJob2("\"run_count\": 0", "\"run_count\": " + MARK + "\"3\""),
                        "jobs[1].run_count", "expected a whole number, found \"3\""),
                Arguments.of("counter is a fraction", withJob2("\"version\": 0", "\"version\": " + MARK + "1.5"),
                        "jobs[1].version", "expected a whole number, found 1.5"),
                Arguments.of("paused is a string", withJob2("\"paused\": false", "\"paused\": " + MARK + "\"no\""),
                        "jobs[1].paused", "expected true or false"),
                Arguments.of("dynamic is a string", withJob2("\"paused\": false", "\"paused\": false, "
                        + "\"dynamic\": " + MARK + "\"yes\""), "jobs[1].dynamic",
                        "expected true or false, found \"yes\""),
                Arguments.of("dynamic is a number", withJob2("\"paused\": false", "\"paused\": false, "
                        + "\"dynamic\": " + MARK + "1"), "jobs[1].dynamic", "expected true or false, found 1"),
                // Omitted dynamic means false, but an explicit null is not taken as omitted: a flag has no third state.
                Arguments.of("dynamic is null", withJob2("\"paused\": false", "\"paused\": false, "
                        + "\"dynamic\": " + MARK + "null"), "jobs[1].dynamic", "expected true or false, found null"),
                Arguments.of("schedule is a string", withJob2("\"schedule\": {\"type\": \"manual\"}",
                        "\"schedule\": " + MARK + "\"manual\""), "jobs[1].schedule", "expected a schedule object"),
                Arguments.of("jobs is an object", "{\"format\": \"belfry.background-jobs\", \"version\": 1, "
                        + "\"written_at\": \"2026-11-23T04:05:06Z\", \"jobs\": " + MARK + "{}}", "jobs",
                        "expected an array"),
                Arguments.of("job is a number", withJob2(JOB2, MARK + "42"), "jobs[1]", "expected a job object"),
                Arguments.of("unknown status", withJob2("\"status\": \"idle\"", "\"status\": " + MARK + "\"sleeping\""),
                        "jobs[1].status", "unknown job status \"sleeping\""),
                Arguments.of("bad instant", withJob2("\"paused\": false", "\"paused\": false, \"next_fire_at\": "
                        + MARK + "\"yesterday\""), "jobs[1].next_fire_at",
                        "expected an ISO-8601 instant such as \"2026-11-23T04:05:06Z\", found \"yesterday\""),
                Arguments.of("instant is a number", withJob2("\"paused\": false", "\"paused\": false, "
                        + "\"last_started_at\": " + MARK + "1700000000"), "jobs[1].last_started_at",
                        "found 1700000000"),
                Arguments.of("bad orphaned_at", withJob2("\"paused\": false", "\"paused\": false, "
                        + "\"orphaned_at\": " + MARK + "\"2026-11-21 09:30\""), "jobs[1].orphaned_at",
                        "expected an ISO-8601 instant such as \"2026-11-23T04:05:06Z\", found \"2026-11-21 09:30\""),
                Arguments.of("orphaned_at is a boolean", withJob2("\"paused\": false", "\"paused\": false, "
                        + "\"orphaned_at\": " + MARK + "true"), "jobs[1].orphaned_at", "found true"),
                Arguments.of("bad written_at", valid().replace("\"2026-11-23T04:05:06Z\"",
                        MARK + "\"2026-13-01T00:00:00Z\""), "written_at", "expected an ISO-8601 instant"),
                Arguments.of("bad zone", withJob2("{\"type\": \"manual\"}",
                        CRON.replace("\"UTC\"", MARK + "\"Mars/Olympus\"")), "jobs[1].schedule.zone",
                        "unknown time zone \"Mars/Olympus\""),
                Arguments.of("bad cron shape", withJob2("{\"type\": \"manual\"}",
                        CRON.replace("\"0 3 * * *\"", MARK + "\"0 3 *\"")), "jobs[1].schedule.expression",
                        "expected 5 fields"),
                Arguments.of("unknown schedule type", withJob2("\"manual\"", MARK + "\"hourly\""),
                        "jobs[1].schedule.type", "unknown schedule type \"hourly\""),
                Arguments.of("bad period", withJob2("{\"type\": \"manual\"}",
                        PERIODIC.replace("\"PT10S\"", MARK + "\"10s\"")), "jobs[1].schedule.every",
                        "expected an ISO-8601 duration"),
                Arguments.of("zero period", withJob2("{\"type\": \"manual\"}",
                        PERIODIC.replace("\"PT10S\"", MARK + "\"PT0S\"")), "jobs[1].schedule.every",
                        "at least 1 ms"),
                Arguments.of("negative initial delay", withJob2("{\"type\": \"manual\"}",
                        PERIODIC.replace("\"PT0S\"", MARK + "\"PT-1S\"")), "jobs[1].schedule.initial_delay",
                        "must not be negative"),
                Arguments.of("bad periodic mode", withJob2("{\"type\": \"manual\"}",
                        PERIODIC.replace("\"fixed_rate\"", MARK + "\"sometimes\"")), "jobs[1].schedule.mode",
                        "unknown periodic mode"),
                Arguments.of("missing schedule member", withJob2("{\"type\": \"manual\"}",
                        MARK + "{\"type\": \"once\"}"), "jobs[1].schedule.at", "missing required member \"at\""),
                Arguments.of("huge number", withJob2("\"run_count\": 0",
                        "\"run_count\": " + MARK + "99999999999999999999999"), "jobs[1].run_count",
                        "is too large (at most 9223372036854775807)"),
                Arguments.of("int overflow", withJob2("\"consecutive_failures\": 0",
                        "\"consecutive_failures\": " + MARK + "2147483648"), "jobs[1].consecutive_failures",
                        "is too large (at most 2147483647)"),
                Arguments.of("negative counter", withJob2("\"failure_count\": 0", "\"failure_count\": " + MARK + "-1"),
                        "jobs[1].failure_count", "must not be negative, found -1"),
                Arguments.of("negative duration_ms", withJob2("\"paused\": false", "\"paused\": false, "
                        + "\"last_outcome\": {\"success\": true, \"message\": \"\", \"duration_ms\": " + MARK + "-5}"),
                        "jobs[1].last_outcome.duration_ms", "must not be negative"),
                Arguments.of("duplicate qname", withJob2("\"a.two\"", MARK + "\"a.one\""), "jobs[1].qname",
                        "duplicate job \"a.one\" (already defined at jobs[0])"),
                Arguments.of("duplicate member", withJob2("\"paused\": false,", "\"paused\": false, " + MARK
                        + "\"status\": \"idle\","), "jobs[1].status", "duplicate member \"status\""),
                Arguments.of("duplicate empty member name", withJob2("\"paused\": false,", "\"paused\": false, "
                        + "\"\": 1, " + MARK + "\"\": 2,"), "jobs[1][\"\"]", "duplicate member \"\""),
                Arguments.of("missing required member", withJob2("\"status\": \"idle\", ", "")
                        .replace("    {\"qname\": \"a.two\"", "    " + MARK + "{\"qname\": \"a.two\""),
                        "jobs[1].status", "missing required member \"status\""),
                Arguments.of("bad qname", withJob2("\"a.two\"", MARK + "\"noplugin\""), "jobs[1].qname",
                        "invalid job qname \"noplugin\""),
                Arguments.of("bad plugin id", withJob2("\"plugin_id\": \"a\"", "\"plugin_id\": " + MARK + "\"-a\""),
                        "jobs[1].plugin_id", "invalid plugin id"),
                Arguments.of("checkpoint is an object", withJob2("\"paused\": false", "\"paused\": false, "
                        + "\"checkpoint\": " + MARK + "{}"), "jobs[1].checkpoint", "expected a string"),
                Arguments.of("wrong format name", withFormat("  \"format\": " + MARK + "\"acme.jobs\",\n"), "format",
                        "not a Belfry background-jobs file: format is \"acme.jobs\""),
                Arguments.of("missing format", MARK + "{\"version\": 1, \"jobs\": []}", "format",
                        "missing member \"format\""),
                Arguments.of("version zero", valid().replace("\"version\": 1", "\"version\": " + MARK + "0"),
                        "version", "must be at least 1"),
                Arguments.of("root is a string", "\n  " + MARK + "\"hello\"", "$", "found \"hello\""),
                Arguments.of("empty file", MARK + "", "$", "empty"),
                Arguments.of("only white space", MARK + "  \n\n  ", "$", "empty"),
                Arguments.of("content after the document", valid() + MARK + "{}", "$", "after the end"),
                Arguments.of("comment", "{\n  " + MARK + "// hi\n}", "$", "malformed JSON"),
                // For these two syntax errors the parser points just past the word or character it could not read.
                Arguments.of("garbage", "nonsense" + MARK, "$", "Unrecognized token 'nonsense'"),
                Arguments.of("control character", "\u0001" + MARK + "\u0002", "$", "Illegal character"),
                Arguments.of("legacy negative failures", "[\n  {\"qname\": \"a.b\", \"consecutive_failures\": "
                        + MARK + "-2}\n]", "$[0].consecutive_failures", "must not be negative"),
                Arguments.of("legacy duplicate", "[{\"qname\": \"a.b\"}, {\"qname\": " + MARK + "\"a.b\"}]",
                        "$[1].qname", "duplicate job"),
                Arguments.of("legacy row without qname", "[" + MARK + "{\"status\": \"ok\"}]", "$[0].qname",
                        "missing required member \"qname\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void shouldReportFieldLineAndColumnWhenInputIsBad(String name, String marked, String field, String problem) {
        int mark = marked.indexOf(MARK);
        assertThat(mark).as("test input has a marker").isNotNegative();
        String input = marked.substring(0, mark) + marked.substring(mark + 1);
        int line = 1 + (int) marked.substring(0, mark).chars().filter(c -> c == '\n').count();
        int column = mark - marked.lastIndexOf('\n', mark - 1);

        SidecarFormatException e = catchThrowableOfType(SidecarFormatException.class,
                () -> codec.decode(bytes(input), "background_jobs.json"));

        assertThat(e).as("decoding must fail").isNotNull();
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.problem()).contains(problem);
        assertThat(e.getMessage()).startsWith("background_jobs.json:" + line + ":" + column + ": " + field + ": ")
                .doesNotContain("\n").doesNotContain("Source:");
        assertThat(e.file()).isEqualTo("background_jobs.json");
        assertThat(e.line()).isEqualTo(line);
        assertThat(e.column()).isEqualTo(column);
    }

    @Test
    void shouldAcceptTheUnmarkedBaseDocument() {
        assertThat(codec.decode(bytes(valid()), "base.json").jobs()).hasSize(2);
    }

    @Test
    void shouldPointAtBadByteWhenInputIsNotUtf8() {
        byte[] good = bytes("{\n  \"format\": \"x\u00e9\"}");
        byte[] bad = good.clone();
        bad[bad.length - 3] = (byte) 0xFF; // the second byte of é

        SidecarFormatException e = catchThrowableOfType(SidecarFormatException.class,
                () -> codec.decode(bad, "bad-utf8.json"));

        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isEqualTo(15);
        assertThat(e.problem()).contains("not valid UTF-8");
    }

    @Test
    void shouldNameFirstJobsDynamicFieldAndItsPositionWhenDynamicIsNotABoolean() {
        String input = """
                {
                  "format": "belfry.background-jobs",
                  "version": 1,
                  "written_at": "2026-11-23T04:05:06Z",
                  "jobs": [
                    {
                      "qname": "a.one",
                      "plugin_id": "a",
                      "schedule": {"type": "manual"},
                      "status": "idle",
                      "consecutive_failures": 0,
                      "run_count": 0,
                      "failure_count": 0,
                      "paused": false,
                      "dynamic": "yes",
                      "version": 0
                    }
                  ]
                }
                """;

        SidecarFormatException e = catchThrowableOfType(SidecarFormatException.class,
                () -> codec.decode(bytes(input), "background_jobs.json"));

        assertThat(e.getMessage()).isEqualTo(
                "background_jobs.json:15:18: jobs[0].dynamic: expected true or false, found \"yes\"");
        assertThat(e.field()).isEqualTo("jobs[0].dynamic");
        assertThat(e.line()).isEqualTo(15);
        assertThat(e.column()).isEqualTo(18);
    }

    @Test
    void shouldRejectCheckpointLongerThanLimitWithItsLocation() {
        String big = "x".repeat(JobRecord.MAX_CHECKPOINT_LENGTH + 1);
        String input = withJob2("\"paused\": false", "\"paused\": false, \"checkpoint\": \"" + big + "\"");

        SidecarFormatException e = catchThrowableOfType(SidecarFormatException.class,
                () -> codec.decode(bytes(input), "big.json"));

        assertThat(e.field()).isEqualTo("jobs[1].checkpoint");
        assertThat(e.line()).isEqualTo(7);
        assertThat(e.problem()).contains("65537 characters long");
    }

    @Test
    void shouldKeepMessageOneLineAndShortWhenBadValueIsLongOrHasNewlines() {
        String input = withJob2("\"a.two\"", "\"a\\nb\\r" + "y".repeat(5000) + "\"");

        SidecarFormatException e = catchThrowableOfType(SidecarFormatException.class,
                () -> codec.decode(bytes(input), "long.json"));

        assertThat(e.field()).isEqualTo("jobs[1].qname");
        assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r").hasSizeLessThan(1000);
    }

    @Test
    void shouldFailCleanlyWhenNestingIsAbsurdlyDeep() {
        String input = "[".repeat(10_000) + "]".repeat(10_000);

        SidecarFormatException e = catchThrowableOfType(SidecarFormatException.class,
                () -> codec.decode(bytes(input), "deep.json"));

        assertThat(e).isNotNull();
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.getMessage()).doesNotContain("\n");
    }
}
