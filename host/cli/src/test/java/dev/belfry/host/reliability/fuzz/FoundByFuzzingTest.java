package dev.belfry.host.reliability.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.host.internal.cli.BelfryCli;
import dev.belfry.host.internal.cron.CronCompiler;
import dev.belfry.host.testing.LogCapture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each input the fuzz tests found a bug with, kept as a plain test so it stays fixed whatever the seed. */
class FoundByFuzzingTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2027-03-27T12:00:00Z"), ZoneOffset.UTC);

    /** Refused plugins are logged: asserted where a test causes them, kept off the console. */
    @RegisterExtension
    final LogCapture log = LogCapture.ofNames("dev.belfry.host", "org.pf4j");

    @Test
    void shouldKeepTheInvalidScheduleMessageOnOneLineWhenTheExpressionHoldsALineSeparator() {
        // given an expression with U+2028 inside a field (not folded as white space) and one that is only a newline
        for (String expr : new String[] {"4H;9\u2028 0", "\n", "0 0 * * *\u0085x", "0\u0000 * * * *"}) {
            // when / then
            assertThatThrownBy(() -> CronCompiler.compile(expr, ZoneOffset.UTC))
                    .isInstanceOf(InvalidScheduleException.class)
                    .satisfies(e -> {
                        assertThat(Fuzz.hasLineBreak(e.getMessage())).as(Fuzz.show(e.getMessage())).isFalse();
                        assertThat(e.getMessage()).doesNotContainPattern("\\p{Cntrl}");
                    });
        }
    }

    @Test
    void shouldAnswerNextFireNearTheEndsOfTimeWithoutAnExceptionInADaylightSavingZone() {
        // given a fixed-time expression in a zone with transitions, searched from the last year Instant can hold
        var cron = CronCompiler.compile("0 0 1 * *", java.time.ZoneId.of("America/New_York"));
        Instant found = Instant.parse("+1000000000-01-16T23:14:59.534521714Z"); // threw DateTimeException
        Instant nearMin = Instant.MIN.plusSeconds(3_600);
        // when / then: empty past Instant.MAX (as documented), a real fire before it and near Instant.MIN
        assertThat(cron.nextFire(found)).contains(Instant.parse("+1000000000-02-01T05:00:00Z"));
        assertThat(cron.nextFire(Instant.MAX.minusSeconds(3_600))).isEmpty();
        assertThat(cron.nextFire(Instant.MAX.minusSeconds(40 * 86_400L))).hasValueSatisfying(
                next -> assertThat(next).isAfter(Instant.MAX.minusSeconds(40 * 86_400L)));
        assertThat(cron.nextFire(nearMin)).hasValueSatisfying(next -> assertThat(next).isAfter(nearMin));
    }

    @Test
    void shouldKeepTheSidecarErrorOnOneLineWhenTheDamagedValueHoldsANextLineCharacter() {
        // given a value and a member name holding U+0085 (NEL), a C1 control that some readers treat as a line end
        String json = "{\"format\": \"belfry.background-jobs\", \"version\": 1, \"written_at\": \"\u0085x\","
                + " \"jobs\": []}";
        // when / then
        assertThatThrownBy(() -> new dev.belfry.sidecar.SidecarCodec().decode(
                json.getBytes(java.nio.charset.StandardCharsets.UTF_8), "background_jobs.json"))
                .isInstanceOf(dev.belfry.sidecar.SidecarFormatException.class)
                .satisfies(e -> assertThat(Fuzz.hasLineBreak(e.getMessage())).as(Fuzz.show(e.getMessage())).isFalse())
                .hasMessageContaining("\\u0085x");
    }

    @Test
    void shouldRefuseAPluginWhoseVersionIsNotSemanticByItsFileName(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        // given plugins whose versions do not parse, next to one that does
        java.nio.file.Path plugins = java.nio.file.Files.createDirectories(tmp.resolve("plugins"));
        dev.belfry.host.testing.PluginJarBuilder.plugin("blank").version(" ").writeTo(plugins, "blank.jar");
        dev.belfry.host.testing.PluginJarBuilder.plugin("words").version("abc").writeTo(plugins, "words.jar");
        dev.belfry.host.testing.PluginJarBuilder.plugin("fine").version("1.0.0+build.5").writeTo(plugins, "fine.jar");
        // when
        try (dev.belfry.host.Host host = dev.belfry.host.Host.start(dev.belfry.host.HostConfig.builder()
                .dataDir(tmp.resolve("data")).pluginsDir(plugins).pluginScanInterval(java.time.Duration.ZERO).build())) {
            // then
            assertThat(host.plugins()).containsExactly("fine");
            assertThat(host.pluginProblems()).extracting(Object::toString)
                    .anySatisfy(p -> assertThat(p).startsWith("blank.jar: plugin blank: unusable Plugin-Version"))
                    .anySatisfy(p -> assertThat(p).startsWith("words.jar: plugin words: unusable Plugin-Version \"abc\""));
            log.assertLogged(Level.ERROR, "plugin refused: blank.jar: ").assertLogged(Level.ERROR,
                    "plugin refused: words.jar: ");
        }
    }

    @Test
    void shouldKeepAPluginProblemOnOneLineWhenTheDescriptorHoldsControlCharacters() {
        var problem = new dev.belfry.host.internal.plugins.PluginProblem(java.nio.file.Path.of("w.jar"),
                java.util.Optional.of("p"), java.util.Optional.empty(), "depends on plugin x\u001b\u0085y");
        assertThat(problem.toString()).isEqualTo("w.jar: plugin p: depends on plugin x\\u001b\\u0085y");
    }

    @Test
    void shouldPrintOneStderrLineWhenTheZoneOrAnOptionHoldsANewline() {
        for (String[] args : new String[][] {
                {"cron", "next", "0 3 * * *", "--zone", "Europe/Berlin\n"},
                {"cron", "next", "0 3 * * *", "--from", "2027-01-01\nT00:00:00Z"},
                {"cron", "next", "0 3 * * *", "--no-such\noption"},
                {"cron", "next", "0 3\u2028 * * *"}}) {
            StringWriter err = new StringWriter();
            int code = BelfryCli.run(CLOCK, new PrintWriter(new StringWriter()), new PrintWriter(err, true), args);
            assertThat(code).isEqualTo(2);
            String text = err.toString();
            assertThat(text).endsWith("\n");
            assertThat(Fuzz.hasLineBreak(text.substring(0, text.length() - 1))).as(Fuzz.show(text)).isFalse();
        }
    }

    @Test
    void shouldRefuseGarbageThatStartsLikeTheHelpOrVersionOption() {
        // Found by AdminFuzzTest (seed 15999470703996): "-hk|..." was read as -h -k and printed the usage, exit 0.
        for (String[] args : new String[][] {{"-hk|\u20291", "x"}, {"-hk"}, {"-Vx"}, {"jobs", "-hx"}}) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = BelfryCli.run(CLOCK, new PrintWriter(out), new PrintWriter(err, true), args);
            assertThat(code).as(String.join(" ", args)).isEqualTo(2);
            assertThat(out.toString()).isEmpty();
            assertThat(err.toString()).startsWith("belfry: Unknown option");
        }
        StringWriter out = new StringWriter();
        assertThat(BelfryCli.run(CLOCK, new PrintWriter(out, true), new PrintWriter(new StringWriter()), "-h")).isZero();
        assertThat(out.toString()).startsWith("Usage: belfry");
    }
}
