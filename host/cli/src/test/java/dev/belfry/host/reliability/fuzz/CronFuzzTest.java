package dev.belfry.host.reliability.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.host.internal.cli.BelfryCli;
import dev.belfry.host.internal.cron.CompiledCron;
import dev.belfry.host.internal.cron.CronCompiler;
import dev.belfry.host.reliability.Depth;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Random and adversarial cron expressions and zones through the compiler, next-fire and {@code belfry cron next}:
 * valid ones work, invalid ones are refused with one line that quotes the value, nothing loops, and no next-fire
 * call takes more than a millisecond (beyond rare GC/JIT outliers on a shared machine).
 */
class CronFuzzTest {
    private static final List<String> ZONES = List.of("UTC", "Europe/Berlin", "America/New_York",
            "Australia/Lord_Howe", "America/Santiago", "Pacific/Apia", "Antarctica/Troll", "Asia/Kolkata",
            "Pacific/Kiritimati", "Pacific/Chatham", "America/St_Johns", "Africa/Casablanca", "Asia/Tehran",
            "Europe/Dublin", "Pacific/Kwajalein", "America/Caracas", "Asia/Pyongyang", "Europe/Moscow",
            "+18:00", "-18:00", "+05:45", "-00:30", "Z", "GMT+14", "UT-12", "Etc/GMT-14", "Etc/GMT+12");
    private static final List<String> BAD_ZONES = List.of("+25:00", "-19:00", "+18:01", "Mars/Olympus", "",
            " ", "Europe/", "/Berlin", "../../etc/passwd", "Europe/Berlin\n", "UTC+", "GMT+25", "+5:3", "utc",
            "Europe\\Berlin", "Ετ/Ζώνη", "Europe/Berlin ", "+01:00:00:00", "SystemV/EST5", "--zone", "-");
    private static final String[] NAMES = {"JAN", "feb", "Mar", "DEC", "SUN", "mon", "SAT", "XYZ", "JANUARY",
            "SU", "Sun"};
    private static final String[] MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
            "@hourly", "@DAILY", "@fortnightly", "@", "@@daily", "@daily *", "@ daily", "@reboot", "@every 5m"};
    private static final String[] KNOWN = {"0 3 * * *", "*/20 * * * *", "30 2 * * *", "0 0 13 * 5",
            "0 0 */2 * 5", "* 2 * 3 0L", "0 0 L-3 2 *", "0 0 1W * *", "0 0 LW * *", "0 0 * * 1#2", "0 0 * * 5L",
            "*/20 30 2 * * *", "0,30 2 * * *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 */30 2 2#2", "5-2 * * * *",
            "0 0 * * SAT-SUN", "0 0 * * 7/2", "59 23 31 12 *", "0 0 29 2 *", "0 0 29 2 1#5"};

    @Test
    void shouldCompileOrRefuseEveryExpressionAndAnswerNextFireFast() throws Exception {
        long seed = Fuzz.seed("cron compile + nextFire");
        Random r = new Random(seed);
        int inputs = Depth.pick(15_000, 400_000);
        int firesPerValid = Depth.pick(8, 12);
        Fuzz.Latencies timing = new Fuzz.Latencies();
        int[] counts = new int[3]; // valid, refused, fires answered
        long[] worst = {0};
        String[] worstInput = {""};
        warmUp(r);

        Watchdog.run(Duration.ofSeconds(5), seed, dog -> {
            for (int i = 0; i < inputs; i++) {
                String expr = expression(r);
                ZoneId zone = ZoneId.of(Fuzz.pick(r, ZONES));
                dog.input("compile(" + Fuzz.show(expr) + ", " + zone + ")");
                CompiledCron cron;
                try {
                    cron = CronCompiler.compile(expr, zone);
                    counts[0]++;
                } catch (InvalidScheduleException e) {
                    counts[1]++;
                    checkRefusal(seed, expr, e);
                    continue;
                } catch (RuntimeException | StackOverflowError e) {
                    throw new AssertionError("seed " + seed + ": compile(" + Fuzz.show(expr) + ", " + zone
                            + ") threw " + e + "\n" + Fuzz.stackTrace(e), e);
                }
                for (int k = 0; k < firesPerValid; k++) {
                    Instant after = instant(r, zone);
                    dog.input("nextFire(" + after + ") of " + Fuzz.show(expr) + " in " + zone);
                    long t0 = System.nanoTime();
                    Optional<Instant> next;
                    try {
                        next = cron.nextFire(after);
                    } catch (RuntimeException e) {
                        throw new AssertionError("seed " + seed + ": nextFire(" + after + ") of " + Fuzz.show(expr)
                                + " in " + zone + " threw " + e + "\n" + Fuzz.stackTrace(e), e);
                    }
                    long took = System.nanoTime() - t0;
                    timing.add(took);
                    counts[2]++;
                    if (took > worst[0]) {
                        worst[0] = took;
                        worstInput[0] = "nextFire(" + after + ") of " + Fuzz.show(expr) + " in " + zone;
                    }
                    if (next.isPresent()) {
                        assertThat(next.get()).as("seed %d: nextFire(%s) of %s in %s", seed, after, Fuzz.show(expr), zone)
                                .isAfter(after);
                        assertThat(next.get().getNano()).as("seed %d: fires are on whole seconds", seed).isZero();
                    }
                }
            }
        });

        long p999 = timing.quantile(0.999);
        System.out.printf("[fuzz] cron: %d expressions (%d valid, %d refused), %d nextFire calls: p50 %.1f us, "
                        + "p99 %.1f us, p99.9 %.1f us, max %.2f ms (%s)%n", inputs, counts[0], counts[1], counts[2],
                timing.quantile(0.5) / 1e3, timing.quantile(0.99) / 1e3, p999 / 1e3, worst[0] / 1e6, worstInput[0]);
        assertThat(counts[0]).as("seed %d: the generator makes valid expressions too", seed).isGreaterThan(inputs / 20);
        assertThat(p999).as("seed %d: p99.9 of nextFire (ns)", seed).isLessThan(1_000_000L);
        assertThat(worst[0]).as("seed %d: slowest nextFire (ns): %s", seed, worstInput[0]).isLessThan(50_000_000L);
    }

    @Test
    void shouldExitZeroOrTwoWithOneStderrLineFromCronNext() throws Exception {
        long seed = Fuzz.seed("belfry cron next");
        Random r = new Random(seed);
        int inputs = Depth.pick(800, 20_000);
        Clock clock = Clock.fixed(Instant.parse("2027-03-27T12:00:00Z"), ZoneOffset.UTC);
        int[] exits = new int[4];

        Watchdog.run(Duration.ofSeconds(10), seed, dog -> {
            for (int i = 0; i < inputs; i++) {
                List<String> args = new ArrayList<>(List.of("cron", "next", expression(r)));
                if (r.nextInt(4) > 0) {
                    args.add("--zone");
                    args.add(r.nextBoolean() ? Fuzz.pick(r, ZONES) : r.nextBoolean() ? Fuzz.pick(r, BAD_ZONES)
                            : Fuzz.randomText(r, 12));
                }
                if (r.nextInt(3) == 0) {
                    args.add("--from");
                    args.add(r.nextBoolean() ? instant(r, ZoneOffset.UTC).toString() : Fuzz.randomText(r, 25));
                }
                if (r.nextInt(4) == 0) {
                    args.add("--count");
                    args.add(Fuzz.pick(r, "0", "1", "-1", "10000", "10001", "99999999999", "x", "5", ""));
                }
                if (r.nextInt(5) == 0) {
                    args.add("--json");
                }
                String shown = args.stream().map(Fuzz::show).toList().toString();
                dog.input("belfry " + shown);
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int code;
                try {
                    code = BelfryCli.run(clock, new PrintWriter(out, true), new PrintWriter(err, true),
                            args.toArray(String[]::new));
                } catch (RuntimeException | Error e) {
                    throw new AssertionError("seed " + seed + ": belfry " + shown + " threw " + e + "\n"
                            + Fuzz.stackTrace(e), e);
                }
                exits[Math.min(code, 3)]++;
                String errText = err.toString();
                if (code == 0) {
                    for (String line : out.toString().split("\n")) {
                        assertThat(line.isEmpty() || line.startsWith("[") || parses(line))
                                .as("seed %d: belfry %s printed %s", seed, shown, Fuzz.show(line)).isTrue();
                    }
                    assertThat(errText.isEmpty() || errText.startsWith("belfry: no further fires"))
                            .as("seed %d: belfry %s exit 0 with stderr %s", seed, shown, Fuzz.show(errText)).isTrue();
                } else {
                    assertThat(code).as("seed %d: belfry %s: exit code (stderr %s)", seed, shown, Fuzz.show(errText))
                            .isEqualTo(2);
                    assertThat(errText).as("seed %d: belfry %s: stderr", seed, shown).endsWith("\n")
                            .startsWith("belfry: ");
                    assertThat(Fuzz.hasLineBreak(errText.substring(0, errText.length() - 1)))
                            .as("seed %d: belfry %s: stderr is one line: %s", seed, shown, Fuzz.show(errText))
                            .isFalse();
                    assertThat(errText).as("seed %d: no stack trace", seed).doesNotContain("\tat ");
                }
            }
        });
        System.out.printf("[fuzz] belfry cron next: %d invocations: exit 0 %d, exit 2 %d, other %d%n", inputs,
                exits[0], exits[2], exits[1] + exits[3]);
    }

    private static boolean parses(String line) {
        try {
            Instant.parse(line);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void checkRefusal(long seed, String expr, InvalidScheduleException e) {
        String m = e.getMessage();
        assertThat(Fuzz.hasLineBreak(m)).as("seed %d: message for %s is one line: %s", seed, Fuzz.show(expr),
                Fuzz.show(m)).isFalse();
        assertThat(m).as("seed %d: message for %s quotes the value", seed, Fuzz.show(expr))
                .contains("\"" + Fuzz.escaped(e.value()) + "\"");
        assertThat(e.reason()).as("seed %d: reason for %s", seed, Fuzz.show(expr)).isNotBlank();
    }

    /** Exercises the code paths once, untimed, so JIT compilation does not count as a slow call. */
    private static void warmUp(Random r) {
        Random local = new Random(r.nextLong());
        for (int i = 0; i < 10_000; i++) {
            try {
                ZoneId zone = ZoneId.of(Fuzz.pick(local, ZONES));
                CompiledCron c = CronCompiler.compile(expression(local), zone);
                for (int k = 0; k < 5; k++) {
                    c.nextFire(instant(local, zone));
                }
            } catch (RuntimeException e) {
                // judged in the real run
            }
        }
    }

    // ------------------------------------------------------------------ generators

    static String expression(Random r) {
        switch (r.nextInt(12)) {
            case 0:
                return Fuzz.randomText(r, r.nextInt(10) == 0 ? 2_000 : 30);
            case 1:
                return Fuzz.pick(r, MACROS);
            case 2:
                return mutateText(Fuzz.pick(r, KNOWN), r);
            case 3:
                return Fuzz.pick(r, "", " ", "\t", "\n", "\r\n", "\u2028", "\u00a0", "\u3000", " \n \t ",
                        "*".repeat(1 + r.nextInt(20)), "* ".repeat(r.nextInt(40)));
            case 4: { // huge lists
                int fields = 5 + r.nextInt(2);
                StringBuilder b = new StringBuilder();
                for (int f = 0; f < fields; f++) {
                    b.append(f == 0 ? "" : " ").append(r.nextInt(3) == 0 ? list(r, 1_000) : field(r));
                }
                return b.toString();
            }
            case 5: // very long string of a valid shape
                return "0 0 " + "1,".repeat(r.nextInt(5_000)) + "1 * *";
            default: {
                int fields = r.nextInt(8) == 0 ? r.nextInt(9) : 5 + r.nextInt(2);
                String sep = r.nextInt(10) == 0 ? Fuzz.pick(r, "  ", "\t", "\n", " \u00a0", "\u2003", "\r\n") : " ";
                StringBuilder b = new StringBuilder(r.nextInt(10) == 0 ? sep : "");
                for (int f = 0; f < fields; f++) {
                    b.append(f == 0 ? "" : sep).append(field(r));
                }
                return b.append(r.nextInt(10) == 0 ? sep : "").toString();
            }
        }
    }

    private static String mutateText(String s, Random r) {
        StringBuilder b = new StringBuilder(s);
        int edits = 1 + r.nextInt(3);
        for (int i = 0; i < edits; i++) {
            int at = r.nextInt(b.length() + 1);
            switch (r.nextInt(3)) {
                case 0 -> b.insert(at, Fuzz.randomText(r, 3));
                case 1 -> {
                    if (at < b.length()) {
                        b.deleteCharAt(at);
                    }
                }
                default -> {
                    if (at < b.length()) {
                        b.setCharAt(at, Fuzz.NASTY.charAt(r.nextInt(Fuzz.NASTY.length())));
                    }
                }
            }
        }
        return b.toString();
    }

    private static String list(Random r, int max) {
        int n = 1 + r.nextInt(max);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append(item(r));
        }
        return b.toString();
    }

    private static String field(Random r) {
        int kind = r.nextInt(10);
        if (kind < 3) {
            return "*";
        }
        if (kind < 8) {
            return item(r);
        }
        return list(r, 6);
    }

    private static String item(Random r) {
        switch (r.nextInt(16)) {
            case 0:
                return "*/" + number(r);
            case 1:
                return number(r) + "-" + number(r);
            case 2:
                return number(r) + "-" + number(r) + "/" + number(r);
            case 3:
                return number(r) + "/" + number(r);
            case 4:
                return "?";
            case 5:
                return Fuzz.pick(r, "L", "LW", "L-" + number(r), number(r) + "W", number(r) + "L",
                        number(r) + "#" + number(r), "W", "#", "L#1", "1#L", "LL", "L-", "-L", "?/2", "*/*",
                        "**", "*-5", "5-*", "1--2", "1-2-3", "1//2", "/5", "5/", "L/2", "1W/2", "1#2-3");
            case 6:
                return Fuzz.pick(r, NAMES) + (r.nextBoolean() ? "" : "-" + Fuzz.pick(r, NAMES));
            case 7:
                return Fuzz.pick(r, Fuzz.UNICODE);
            default:
                return number(r);
        }
    }

    private static String number(Random r) {
        switch (r.nextInt(12)) {
            case 0:
                return Fuzz.pick(r, "99999999999999999999", "2147483647", "2147483648", "-1", "-0", "0000000001",
                        "00", "007", "1e3", "0x1F", "+5", "１", "٣", "1.5", "9223372036854775808", "");
            case 1:
                return Integer.toString(r.nextInt(200));
            case 2:
                return Integer.toString(Fuzz.pick(r, List.of(0, 1, 6, 7, 8, 12, 13, 23, 24, 28, 29, 30, 31, 32, 59,
                        60, 61)));
            default:
                return Integer.toString(r.nextInt(32));
        }
    }

    /** An instant to search from: anywhere, near the ends of time, or next to one of the zone's transitions. */
    static Instant instant(Random r, ZoneId zone) {
        long min = Instant.MIN.getEpochSecond();
        long max = Instant.MAX.getEpochSecond();
        int nanos = r.nextInt(4) == 0 ? r.nextInt(1_000_000_000) : 0;
        switch (r.nextInt(8)) {
            case 0:
                return Instant.ofEpochSecond(min + r.nextInt(400 * 86_400), nanos);
            case 1:
                return Instant.ofEpochSecond(max - r.nextInt(400 * 86_400), nanos);
            case 2:
                return Instant.ofEpochSecond(min + (long) (r.nextDouble() * ((double) max - min)), nanos);
            case 3:
            case 4: {
                ZoneRules rules = zone.getRules();
                Instant near = Instant.ofEpochSecond(-2_208_988_800L + (long) (r.nextDouble() * 12_623_040_000L));
                ZoneOffsetTransition t = r.nextBoolean() ? rules.nextTransition(near) : rules.previousTransition(near);
                Instant base = t == null ? near : t.getInstant();
                return base.plusSeconds(r.nextInt(7_201) - 3_600).plusNanos(nanos);
            }
            default: // 1900-2300
                return Instant.ofEpochSecond(-2_208_988_800L + (long) (r.nextDouble() * 12_623_040_000L), nanos);
        }
    }

    // keep the zone list honest: every entry must be a real zone id
    static {
        TreeSet<String> bad = new TreeSet<>();
        for (String z : ZONES) {
            try {
                ZoneId.of(z);
            } catch (RuntimeException e) {
                bad.add(z);
            }
        }
        if (!bad.isEmpty()) {
            fail("not zone ids: " + bad);
        }
    }
}
