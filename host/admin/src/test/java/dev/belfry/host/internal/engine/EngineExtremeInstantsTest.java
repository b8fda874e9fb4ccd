package dev.belfry.host.internal.engine;

import ch.qos.logback.classic.Level;
import dev.belfry.host.testing.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.MisfirePolicy;
import dev.belfry.api.QName;
import dev.belfry.api.RetryPolicy;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.admin.Metrics;
import dev.belfry.host.internal.admin.RunHistory;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.state.RunLog;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.RunLogRecords;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFileOps;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Instants and durations at the ends of what {@link Instant} and {@link Duration} hold: every one of them is a valid
 * schedule for a plugin, or a valid {@code next_fire_at} for {@code belfry sidecar validate}, so the engine must take
 * each without an overflow.
 */
class EngineExtremeInstantsTest {
    private static final Instant NOW = Instant.parse("2027-01-04T12:00:00Z");
    private static final Instant YEAR_1700 = Instant.parse("1700-01-01T00:00:00Z");
    private static final Duration LONGEST = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);

    private final FakeClock clock = new FakeClock(NOW);
    private final MemorySink sink = new MemorySink();
    private final HeldRuns runs = new HeldRuns();
    @TempDir
    Path dir;
    private RunLog runLog;
    /** The admin module's metrics and the core's run history, as a host feeds them. */
    private EngineListener history;

    @BeforeEach
    void openRunHistory() throws IOException {
        runLog = RunLog.open(dir, SidecarFileOps.nio(), 10, Duration.ofHours(1), RunLog.Limits.DEFAULT, NOW);
        history = both(new RunHistory(new Metrics()), runLog);
    }

    private static EngineListener both(RunHistory metrics, RunLog runs) {
        return new EngineListener() {
            @Override
            public void runFinished(RunResult result) {
                metrics.runFinished(result);
                runs.add(result);
            }
        };
    }

    private Engine engine(EngineListener listener) {
        return new Engine(clock, sink, (job, at) -> true, runs, new EngineSettings(8, Duration.ofSeconds(5),
                Duration.ofSeconds(10), Duration.ofDays(30)), () -> 0.5, schedule -> { }, listener);
    }

    private static PluginJob job(JobSpec spec) {
        return new PluginJob(new QName("demo", spec.name()), spec, new NoOp(spec));
    }

    private JobRecord record(String name) {
        return sink.require("demo." + name);
    }

    /** A job that does nothing, successfully. */
    private record NoOp(JobSpec spec) implements BackgroundJob {
        @Override
        public void run(JobContext context) {
        }
    }

    @Test
    void shouldCompleteAOnceJobDueIn1700WhenItsLatenessIsRecordedInTheRunHistory() throws IOException {
        Engine engine = engine(history);
        engine.attach("demo", List.of(job(JobSpec.builder("old", Schedule.once(YEAR_1700)).build())));

        runs.runAll();

        JobRecord r = record("old");
        assertThat(r.status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(r.lastOutcome()).hasValueSatisfying(o -> assertThat(o.success()).isTrue());
        assertThat(runLog.runs(QName.parse("demo.old"))).hasSize(1);
        runLog.close(Duration.ofSeconds(5));
        assertThat(RunLog.open(dir, SidecarFileOps.nio(), 10, Duration.ofHours(1), RunLog.Limits.DEFAULT, NOW)
                .runs(QName.parse("demo.old"))).extracting(RunLogRecords.Run::scheduledFor).containsExactly(YEAR_1700);
    }

    @Test
    void shouldAttachEveryJobOfAPluginWhenAFixedRateJobsNextFireOnFileIsIn1700() {
        Schedule everyMinute = Schedule.every(Duration.ofMinutes(1));
        Engine engine = engine(history);
        engine.restore(List.of(JobRecord.pending(QName.parse("demo.rate"), "demo", everyMinute)
                .withEngineState(JobStatus.SCHEDULED, Optional.of(YEAR_1700), false, Optional.empty(), false, 1)));

        engine.attach("demo", List.of(job(JobSpec.builder("rate", everyMinute).misfire(MisfirePolicy.fireAll(3))
                .build()), job(JobSpec.builder("other", Schedule.manual()).build())));
        runs.runAll();

        assertThat(record("other").status()).isEqualTo(JobStatus.IDLE);
        JobRecord rate = record("rate");
        assertThat(rate.runCount()).isEqualTo(3); // the three latest missed fires
        assertThat(runLog.runs(QName.parse("demo.rate"))).extracting(RunLogRecords.Run::scheduledFor).containsExactly(NOW,
                NOW.minus(Duration.ofMinutes(1)), NOW.minus(Duration.ofMinutes(2)));
        assertThat(rate.nextFireAt()).contains(NOW.plus(Duration.ofMinutes(1)));
        assertThat(engine.stats().firesMissed()).isGreaterThan(170_000_000L); // a minute grid over 327 years
    }

    @Test
    void shouldKeepFiringOtherJobsWhenAOnceJobIsDueCenturiesFromNow() {
        Engine engine = engine(EngineListener.NONE);
        // The timer thread sleeps until the earliest timer; 500 years is more nanoseconds than a long holds.
        engine.attach("demo", List.of(job(JobSpec.builder("far", Schedule.once(NOW.plus(Duration.ofDays(500L * 366))))
                .build())));
        Set<Thread> before = timerThreads();
        engine.start();
        try (LogCapture log = LogCapture.of(Engine.class).atLevel(Level.DEBUG).start()) {
            Thread timer = timerThreads().stream().filter(t -> !before.contains(t)).findFirst().orElseThrow();
            Eventually.await(Duration.ofSeconds(10), () -> timer.getState() == Thread.State.TIMED_WAITING
                    || timer.getState() == Thread.State.TERMINATED, () -> "the timer thread to go to sleep");

            JobSpec soon = JobSpec.builder("soon", Schedule.every(Duration.ofMinutes(1))).build();
            engine.attach("later", List.of(new PluginJob(QName.parse("later.soon"), soon, new NoOp(soon))));

            Eventually.await(Duration.ofSeconds(10), () -> runs.size() == 1,
                    () -> "the periodic job due now to be handed to a worker by the timer thread");
            engine.shutdown(Duration.ZERO); // the held run never ends: recorded as cut off by the shutdown
            assertThat(log.messages(Engine.class, Level.ALL)).noneMatch(l -> l.startsWith("ERROR"));
        } finally {
            engine.shutdown(Duration.ZERO);
        }
    }

    private static Set<Thread> timerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("belfry-timer"))
                .collect(Collectors.toSet());
    }

    @Test
    void shouldRecordTheRunAndNotLeaveTheJobRunningWhenRecordingItInTheRunHistoryFails() {
        Engine engine = engine(new EngineListener() {
            @Override
            public void runFinished(RunResult result) {
                throw new IllegalStateException("history is broken");
            }
        });
        try (LogCapture log = LogCapture.of(Engine.class).atLevel(Level.DEBUG).start()) {
            engine.attach("demo", List.of(job(JobSpec.builder("once", Schedule.once(NOW)).build())));
            engine.runDue();
            runs.runAll();

            assertThat(record("once").status()).isEqualTo(JobStatus.COMPLETED);
            assertThat(log.messages(Engine.class, Level.ALL)).anyMatch(l -> l.startsWith("ERROR recording run 1 of job demo.once in the run"
                    + " history or the graph failed") && l.endsWith("history is broken"));
        }
    }

    @Test
    void shouldTakeTheRunOffTheJobWhenEndingItThrows() {
        // The retry jitter's source is broken: planning the retry of the failed run throws while the run ends.
        Engine engine = new Engine(clock, sink, (job, at) -> true, runs, new EngineSettings(8, Duration.ofSeconds(5),
                Duration.ofSeconds(10), Duration.ofDays(30)), () -> 1.5, schedule -> { }, EngineListener.NONE);
        JobSpec spec = JobSpec.builder("m", Schedule.manual()).retry(RetryPolicy.exponential(3, Duration.ofSeconds(1)))
                .build();
        BackgroundJob failing = new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return spec;
            }

            @Override
            public void run(JobContext context) {
                throw new IllegalStateException("job failed");
            }
        };
        try (LogCapture log = LogCapture.of(Engine.class).atLevel(Level.DEBUG).start()) {
            engine.attach("demo", List.of(new PluginJob(QName.parse("demo.m"), spec, failing)));
            engine.trigger(QName.parse("demo.m"));
            runs.runAll();

            assertThat(engine.job(QName.parse("demo.m")).orElseThrow().running()).isEmpty();
            assertThat(record("m").status()).isEqualTo(JobStatus.IDLE);
            assertThat(engine.stats().runsExecuting()).isZero();
            assertThat(log.messages(Engine.class, Level.ALL)).anyMatch(l -> l.startsWith("ERROR ending run 1 of job demo.m failed")
                    && l.endsWith("randomUnit must be in [0, 1): 1.5"));
        }
    }

    // ------------------------------------------------------------------------------------------ fuzz

    @Test
    void shouldHandleEveryInstantAndDurationTheApiAcceptsWithoutOverflow() {
        for (long seed = 1; seed <= 200; seed++) {
            fuzzOnce(seed);
        }
    }

    private void fuzzOnce(long seed) {
        Random random = new Random(seed);
        FakeClock fuzzClock = new FakeClock(NOW);
        MemorySink fuzzSink = new MemorySink();
        HeldRuns fuzzRuns = new HeldRuns();
        EngineListener fuzzHistory = both(new RunHistory(new Metrics()), runLog);
        Engine engine = new Engine(fuzzClock, fuzzSink, (job, at) -> true, fuzzRuns, new EngineSettings(8,
                Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofDays(30)), () -> 0.5, schedule -> { },
                fuzzHistory);
        String context = "seed " + seed;
        try (LogCapture log = LogCapture.of(Engine.class).atLevel(Level.DEBUG).start()) {
            List<JobRecord> onFile = new ArrayList<>();
            List<PluginJob> provided = new ArrayList<>();
            int count = 1 + random.nextInt(4);
            for (int i = 0; i < count; i++) {
                JobSpec.Builder spec = JobSpec.builder("j" + i, schedule(random)).misfire(misfire(random));
                if (random.nextBoolean()) {
                    spec.timeout(positive(random));
                }
                PluginJob job = job(spec.build());
                provided.add(job);
                // Seldom for cron: catching up on its fires since 1700 walks the million-step limit, a second each.
                boolean cron = job.spec().schedule() instanceof Schedule.Cron;
                if (cron ? random.nextInt(4) == 0 : random.nextBoolean()) {
                    JobStatus status = random.nextBoolean() ? JobStatus.SCHEDULED : JobStatus.RUNNING;
                    onFile.add(JobRecord.pending(job.qname(), "demo", job.spec().schedule())
                            .withLastStartedAt(Optional.of(instant(random)))
                            .withRunCount(random.nextInt(3))
                            .withEngineState(status, Optional.of(instant(random)), false, Optional.empty(), false, 1));
                }
            }
            context += ": " + provided.stream().map(j -> Schedules.describe(j.spec().schedule()) + " / "
                    + Schedules.describe(j.spec().misfire()) + " / timeout " + j.spec().timeout()).toList()
                    + ", on file " + onFile;

                engine.restore(onFile);
            engine.attach("demo", provided);
            engine.orphanJobsOfMissingPlugins(Set.of("demo"));
            fuzzRuns.runAll();
            for (int step = 0; step < 4; step++) {
                fuzzClock.advance(List.of(Duration.ZERO, Duration.ofMillis(1), Duration.ofSeconds(11),
                        Duration.ofDays(400)).get(random.nextInt(4)));
                engine.runDue();
                if (random.nextInt(3) == 0) {
                    QName some = provided.get(random.nextInt(provided.size())).qname();
                    engine.pause(some);
                    engine.resume(some);
                    engine.trigger(some);
                }
                if (random.nextInt(3) == 0) {
                    engine.schedulerFor("demo").replace(new NoOp(JobSpec.builder("dyn", schedule(random))
                            .misfire(misfire(random)).build()));
                }
                fuzzRuns.runAll();
            }
            engine.shutdown(Duration.ZERO);

            assertThat(fuzzSink.records.values()).as(context)
                    .noneMatch(r -> r.status() == JobStatus.RUNNING);
            // What the engine made of it all can be written and read back.
            SidecarCodec codec = new SidecarCodec();
            SidecarDocument doc = SidecarDocument.of(fuzzClock.instant(), List.copyOf(fuzzSink.records.values()));
            assertThat(codec.decode(codec.encode(doc), "fuzz").jobs()).as(context).hasSameSizeAs(doc.jobs());
            assertThat(log.messages(Engine.class, Level.ALL)).as(context).noneMatch(l -> l.startsWith("ERROR"));
        } catch (RuntimeException | AssertionError e) {
            throw new AssertionError(context + ": " + e, e);
        }
    }

    /** An instant of any size, the ends and the overflow boundaries of a long of nanoseconds more often. */
    private static Instant instant(Random random) {
        return switch (random.nextInt(8)) {
            case 0 -> Instant.MIN;
            case 1 -> Instant.MAX;
            case 2 -> YEAR_1700;
            case 3 -> NOW.minusSeconds(Long.MAX_VALUE / 1_000_000_000L + random.nextInt(3) - 1);
            case 4 -> NOW.plusSeconds(Long.MAX_VALUE / 1_000_000_000L + random.nextInt(3) - 1);
            case 5 -> NOW.plusSeconds(random.nextInt(120) - 60);
            default -> Instant.ofEpochSecond(Instant.MIN.getEpochSecond()
                    + (long) (random.nextDouble() * ((double) Instant.MAX.getEpochSecond() * 2)),
                    random.nextInt(1_000_000_000));
        };
    }

    /** A positive duration of any size. */
    private static Duration positive(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> LONGEST;
            case 1 -> Duration.ofNanos(Long.MAX_VALUE);
            case 2 -> Duration.ofNanos(Long.MAX_VALUE).plusNanos(1);
            case 3 -> Duration.ofMillis(1 + random.nextInt(1000));
            case 4 -> Duration.ofSeconds(Math.abs(random.nextLong()) / 2 + 1);
            default -> Duration.ofDays(1 + random.nextInt(500_000));
        };
    }

    private static Schedule schedule(Random random) {
        int kind = random.nextInt(10);
        if (kind < 3) {
            return Schedule.once(instant(random));
        } else if (kind < 6) {
            return Schedule.every(positive(random), random.nextBoolean() ? PeriodicMode.FIXED_RATE
                    : PeriodicMode.FIXED_DELAY, random.nextBoolean() ? Duration.ZERO : positive(random));
        } else if (kind == 6) {
            return Schedule.every(Duration.ofMillis(1 + random.nextInt(5)));
        } else if (kind == 7) {
            return Schedule.cron(random.nextBoolean() ? "0 0 29 2 *" : "0 12 * * MON", ZoneId.of("Europe/Berlin"));
        }
        return Schedule.manual();
    }

    private static MisfirePolicy misfire(Random random) {
        return switch (random.nextInt(3)) {
            case 0 -> MisfirePolicy.skip();
            case 1 -> MisfirePolicy.fireOnce();
            default -> MisfirePolicy.fireAll(random.nextInt(20) == 0 ? MisfirePolicy.FireAll.MAX
                    : 1 + random.nextInt(3));
        };
    }
}
