package dev.belfry.host.internal.engine;

import ch.qos.logback.classic.Level;
import dev.belfry.host.testing.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.MisfirePolicy;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.sidecar.JobRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The engine's log lines read as sentences: policies in words, a plugin's restart told apart from its return. */
class EngineLogLinesTest {
    private static final Instant NOW = Instant.parse("2027-01-04T12:00:00Z");
    private static final QName TICK = QName.parse("demo.tick");

    private final FakeClock clock = new FakeClock(NOW);
    private final MemorySink sink = new MemorySink();
    private final HeldRuns runs = new HeldRuns();

    private Engine newEngine() {
        return new Engine(clock, sink, (job, at) -> true, runs, new EngineSettings(8, Duration.ofSeconds(5),
                Duration.ofSeconds(10), Duration.ofDays(30)), () -> 0.5, schedule -> { }, EngineListener.NONE);
    }

    private static List<PluginJob> tick(MisfirePolicy misfire) {
        JobSpec spec = JobSpec.builder("tick", Schedule.every(Duration.ofMinutes(1))).misfire(misfire).build();
        BackgroundJob code = new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return spec;
            }

            @Override
            public void run(JobContext context) {
            }
        };
        return List.of(new PluginJob(TICK, spec, code));
    }

    @Test
    void shouldEscapeTerminalCodesOfAFailureMessageInTheLogButStoreItAsItWas() {
        String hostile = "\u001b[31mred\nWARN forged line";
        JobSpec spec = JobSpec.builder("tick", Schedule.every(Duration.ofMinutes(1))).build();
        BackgroundJob code = new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return spec;
            }

            @Override
            public void run(JobContext context) {
                throw new IllegalStateException(hostile);
            }
        };
        Engine engine = newEngine();
        engine.attach("demo", List.of(new PluginJob(TICK, spec, code)));

        try (LogCapture log = LogCapture.of(Engine.class).start()) {
            engine.runDue();
            runs.runAll();
            assertThat(log.messages(Engine.class, Level.WARN)).containsExactly("WARN run 1 of job demo.tick"
                    + " (attempt 1) failed: java.lang.IllegalStateException: \\u001b[31mred\\u000aWARN forged line");
        }
        assertThat(sink.records.get(TICK).lastOutcome().orElseThrow().message())
                .isEqualTo("java.lang.IllegalStateException: " + hostile);
    }

    @Test
    void shouldNameTheMisfirePolicyInWordsWhenFiresWereMissed() {
        Engine engine = newEngine();
        engine.attach("demo", tick(MisfirePolicy.fireOnce()));
        engine.runDue();
        runs.runAll();
        engine.pause(TICK);
        clock.advance(Duration.ofMinutes(5));

        try (LogCapture log = LogCapture.of(Engine.class).atLevel(Level.DEBUG).start()) {
            engine.resume(TICK);

            assertThat(log.messages(Engine.class, Level.ALL)).contains("INFO job demo.tick missed 5 fire(s) since 2027-01-04T12:01:00Z;"
                    + " misfire policy fire once runs 1 of them");
        }
        runs.runAll();
        engine.pause(TICK);
        engine.detach("demo", Duration.ZERO);
        engine.attach("demo", tick(MisfirePolicy.fireAll(3)));
        clock.advance(Duration.ofMinutes(5));
        try (LogCapture log = LogCapture.of(Engine.class).atLevel(Level.DEBUG).start()) {
            engine.resume(TICK);

            assertThat(log.messages(Engine.class, Level.ALL)).anyMatch(l -> l.endsWith("misfire policy fire all (at most 3) runs 3 of them"));
        }
    }

    @Test
    void shouldLogAPluginsRestartAsJobsKeptRatherThanBackFromOrphaned() {
        Engine engine = newEngine();
        engine.attach("demo", tick(MisfirePolicy.fireOnce()));

        try (LogCapture log = LogCapture.of(Engine.class).atLevel(Level.DEBUG).start()) {
            engine.detach("demo", Duration.ZERO); // a new version of the jar: the old one stops, the new one starts
            engine.attach("demo", tick(MisfirePolicy.fireOnce()));

            assertThat(log.messages(Engine.class, Level.ALL)).contains("INFO plugin demo: 1 job(s) attached (0 new, 0 known from the"
                    + " stored state, 1 kept from before its restart, 0 back from orphaned)");
        }
    }

    @Test
    void shouldLogJobsWhosePluginWasMissingAtStartAsBackFromOrphaned() {
        Engine engine = newEngine();
        engine.restore(List.of(JobRecord.pending(TICK, "demo", Schedule.every(Duration.ofMinutes(1)))));
        engine.orphanJobsOfMissingPlugins(Set.of());

        try (LogCapture log = LogCapture.of(Engine.class).atLevel(Level.DEBUG).start()) {
            engine.attach("demo", tick(MisfirePolicy.fireOnce()));

            assertThat(log.messages(Engine.class, Level.ALL)).contains("INFO plugin demo: 1 job(s) attached (0 new, 0 known from the stored state,"
                    + " 0 kept from before its restart, 1 back from orphaned)");
        }
    }
}
