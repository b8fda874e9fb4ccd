package dev.belfry.host.internal.engine;

import ch.qos.logback.classic.Level;
import dev.belfry.host.testing.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** {@code JobScheduler.replace()} of a one-shot job, and triggering one that has completed. */
class EngineReplaceTest {
    private static final Instant NOW = Instant.parse("2027-01-04T12:00:00Z");
    private static final QName COMPACT = QName.parse("demo.compact");

    private final FakeClock clock = new FakeClock(NOW);
    private final MemorySink sink = new MemorySink();
    private final HeldRuns runs = new HeldRuns();
    private final List<Instant> compactions = new CopyOnWriteArrayList<>();

    private Engine newEngine() {
        return new Engine(clock, sink, (job, at) -> true, runs, new EngineSettings(8, Duration.ofSeconds(5),
                Duration.ofSeconds(10), Duration.ofDays(30)), () -> 0.5, schedule -> { }, EngineListener.NONE);
    }

    /** A one-off job like ingest-demo's compaction; it fails while {@code failing} says so. */
    private final class Compact implements BackgroundJob {
        private final Instant at;
        private final boolean failing;

        Compact(Instant at, boolean failing) {
            this.at = at;
            this.failing = failing;
        }

        @Override
        public JobSpec spec() {
            return JobSpec.builder("compact", Schedule.once(at)).build();
        }

        @Override
        public void run(JobContext context) {
            compactions.add(context.scheduledFor());
            if (failing) {
                throw new IllegalStateException("compaction failed");
            }
        }
    }

    private void at(Instant instant, Engine engine) {
        clock.set(instant);
        engine.runDue();
        runs.runAll();
    }

    private JobRecord compact() {
        return sink.require(COMPACT.toString());
    }

    @Test
    void shouldFireAReplacedOnceJobAtItsNewInstantWhenItHadCompleted() {
        Engine engine = newEngine();
        engine.schedulerFor("demo").add(new Compact(NOW.plusSeconds(30), false));
        at(NOW.plusSeconds(30), engine);
        assertThat(compact().status()).isEqualTo(JobStatus.COMPLETED);

        engine.schedulerFor("demo").replace(new Compact(NOW.plusSeconds(90), false));

        assertThat(compact().status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(compact().nextFireAt()).contains(NOW.plusSeconds(90));
        assertThat(compact().schedule()).isEqualTo(Schedule.once(NOW.plusSeconds(90)));
        at(NOW.plusSeconds(90), engine);
        assertThat(compactions).containsExactly(NOW.plusSeconds(30), NOW.plusSeconds(90));
        assertThat(compact().status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(compact().nextFireAt()).isEmpty();
    }

    @Test
    void shouldFireAReplacedOnceJobAtItsNewInstantWhenItsFireHadFailed() {
        Engine engine = newEngine();
        try (LogCapture log = LogCapture.of(Engine.class).atLevel(Level.DEBUG).start()) {
            engine.schedulerFor("demo").add(new Compact(NOW.plusSeconds(30), true));
            at(NOW.plusSeconds(30), engine);
            assertThat(compact().status()).isEqualTo(JobStatus.FAILED);
            assertThat(log.messages(Engine.class, Level.ALL)).contains("WARN run 1 of job demo.compact (attempt 1) failed:"
                    + " java.lang.IllegalStateException: compaction failed");
        }

        engine.schedulerFor("demo").replace(new Compact(NOW.plusSeconds(90), false));
        at(NOW.plusSeconds(90), engine);

        assertThat(compactions).containsExactly(NOW.plusSeconds(30), NOW.plusSeconds(90));
        assertThat(compact().status()).isEqualTo(JobStatus.COMPLETED);
    }

    @Test
    void shouldKeepTheNewInstantOfAReplacedOnceJobAcrossARestart() {
        Engine first = newEngine();
        try (LogCapture log = LogCapture.of(Engine.class).atLevel(Level.DEBUG).start()) {
            first.schedulerFor("demo").add(new Compact(NOW.plusSeconds(30), true));
            at(NOW.plusSeconds(30), first);
        }
        first.schedulerFor("demo").replace(new Compact(NOW.plusSeconds(90), false));
        first.shutdown(Duration.ZERO);

        Engine second = newEngine(); // the plugin schedules the same job again once it is back
        second.restore(List.copyOf(sink.records.values()));
        second.schedulerFor("demo").replace(new Compact(NOW.plusSeconds(90), false));
        second.orphanJobsOfMissingPlugins(java.util.Set.of("demo"));

        assertThat(compact().status()).isEqualTo(JobStatus.SCHEDULED);
        at(NOW.plusSeconds(90), second);
        assertThat(compactions).containsExactly(NOW.plusSeconds(30), NOW.plusSeconds(90));
        assertThat(compact().status()).isEqualTo(JobStatus.COMPLETED);
    }

    @Test
    void shouldKeepACompletedOnceJobCompletedWhenReplacedWithTheSameInstant() {
        Engine engine = newEngine();
        engine.schedulerFor("demo").add(new Compact(NOW.plusSeconds(30), false));
        at(NOW.plusSeconds(30), engine);

        engine.schedulerFor("demo").replace(new Compact(NOW.plusSeconds(30), false));
        at(NOW.plusSeconds(60), engine);

        assertThat(compactions).containsExactly(NOW.plusSeconds(30));
        assertThat(compact().status()).isEqualTo(JobStatus.COMPLETED);
    }

    @Test
    void shouldRunACompletedOnceJobOnceMoreWhenTriggeredAndLeaveItCompleted() {
        Engine engine = newEngine();
        engine.schedulerFor("demo").add(new Compact(NOW.plusSeconds(30), false));
        at(NOW.plusSeconds(30), engine);

        clock.set(NOW.plusSeconds(45));
        assertThat(engine.trigger(COMPACT)).isEqualTo(TriggerOutcome.STARTED);
        runs.runAll();
        at(NOW.plusSeconds(600), engine);

        assertThat(compactions).containsExactly(NOW.plusSeconds(30), NOW.plusSeconds(45));
        assertThat(compact().status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(compact().runCount()).isEqualTo(2);
        assertThat(compact().nextFireAt()).isEmpty();
    }

    @Test
    void shouldRunEveryCompactionThatAnIngestJobSchedulesFromItsRuns() {
        // ingest-demo: every minute the ingest job replaces its one-off compaction with one 30 s after its fire.
        Engine engine = newEngine();
        BackgroundJob ingest = new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return JobSpec.builder("ingest", Schedule.every(Duration.ofMinutes(1))).build();
            }

            @Override
            public void run(JobContext context) {
                context.scheduler().replace(new Compact(context.firedAt().plusSeconds(30), false));
            }
        };
        engine.attach("demo", List.of(new PluginJob(QName.parse("demo.ingest"), ingest.spec(), ingest)));

        for (int second = 0; second <= 8 * 60; second += 30) {
            at(NOW.plusSeconds(second), engine);
        }

        assertThat(compactions).hasSize(8).containsExactly(NOW.plusSeconds(30), NOW.plusSeconds(90),
                NOW.plusSeconds(150), NOW.plusSeconds(210), NOW.plusSeconds(270), NOW.plusSeconds(330),
                NOW.plusSeconds(390), NOW.plusSeconds(450));
    }

    @Test
    void shouldFireAOnceJobThatFailedAfterReplacingItselfWithANewInstant() {
        Engine engine = newEngine();
        Instant first = NOW.plusSeconds(30);
        Instant second = NOW.plusSeconds(90);
        BackgroundJob selfReplacing = new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return JobSpec.builder("compact", Schedule.once(first)).build();
            }

            @Override
            public void run(JobContext context) {
                compactions.add(context.scheduledFor());
                context.scheduler().replace(new Compact(second, false)); // try again later, then fail this time
                throw new IllegalStateException("compaction failed");
            }
        };
        engine.schedulerFor("demo").add(selfReplacing);
        try (LogCapture log = LogCapture.of(Engine.class).atLevel(Level.DEBUG).start()) {
            at(first, engine);
            assertThat(log.messages(Engine.class, Level.ALL)).anyMatch(l -> l.startsWith("WARN run 1 of job demo.compact (attempt 1) failed"));
        }

        assertThat(compact().status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(compact().nextFireAt()).contains(second);
        at(second, engine);
        assertThat(compactions).containsExactly(first, second);
        assertThat(compact().status()).isEqualTo(JobStatus.COMPLETED);
    }

    @Test
    void shouldNotRunADeclaredOnceJobAgainWhenItsNextLoadGivesItAnotherInstant() {
        // A declared job with Schedule.once(Instant.now()) in its spec: "run once when first installed".
        Engine engine = newEngine();
        engine.attach("demo", List.of(new PluginJob(COMPACT, new Compact(NOW, false).spec(), new Compact(NOW, false))));
        at(NOW, engine);
        engine.detach("demo", Duration.ZERO);

        Instant later = NOW.plusSeconds(60);
        engine.attach("demo", List.of(new PluginJob(COMPACT, new Compact(later, false).spec(),
                new Compact(later, false))));
        at(later.plusSeconds(60), engine);

        assertThat(compactions).containsExactly(NOW);
        assertThat(compact().nextFireAt()).isEmpty();
    }
}
