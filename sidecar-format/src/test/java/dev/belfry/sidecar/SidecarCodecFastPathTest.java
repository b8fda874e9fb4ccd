package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * An all-ASCII file is read straight from its bytes with each job turned into its record as it is parsed; any
 * other file, and any file with a problem, is read as text through the whole tree. Both must give the same document
 * and the same errors.
 */
class SidecarCodecFastPathTest {
    private final SidecarCodec codec = new SidecarCodec();

    @Test
    void shouldReadEveryGoldenFileTheSameWayAsTheTextPath() {
        for (String name : List.of("v1-full.json", "v1-without-orphaned-at-and-dynamic.json", "v2-unknown-fields.json",
                "legacy.json")) {
            byte[] bytes = Fixtures.resource("golden/" + name);
            assertThat(codec.decode(bytes, name)).as(name).isEqualTo(codec.decodeText(bytes, name));
        }
    }

    @Test
    void shouldReadNonAsciiTextWrittenAsJsonEscapesTheSameWayAsTheRawCharacters() {
        for (String name : List.of("v1-full.json", "v1-without-orphaned-at-and-dynamic.json")) {
            byte[] raw = Fixtures.resource("golden/" + name);
            byte[] ascii = asciiEscaped(new String(raw, StandardCharsets.UTF_8)).getBytes(StandardCharsets.US_ASCII);
            assertThat(ascii).as("%s has characters outside ASCII to escape", name).isNotEqualTo(raw);
            assertThat(codec.decode(ascii, name)).as(name).isEqualTo(codec.decodeText(raw, name));
        }
    }

    /** The same JSON with every character outside ASCII (only ever inside strings) written as a \\u escape. */
    private static String asciiEscaped(String json) {
        StringBuilder sb = new StringBuilder(json.length());
        for (char c : json.toCharArray()) {
            if (c < 0x80) {
                sb.append(c);
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb.toString();
    }

    @Test
    void shouldReadAWrittenDocumentBackTheSameWayAsTheTextPath() {
        byte[] bytes = codec.encode(Fixtures.fullDocument());
        assertThat(codec.decode(bytes, "doc")).isEqualTo(codec.decodeText(bytes, "doc"))
                .isEqualTo(Fixtures.fullDocument());
    }

    @Test
    void shouldReportAnErrorInAJobExactlyAsTheTextPathDoes() {
        String text = writtenAscii().replaceFirst("\"run_count\":\\d+", "\"run_count\":-3");
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        Throwable fast = catchError(() -> codec.decode(bytes, "doc"));
        Throwable slow = catchError(() -> codec.decodeText(bytes, "doc"));
        assertThat(fast).isInstanceOf(SidecarFormatException.class)
                .hasMessageContaining("doc:6:").hasMessageContaining("jobs[0].run_count");
        assertThat(fast).hasMessage(slow.getMessage());
    }

    @Test
    void shouldReportADuplicateJobWithBothPlacesAsTheTextPathDoes() {
        String[] lines = writtenAscii().split("\n");
        // Line 7 is the second job; give it the first job's name.
        lines[6] = lines[6].replace("\"hello-jobs.manual\"", "\"hello-jobs.greeting\"");
        byte[] bytes = String.join("\n", lines).getBytes(StandardCharsets.US_ASCII);
        Throwable fast = catchError(() -> codec.decode(bytes, "doc"));
        assertThat(fast).isInstanceOf(SidecarFormatException.class)
                .hasMessageContaining("doc:7:").hasMessageContaining("jobs[1].qname")
                .hasMessageContaining("duplicate job \"hello-jobs.greeting\" (already defined at jobs[0])");
        assertThat(fast).hasMessage(catchError(() -> codec.decodeText(bytes, "doc")).getMessage());
    }

    /** The full document as written, with its few characters outside ASCII escaped so the fast way reads it. */
    private String writtenAscii() {
        String text = asciiEscaped(new String(codec.encode(Fixtures.fullDocument()), StandardCharsets.UTF_8));
        assertThat(text.split("\n")[5]).startsWith("    {\"qname\":\"hello-jobs.greeting\"");
        return text;
    }

    @Test
    void shouldReportAMissingFormatBeforeABadJobEvenThoughTheJobsAreParsedFirst() {
        String text = "{\"jobs\": [{\"qname\": 42}], \"version\": 1, \"written_at\": \"2026-11-23T00:00:00Z\"}";
        assertThatThrownBy(() -> codec.decode(text.getBytes(StandardCharsets.UTF_8), "doc"))
                .isInstanceOf(SidecarFormatException.class).hasMessageContaining("missing member \"format\"");
    }

    @Test
    void shouldReadTheWrittenFileWithTheQuickReaderWithoutGivingUp() {
        // If the quick reader gave up on the file the writer produces, every start would silently take the slow way.
        byte[] bytes = writtenAscii().getBytes(StandardCharsets.US_ASCII);
        assertThat(AsciiSidecarReader.read(bytes)).isEqualTo(codec.decodeText(bytes, "doc"));
    }

    /**
     * Mutated files, each read by the quick reader alone and by the text path: whatever the quick reader returns
     * must be what the text path returns; where the text path refuses a file, the quick reader must give up too.
     */
    @Test
    void shouldNeverReadAMutatedFileDifferentlyFromTheTextPath() {
        assertMutationsReadAsTheTextPath(writtenAscii().getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Neighbours sharing a schedule or a plugin, as most do in a real file: the quick reader takes a schedule whose
     * text is the one before it as that schedule, and a namespace spelled as the last plugin id as that id.
     */
    @Test
    void shouldReadNeighboursThatShareSchedulesAndPluginsAsTheTextPathDoes() {
        byte[] bytes = new String(codec.encode(neighbours()), StandardCharsets.UTF_8).getBytes(StandardCharsets.US_ASCII);
        SidecarDocument quick = AsciiSidecarReader.read(bytes);

        assertThat(quick).isEqualTo(codec.decodeText(bytes, "doc")).isEqualTo(neighbours());
        assertMutationsReadAsTheTextPath(bytes);
    }

    private static SidecarDocument neighbours() {
        Schedule minute = Schedule.every(Duration.ofMinutes(1), PeriodicMode.FIXED_RATE, Duration.ZERO);
        Schedule longer = Schedule.every(Duration.ofSeconds(65), PeriodicMode.FIXED_RATE, Duration.ZERO);
        Schedule delayed = Schedule.every(Duration.ofMinutes(1), PeriodicMode.FIXED_DELAY, Duration.ZERO);
        Schedule cron = Schedule.cron("0 */5 * * * ?", ZoneId.of("Europe/Paris"));
        List<JobRecord> jobs = new ArrayList<>();
        String[][] plan = {{"a", "a.one"}, {"a", "a.two"}, {"a", "a.three"}, {"ab", "ab.one"}, {"ab", "ab.two"},
                {"a", "a.four"}, {"a.b", "a.b.one"}, {"a", "a.b.two"}, {"b", "b.one"}, {"b", "b.two"}};
        Schedule[] schedules = {minute, minute, longer, longer, minute, delayed, delayed, cron, cron, minute};
        for (int i = 0; i < plan.length; i++) {
            jobs.add(JobRecord.pending(QName.parse(plan[i][1]), plan[i][0], schedules[i])
                    .withStatus(i % 2 == 0 ? JobStatus.SCHEDULED : JobStatus.IDLE)
                    .withNextFireAt(Optional.of(Fixtures.WRITTEN_AT.plusSeconds(i))));
        }
        return SidecarDocument.of(Fixtures.WRITTEN_AT, jobs);
    }

    private void assertMutationsReadAsTheTextPath(byte[] original) {
        long seed = Long.getLong("sidecar.fuzz.seed", 0xA5C11L);
        Random random = new Random(seed);
        int quick = 0;
        for (int i = 0; i < 3_000; i++) {
            byte[] input = mutate(original, random);
            SidecarDocument fast;
            try {
                fast = AsciiSidecarReader.read(input);
            } catch (RuntimeException gaveUp) {
                continue;
            }
            quick++;
            String what = "mutation " + i + " (seed " + seed + "):\n" + new String(input, StandardCharsets.US_ASCII);
            Throwable slowError = null;
            SidecarDocument slow = null;
            try {
                slow = codec.decodeText(input, "doc");
            } catch (SidecarFormatException e) {
                slowError = e;
            }
            assertThat(slowError).as("the text path refuses what the quick reader read, %s", what).isNull();
            assertThat(fast).as(what).isEqualTo(slow);
        }
        assertThat(quick).as("some mutations still read the quick way (white space, digits, letters)")
                .isGreaterThan(100);
    }

    // Changes that keep most files readable as JSON, so the two readers' checks (not only the tokeniser) are compared.
    private static byte[] mutate(byte[] original, Random random) {
        byte[] b = original.clone();
        byte[] replacements = "{}[]\",:-0123456789eE.\\ntfulrsa_ \tZTPHMS+/u".getBytes(StandardCharsets.US_ASCII);
        int changes = 1 + random.nextInt(2);
        for (int c = 0; c < changes; c++) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(4)) {
                case 0 -> b[at] = replacements[random.nextInt(replacements.length)];
                case 1 -> b[at] = (byte) ('0' + random.nextInt(10));
                case 2 -> b[at] = (byte) (b[at] >= 'a' && b[at] <= 'z' ? b[at] - 32 : b[at]);
                default -> {
                    byte[] out = new byte[b.length - 1];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(b, at + 1, out, at, b.length - at - 1);
                    b = out;
                }
            }
        }
        return b;
    }

    private static Throwable catchError(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("no error");
    }
}
