package dev.belfry.host.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.MisfirePolicy;
import dev.belfry.api.OverlapPolicy;
import dev.belfry.api.QName;
import dev.belfry.api.RetryPolicy;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.cron.CronCompiler;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

class EngineTest {
    private static final Duration SECOND = Duration.ofSeconds(1);

    private final FakeClock clock = FakeClock.at("2027-01-04T12:00:00Z");
    private final MemorySink sink = new MemorySink();
    private final HeldRuns runs = new HeldRuns();
    private final List<String> claimsRefused = new ArrayList<>();
    private EngineSettings settings = new EngineSettings(8, Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofDays(30));
    private RunExecutor executor = runs;
    private Engine engine;
    private ExecutorService realThreads;

    /** Runs failed on purpose are logged at WARN: asserted where a test expects them, kept off the console. */
    @RegisterExtension
    final LogCapture failureLog = LogCapture.of(Engine.class);

    @AfterEach
    void tearDown() {
        if (realThreads != null) {
            realThreads.shutdownNow();
        }
    }

    /** For a run that ends on a worker thread: its WARN line may come a moment after the test sees the record. */
    private void awaitFailureLogged(String line) {
        Eventually.await(Duration.ofSeconds(10), () -> !failureLog.matching(Level.WARN, line).isEmpty(),
                () -> "a WARN line containing \"" + line + "\"; caught " + failureLog.lines(Level.ALL));
    }

    private Engine engine() {
        if (engine == null) {
            engine = new Engine(clock, sink, (job, at) -> !claimsRefused.contains(job.toString()), executor, settings,
                    () -> 0.5, schedule -> {
                        if (schedule instanceof Schedule.Cron c) {
                            CronCompiler.compile(c.expression(), c.zone());
                        }
                    }, EngineListener.NONE);
        }
        return engine;
    }

    /** A job whose runs are recorded and whose behaviour the test chooses. */
    static final class TestJob implements BackgroundJob {
        final JobSpec spec;
        final Behaviour behaviour;
        final List<JobContext> contexts = new CopyOnWriteArrayList<>();

        interface Behaviour {
            void run(JobContext ctx) throws Exception;
        }

        TestJob(JobSpec spec, Behaviour behaviour) {
            this.spec = spec;
            this.behaviour = behaviour;
        }

        @Override
        public JobSpec spec() {
            return spec;
        }

        @Override
        public void run(JobContext context) throws Exception {
            contexts.add(context);
            behaviour.run(context);
        }

        List<Instant> scheduledFors() {
            return contexts.stream().map(JobContext::scheduledFor).toList();
        }

        List<Integer> attempts() {
            return contexts.stream().map(JobContext::attempt).toList();
        }
    }

    private TestJob register(JobSpec spec, TestJob.Behaviour behaviour) {
        TestJob job = new TestJob(spec, behaviour);
        engine().attach("demo", List.of(new PluginJob(new QName("demo", spec.name()), spec, job)));
        return job;
    }

    private TestJob register(JobSpec spec) {
        return register(spec, ctx -> { });
    }

    private void at(String isoInstant) {
        clock.set(Instant.parse(isoInstant));
    }

    private JobRecord record(String name) {
        return sink.require("demo." + name);
    }

    // ------------------------------------------------------------------------------------------ firing

    @Test
    void shouldListEveryJobOnceInNameOrderWhenThereAreMoreThanOnePartOfTheSnapshot() {
        List<PluginJob> jobs = new ArrayList<>();
        int count = Engine.SNAPSHOT_PART * 2 + 7;
        for (int i = count - 1; i >= 0; i--) {
            JobSpec spec = JobSpec.builder(String.format("job%04d", i), Schedule.manual()).build();
            jobs.add(new PluginJob(new QName("demo", spec.name()), spec, new TestJob(spec, ctx -> { })));
        }
        engine().attach("demo", jobs);

        List<JobSnapshot> listed = engine().jobs();

        assertThat(listed).hasSize(count);
        assertThat(listed.stream().map(j -> j.record().qname().name()).toList())
                .isSorted().doesNotHaveDuplicates().startsWith("job0000").endsWith(String.format("job%04d", count - 1));
    }

    /** The counts by status the engine keeps as jobs change, against a count of its full list. */
    private void assertCountsAsListed() {
        java.util.Map<JobStatus, Integer> listed = new java.util.EnumMap<>(JobStatus.class);
        for (JobStatus status : JobStatus.values()) {
            listed.put(status, 0);
        }
        engine().jobs().forEach(j -> listed.merge(j.record().status(), 1, Integer::sum));
        assertThat(engine().jobsByStatus()).isEqualTo(listed);
    }

    @Test
    void shouldKeepItsCountsByStatusAsJobsRunArePausedCancelledAndOrphaned() {
        register(JobSpec.builder("tick", Schedule.every(Duration.ofMinutes(1))).build());
        register(JobSpec.builder("button", Schedule.manual()).build());
        register(JobSpec.builder("later", Schedule.every(Duration.ofMinutes(5))).build());
        assertCountsAsListed();
        assertThat(engine().jobsByStatus().get(JobStatus.SCHEDULED)).isEqualTo(2);

        at("2027-01-04T12:01:00Z");
        engine().runDue();
        assertThat(engine().jobsByStatus().get(JobStatus.RUNNING)).isPositive();
        assertCountsAsListed();
        runs.runAll();
        engine().pause(QName.parse("demo.later"));
        engine().cancel(QName.parse("demo.button"));
        assertCountsAsListed();

        engine().detach("demo", Duration.ZERO);
        engine().orphanJobsOfMissingPlugins(java.util.Set.of());
        assertThat(engine().jobsByStatus().get(JobStatus.ORPHANED)).isPositive();
        assertCountsAsListed();
    }

    @Test
    void shouldListTheFirstFiresOffTheTopOfItsTimersAsACountOfEveryJobWould() {
        // 40 jobs every 7 to 46 minutes, some paused (their timers cancelled, still in the heap), some fired once.
        for (int i = 0; i < 40; i++) {
            register(JobSpec.builder(String.format("every%02d", i), Schedule.every(Duration.ofMinutes(7 + i)))
                    .build());
        }
        for (int i = 0; i < 40; i += 3) {
            engine().pause(QName.parse(String.format("demo.every%02d", i)));
        }
        at("2027-01-04T12:07:00Z");
        engine().runDue();
        runs.runAll();
        Instant horizon = Instant.parse("2027-01-04T13:07:00Z");
        List<JobRecord> records = engine().jobs().stream().map(JobSnapshot::record).toList();

        List<UpcomingFires.Fire> fromTimers = engine().upcomingFires(horizon, 20);

        assertThat(fromTimers).hasSize(20)
                .isEqualTo(dev.belfry.host.internal.JobsAtAGlance.of(records, horizon, 20).upcoming());
        assertThat(fromTimers).extracting(UpcomingFires.Fire::at).isSorted();
        assertThat(fromTimers).extracting(f -> f.job().name()).doesNotContain("every00", "every03")
                .contains("every01"); // paused ones never; every 8 min from 12:00: 12:08, then again at 12:16
        assertThat(fromTimers.stream().filter(f -> f.job().name().equals("every01")).count()).isGreaterThan(1);
        assertThat(engine().upcomingFires(Instant.parse("2027-01-04T12:08:00Z"), 20)).isEmpty();
    }

    @Test
    void shouldKeepOnlyTheFirst500CharactersOfAProgressMessage() {
        java.util.concurrent.atomic.AtomicReference<JobSnapshot> seen = new java.util.concurrent.atomic.AtomicReference<>();
        register(JobSpec.builder("chatty", Schedule.manual()).build(), ctx -> {
            ctx.progress(0.5, "A".repeat(300_000));
            seen.set(engine().job(QName.parse("demo.chatty")).orElseThrow());
        });

        engine().trigger(QName.parse("demo.chatty"));
        runs.runAll();

        assertThat(seen.get().running()).singleElement().satisfies(r -> {
            assertThat(r.message()).hasSize(Run.MAX_PROGRESS_CHARS).startsWith("AAA").endsWith("…");
            assertThat(r.progress()).isEqualTo(0.5);
        });
    }

    @Test
    void shouldListTheSameNamesInOrderUntilAJobIsAddedOrRemoved() {
        register(JobSpec.builder("b", Schedule.manual()).build());
        register(JobSpec.builder("a", Schedule.every(Duration.ofMinutes(1))).build());
        List<QName> names = engine().names();
        assertThat(names).containsExactly(QName.parse("demo.a"), QName.parse("demo.b"));

        at("2027-01-04T12:01:00Z");
        engine().runDue(); // a job's state changes, not which jobs there are
        runs.runAll();
        assertThat(engine().names()).isSameAs(names);

        engine().attachApplication("app", List.of(new PluginJob(QName.parse("app.c"),
                JobSpec.builder("c", Schedule.manual()).build(), new TestJob(JobSpec.builder("c", Schedule.manual())
                .build(), ctx -> { }))));
        assertThat(engine().names()).containsExactly(QName.parse("app.c"), QName.parse("demo.a"),
                QName.parse("demo.b"));
        assertThat(engine().jobs(List.of(QName.parse("demo.b"), QName.parse("gone.x"), QName.parse("app.c"))))
                .extracting(j -> j.record().qname().toString()).containsExactly("demo.b", "app.c");
    }

    @Test
    void shouldFireACronJobAtEachMatchingInstantWhenTheClockReachesIt() {
        TestJob job = register(JobSpec.builder("every5", Schedule.cron("*/5 * * * *")).build());
        assertThat(engine().nextDue()).contains(Instant.parse("2027-01-04T12:05:00Z"));

        at("2027-01-04T12:04:59Z");
        assertThat(engine().runDue()).isZero();

        at("2027-01-04T12:05:00Z");
        assertThat(engine().runDue()).isEqualTo(1);
        assertThat(record("every5").status()).isEqualTo(JobStatus.RUNNING);
        runs.runAll();

        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:05:00Z"));
        JobRecord r = record("every5");
        assertThat(r.status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(r.runCount()).isEqualTo(1);
        assertThat(r.nextFireAt()).contains(Instant.parse("2027-01-04T12:10:00Z"));
        assertThat(r.lastOutcome()).hasValueSatisfying(o -> assertThat(o.success()).isTrue());
    }

    @Test
    void shouldKeepAFixedRateJobOnItsGridWhenItsRunsAreSlowOrLate() {
        TestJob job = register(JobSpec.builder("rate", Schedule.every(Duration.ofSeconds(10))).build());
        // first fire at registration (no initial delay)
        engine().runDue();
        clock.advance(Duration.ofSeconds(7));
        runs.runAll(); // a slow run: finishes 7 s in

        clock.advance(Duration.ofSeconds(4)); // 11 s: one second late for the 10 s fire
        engine().runDue();
        runs.runAll();

        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:00:00Z"),
                Instant.parse("2027-01-04T12:00:10Z"));
        assertThat(record("rate").nextFireAt()).contains(Instant.parse("2027-01-04T12:00:20Z"));
    }

    @Test
    void shouldCountAFixedDelayJobsPeriodFromTheEndOfItsRun() {
        TestJob job = register(JobSpec.builder("delay", Schedule.every(Duration.ofSeconds(10), PeriodicMode.FIXED_DELAY,
                Duration.ofSeconds(1))).build());
        clock.advance(SECOND);
        engine().runDue();
        clock.advance(Duration.ofSeconds(3));
        runs.runAll(); // ends at 12:00:04

        assertThat(record("delay").nextFireAt()).contains(Instant.parse("2027-01-04T12:00:14Z"));
        at("2027-01-04T12:00:14Z");
        engine().runDue();
        runs.runAll();
        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:00:01Z"),
                Instant.parse("2027-01-04T12:00:14Z"));
    }

    @Test
    void shouldNeverFireAManualJobByItselfButRunItWhenTriggered() {
        TestJob job = register(JobSpec.builder("manual", Schedule.manual()).build());
        clock.advance(Duration.ofDays(3));
        assertThat(engine().runDue()).isZero();
        assertThat(record("manual").status()).isEqualTo(JobStatus.IDLE);

        assertThat(engine().trigger(QName.parse("demo.manual"))).isEqualTo(TriggerOutcome.STARTED);
        runs.runAll();

        assertThat(job.scheduledFors()).containsExactly(clock.instant());
        assertThat(record("manual").status()).isEqualTo(JobStatus.IDLE);
        assertThat(record("manual").runCount()).isEqualTo(1);
    }

    @Test
    void shouldRefuseToTriggerAnUnknownJob() {
        assertThatThrownBy(() -> engine().trigger(QName.parse("demo.nope")))
                .isInstanceOf(JobOperationException.class)
                .hasMessage("no job named demo.nope")
                .extracting(e -> ((JobOperationException) e).reason())
                .isEqualTo(JobOperationException.Reason.NOT_FOUND);
    }

    @Test
    void shouldCompleteAOnceJobAndNeverFireItAgain() {
        TestJob job = register(JobSpec.builder("once", Schedule.once(Instant.parse("2027-01-04T13:00:00Z"))).build());
        at("2027-01-04T13:00:00Z");
        engine().runDue();
        runs.runAll();
        clock.advance(Duration.ofDays(400));
        engine().runDue();

        assertThat(job.contexts).hasSize(1);
        assertThat(record("once").status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(record("once").nextFireAt()).isEmpty();
    }

    @Test
    void shouldNeverFireACompletedOnceJobAgainAfterARestart() {
        Schedule once = Schedule.once(Instant.parse("2027-01-04T11:00:00Z"));
        engine().restore(List.of(JobRecord.pending(new QName("demo", "once"), "demo", once)
                .withStatus(JobStatus.COMPLETED).withRunCount(1)));
        TestJob job = register(JobSpec.builder("once", once).build());
        clock.advance(Duration.ofDays(1));
        engine().runDue();

        assertThat(job.contexts).isEmpty();
        assertThat(record("once").status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(engine().nextDue()).isEmpty();
    }

    @Test
    void shouldFireAOnceJobMissedDuringDowntimeExactlyOnce() {
        Schedule once = Schedule.once(Instant.parse("2027-01-04T11:00:00Z"));
        engine().restore(List.of(JobRecord.pending(new QName("demo", "once"), "demo", once)
                .withStatus(JobStatus.SCHEDULED).withNextFireAt(Optional.of(Instant.parse("2027-01-04T11:00:00Z")))));
        TestJob job = register(JobSpec.builder("once", once).build());
        runs.runAll();
        clock.advance(Duration.ofDays(1));
        engine().runDue();

        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T11:00:00Z"));
        assertThat(record("once").status()).isEqualTo(JobStatus.COMPLETED);
    }

    // ------------------------------------------------------------------------------------------ overlap

    @Test
    void shouldSkipFiresWhileTheJobIsStillRunningByDefault() {
        TestJob job = register(JobSpec.builder("slow", Schedule.every(Duration.ofSeconds(10))).build());
        engine().runDue();                    // 12:00:00 starts and keeps running
        clock.advance(Duration.ofSeconds(10));
        engine().runDue();                    // 12:00:10: still running: skipped
        clock.advance(Duration.ofSeconds(10));
        engine().runDue();                    // 12:00:20: skipped too
        runs.runAll();

        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:00:00Z"));
        assertThat(engine().stats().firesSkipped()).isEqualTo(2);
        assertThat(record("slow").nextFireAt()).contains(Instant.parse("2027-01-04T12:00:30Z"));
    }

    @Test
    void shouldQueueOneFireAndSkipTheRestWhenTheOverlapPolicyIsQueueOne() {
        TestJob job = register(JobSpec.builder("q", Schedule.every(Duration.ofSeconds(10)))
                .overlap(OverlapPolicy.QUEUE_ONE).build());
        engine().runDue();
        clock.advance(Duration.ofSeconds(10));
        engine().runDue();                    // queued
        clock.advance(Duration.ofSeconds(10));
        engine().runDue();                    // skipped: one is queued already
        assertThat(runs.size()).isEqualTo(1);

        runs.runOne();                        // first run ends: the queued fire starts
        assertThat(runs.size()).isEqualTo(1);
        runs.runAll();

        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:00:00Z"),
                Instant.parse("2027-01-04T12:00:10Z"));
    }

    @Test
    void shouldRunFiresSideBySideWhenTheOverlapPolicyIsAllow() {
        TestJob job = register(JobSpec.builder("par", Schedule.every(Duration.ofSeconds(10)))
                .overlap(OverlapPolicy.ALLOW).build());
        engine().runDue();
        clock.advance(Duration.ofSeconds(10));
        engine().runDue();

        assertThat(runs.size()).isEqualTo(2);
        assertThat(engine().job(QName.parse("demo.par")).orElseThrow().running()).hasSize(2);
        runs.runAll();
        assertThat(job.contexts).hasSize(2);
    }

    // ------------------------------------------------------------------------------------------ retries

    @Test
    void shouldRetryAFailedRunWithExponentialBackoffForTheSameFire() {
        int[] calls = {0};
        TestJob job = register(JobSpec.builder("flaky", Schedule.every(Duration.ofHours(1)))
                .retry(new RetryPolicy(3, SECOND, 2.0, Duration.ofMinutes(1), 0.0)).build(), ctx -> {
                    if (++calls[0] < 3) {
                        throw new IllegalStateException("upstream said no");
                    }
                });
        engine().runDue();
        runs.runAll();

        JobRecord afterFirst = record("flaky");
        assertThat(afterFirst.status()).isEqualTo(JobStatus.FAILED_RETRYING);
        assertThat(afterFirst.consecutiveFailures()).isEqualTo(1);
        assertThat(afterFirst.lastOutcome().orElseThrow().message())
                .isEqualTo("java.lang.IllegalStateException: upstream said no");
        assertThat(engine().nextDue()).contains(Instant.parse("2027-01-04T12:00:01Z"));

        clock.advance(SECOND);
        engine().runDue();
        runs.runAll();
        assertThat(engine().nextDue()).contains(Instant.parse("2027-01-04T12:00:03Z")); // backoff doubled: 2 s

        clock.advance(Duration.ofSeconds(2));
        engine().runDue();
        runs.runAll();

        assertThat(job.attempts()).containsExactly(1, 2, 3);
        assertThat(job.scheduledFors()).containsOnly(Instant.parse("2027-01-04T12:00:00Z"));
        JobRecord done = record("flaky");
        assertThat(done.status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(done.consecutiveFailures()).isZero();
        assertThat(done.failureCount()).isEqualTo(2);
        assertThat(done.runCount()).isEqualTo(3);
        failureLog.assertLogged(Level.WARN, "run 2 of job demo.flaky (attempt 2) failed:"
                + " java.lang.IllegalStateException: upstream said no");
    }

    @Test
    void shouldMarkAOnceJobFailedWhenItsRetriesAreExhausted() {
        register(JobSpec.builder("once", Schedule.once(Instant.parse("2027-01-04T12:00:00Z")))
                .retry(new RetryPolicy(2, SECOND, 2.0, SECOND, 0.0)).build(), ctx -> {
                    throw new java.io.IOException("disk full");
                });
        engine().runDue();
        runs.runAll();
        clock.advance(SECOND);
        engine().runDue();
        runs.runAll();

        JobRecord r = record("once");
        assertThat(r.status()).isEqualTo(JobStatus.FAILED);
        assertThat(r.consecutiveFailures()).isEqualTo(2);
        assertThat(engine().nextDue()).isEmpty();
        failureLog.assertLogged(Level.WARN, "run 2 of job demo.once (attempt 2) failed:"
                + " java.io.IOException: disk full");
    }

    @Test
    void shouldGoOnWithItsScheduleWhenAPeriodicJobExhaustsItsRetries() {
        TestJob job = register(JobSpec.builder("p", Schedule.every(Duration.ofMinutes(1)))
                .retry(new RetryPolicy(2, SECOND, 2.0, SECOND, 0.0)).build(), ctx -> {
                    throw new IllegalStateException("nope");
                });
        engine().runDue();
        runs.runAll();
        clock.advance(SECOND);
        engine().runDue();
        runs.runAll();

        assertThat(record("p").status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(record("p").consecutiveFailures()).isEqualTo(2);
        at("2027-01-04T12:01:00Z");
        engine().runDue();
        runs.runAll();
        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:00:00Z"),
                Instant.parse("2027-01-04T12:00:00Z"), Instant.parse("2027-01-04T12:01:00Z"));
        assertThat(record("p").consecutiveFailures()).isEqualTo(3);
        failureLog.assertLogged(Level.WARN, "run 3 of job demo.p (attempt 1) failed:"
                + " java.lang.IllegalStateException: nope");
    }

    @Test
    void shouldRecordAnErrorThrownByAJobWithoutHarmingTheEngine() {
        register(JobSpec.builder("err", Schedule.every(Duration.ofMinutes(1))).build(), ctx -> {
            throw new StackOverflowError("deep");
        });
        TestJob healthy = register(JobSpec.builder("ok", Schedule.every(Duration.ofMinutes(1))).build());
        engine().runDue();
        runs.runAll();

        assertThat(record("err").lastOutcome().orElseThrow().message()).isEqualTo("java.lang.StackOverflowError: deep");
        assertThat(healthy.contexts).hasSize(1);
        assertThat(record("ok").lastOutcome().orElseThrow().success()).isTrue();
        failureLog.assertLogged(Level.WARN, "run 1 of job demo.err (attempt 1) failed:"
                + " java.lang.StackOverflowError: deep");
    }

    // ------------------------------------------------------------------------------------------ timeouts

    @Test
    void shouldKeepATimedOutRunCountingForItsJobsOverlapPolicyUntilItsCodeReturns() {
        TestJob job = register(JobSpec.builder("deaf", Schedule.every(Duration.ofMinutes(1)))
                .timeout(Duration.ofSeconds(30)).overlap(OverlapPolicy.QUEUE_ONE).build());
        engine().runDue(); // 12:00: the run starts and is held, so to the engine its code never returns
        at("2027-01-04T12:00:30Z");
        engine().runDue();
        assertThat(record("deaf").lastOutcome().orElseThrow().message()).isEqualTo("timed out after PT30S");
        assertThat(record("deaf").status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(engine().stats().abandonedStillRunning()).isEqualTo(1);

        at("2027-01-04T12:01:00Z");
        engine().runDue(); // waits for the abandoned code (QUEUE_ONE) instead of getting a thread of its own
        at("2027-01-04T12:02:00Z");
        engine().runDue(); // one fire is queued already: this one is skipped
        assertThat(engine().stats().runsDispatched()).isEqualTo(1);
        assertThat(engine().stats().firesSkipped()).isEqualTo(1);

        runs.runOne(); // the abandoned run's thread returns at last (cancelled before its code ran)
        assertThat(engine().stats().abandonedStillRunning()).isZero();
        assertThat(engine().stats().runsDispatched()).isEqualTo(2);
        runs.runAll();

        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:01:00Z"));
        assertThat(record("deaf").runCount()).isEqualTo(2);
        assertThat(record("deaf").failureCount()).isEqualTo(1);
        awaitFailureLogged("run 1 of job demo.deaf (attempt 1) failed: timed out after PT30S");
    }

    @Test
    void shouldRecordATimeoutAndAbandonARunThatIgnoresCancellation() throws Exception {
        realThreads = RunExecutor.workerThreads(16, RunExecutor.namedThreads());
        executor = realThreads::execute;
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        TestJob job = register(JobSpec.builder("stuck", Schedule.every(Duration.ofMinutes(1)))
                .timeout(Duration.ofSeconds(30)).build(), ctx -> {
                    started.countDown();
                    awaitIgnoringInterrupts(release);
                });
        engine().runDue();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        clock.advance(Duration.ofSeconds(30));
        engine().runDue();

        JobRecord r = record("stuck");
        assertThat(r.lastOutcome().orElseThrow().message()).isEqualTo("timed out after PT30S");
        assertThat(r.status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(job.contexts.get(0).isCancelled()).isTrue();
        assertThat(engine().stats().abandonedStillRunning()).isEqualTo(1);
        assertThat(engine().stats().runsExecuting()).isZero();

        release.countDown(); // the abandoned thread finally returns: nothing is recorded twice
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (engine().stats().abandonedStillRunning() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(engine().stats().abandonedStillRunning()).isZero();
        assertThat(record("stuck").failureCount()).isEqualTo(1);
        assertThat(record("stuck").runCount()).isEqualTo(1);
        awaitFailureLogged("run 1 of job demo.stuck (attempt 1) failed: timed out after PT30S");
    }

    @Test
    void shouldMakeFiresWaitForAWorkerWhileAbandonedRunsHoldEveryThreadAndSayItOnce() {
        // given one run at a time on an executor of two threads, and a job that overlaps itself and times out
        settings = new EngineSettings(1, Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofDays(30));
        HeldRuns twoThreads = new HeldRuns(false, 2);
        executor = twoThreads;
        register(JobSpec.builder("deaf", Schedule.every(Duration.ofMinutes(1))).timeout(Duration.ofSeconds(30))
                .overlap(OverlapPolicy.ALLOW).build());
        for (String minute : List.of("00", "01")) { // each run is held, so to the engine its code never returns
            at("2027-01-04T12:" + minute + ":00Z");
            engine().runDue();
            at("2027-01-04T12:" + minute + ":30Z");
            engine().runDue();
        }
        assertThat(engine().stats().abandonedStillRunning()).isEqualTo(2);
        assertThat(engine().stats().runsExecuting()).isZero();

        // when two more fires are due
        at("2027-01-04T12:02:00Z");
        engine().runDue();
        at("2027-01-04T12:03:00Z");
        engine().runDue();

        // then they wait for a worker instead of getting threads the executor does not have, and the host says why
        assertThat(engine().stats().runsDispatched()).isEqualTo(2);
        assertThat(engine().stats().firesWaitingForWorker()).isEqualTo(2);
        assertThat(twoThreads.size()).isEqualTo(2);
        assertThat(failureLog.matching(Level.WARN, "all 2 worker threads are taken, 2 of them by runs given up after"
                + " their timeout whose code has not returned; due fires wait for a worker")).hasSize(1);

        // and when an abandoned run's code returns, its thread goes to the oldest waiting fire
        twoThreads.runOne();
        assertThat(engine().stats().abandonedStillRunning()).isEqualTo(1);
        assertThat(engine().stats().runsDispatched()).isEqualTo(3);
        assertThat(engine().stats().firesWaitingForWorker()).isEqualTo(1);
    }

    @Test
    void shouldNeverStartMoreWorkerThreadsThanTheLimitWhenRunsIgnoreTheirTimeout() throws Exception {
        // given a cap of 2 runs, the host's pool for it, and a job whose runs overlap and never end by themselves
        int cap = 2;
        int limit = RunExecutor.threadLimitFor(cap);
        assertThat(limit).as("documented headroom: as many threads again as the cap").isEqualTo(2 * cap);
        settings = new EngineSettings(cap, Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofDays(30));
        AtomicInteger threadsMade = new AtomicInteger();
        ThreadFactory named = RunExecutor.namedThreads();
        realThreads = RunExecutor.workerThreads(limit, r -> {
            threadsMade.incrementAndGet();
            return named.newThread(r);
        });
        executor = RunExecutor.pooled(realThreads, limit);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger started = new AtomicInteger();
        register(JobSpec.builder("hang", Schedule.every(Duration.ofMinutes(1))).timeout(Duration.ofSeconds(30))
                .overlap(OverlapPolicy.ALLOW).build(), ctx -> {
                    started.incrementAndGet();
                    awaitIgnoringInterrupts(release);
                });
        try {
            // when ten fires come, each run given up at its timeout
            for (int minute = 0; minute < 10; minute++) {
                at(String.format("2027-01-04T12:%02d:00Z", minute));
                engine().runDue();
                int expected = Math.min(minute + 1, limit);
                Eventually.await(Duration.ofSeconds(10), () -> started.get() == expected,
                        () -> expected + " runs started, saw " + started.get());
                at(String.format("2027-01-04T12:%02d:30Z", minute));
                engine().runDue();
            }

            // then the pool made no more threads than its limit, and the rest of the fires wait for a worker
            assertThat(threadsMade.get()).isEqualTo(limit);
            assertThat(((ThreadPoolExecutor) realThreads).getLargestPoolSize()).isEqualTo(limit);
            assertThat(engine().stats().abandonedStillRunning()).isEqualTo(limit);
            assertThat(engine().stats().firesWaitingForWorker()).isEqualTo(10 - limit);
            failureLog.assertLogged(Level.WARN, "all 4 worker threads are taken, 4 of them by runs given up");
        } finally {
            release.countDown();
        }
        // and once the runs return, the waiting fires run on the same threads
        Eventually.await(Duration.ofSeconds(10), () -> started.get() == 10 && engine().stats().runsExecuting() == 0
                && engine().stats().firesWaitingForWorker() == 0, () -> "every fire ran, saw " + started.get());
        assertThat(threadsMade.get()).isEqualTo(limit);
    }

    @Test
    void shouldSkipFiresWhileATimedOutRunsCodeStillRunsAndFireAgainOnceItReturns() {
        register(JobSpec.builder("t", Schedule.every(Duration.ofMinutes(1))).timeout(Duration.ofSeconds(30)).build());
        engine().runDue();               // held: its code "runs" until the test releases it
        clock.advance(Duration.ofSeconds(30));
        engine().runDue();               // timed out and abandoned
        at("2027-01-04T12:01:00Z");
        assertThat(engine().runDue()).isZero(); // SKIP: the abandoned code is still going
        assertThat(engine().stats().firesSkipped()).isEqualTo(1);

        runs.runOne();                   // the abandoned code returns
        at("2027-01-04T12:02:00Z");

        assertThat(engine().runDue()).isEqualTo(1);
        failureLog.assertLogged(Level.WARN, "run 1 of job demo.t (attempt 1) failed: timed out after PT30S");
    }

    // ------------------------------------------------------------------------------------------ misfires

    private void restoreWithNextFire(String name, Schedule schedule, String nextFireAt) {
        JobRecord r = JobRecord.pending(new QName("demo", name), "demo", schedule)
                .withStatus(JobStatus.SCHEDULED).withNextFireAt(Optional.of(Instant.parse(nextFireAt)));
        engine().restore(List.of(r));
    }

    @Test
    void shouldRunOnceForAllFiresMissedDuringDowntimeByDefault() {
        Schedule hourly = Schedule.cron("0 * * * *");
        restoreWithNextFire("hourly", hourly, "2027-01-04T09:00:00Z"); // down since 08:30: 09, 10, 11, 12 missed
        TestJob job = register(JobSpec.builder("hourly", hourly).build());
        runs.runAll();

        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T09:00:00Z"));
        assertThat(record("hourly").nextFireAt()).contains(Instant.parse("2027-01-04T13:00:00Z"));
        assertThat(engine().stats().firesMissed()).isEqualTo(4);
    }

    @Test
    void shouldSkipMissedFiresWhenTheMisfirePolicyIsSkip() {
        Schedule hourly = Schedule.cron("0 * * * *");
        restoreWithNextFire("hourly", hourly, "2027-01-04T09:00:00Z");
        TestJob job = register(JobSpec.builder("hourly", hourly).misfire(MisfirePolicy.skip()).build());
        runs.runAll();

        assertThat(job.contexts).isEmpty();
        assertThat(record("hourly").nextFireAt()).contains(Instant.parse("2027-01-04T13:00:00Z"));
    }

    @Test
    void shouldRunTheLatestMissedFiresOneAfterAnotherWhenTheMisfirePolicyIsFireAll() {
        Schedule hourly = Schedule.cron("0 * * * *");
        restoreWithNextFire("hourly", hourly, "2027-01-04T09:00:00Z");
        TestJob job = register(JobSpec.builder("hourly", hourly).misfire(MisfirePolicy.fireAll(3)).build());
        assertThat(runs.size()).isEqualTo(1); // one at a time
        runs.runAll();

        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T10:00:00Z"),
                Instant.parse("2027-01-04T11:00:00Z"), Instant.parse("2027-01-04T12:00:00Z"));
    }

    @Test
    void shouldApplyTheMisfirePolicyWhenAPausedJobIsResumed() {
        TestJob job = register(JobSpec.builder("m", Schedule.every(Duration.ofMinutes(1))).build());
        engine().runDue();
        runs.runAll();
        engine().pause(QName.parse("demo.m"));
        assertThat(record("m").status()).isEqualTo(JobStatus.PAUSED);
        assertThat(record("m").paused()).isTrue();

        clock.advance(Duration.ofMinutes(10));
        assertThat(engine().runDue()).isZero();

        engine().resume(QName.parse("demo.m"));
        runs.runAll();
        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:00:00Z"),
                Instant.parse("2027-01-04T12:01:00Z"));
        assertThat(record("m").status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(record("m").nextFireAt()).contains(Instant.parse("2027-01-04T12:11:00Z"));
    }

    @Test
    void shouldTreatAStalledEngineLikeDowntime() {
        TestJob job = register(JobSpec.builder("s", Schedule.every(Duration.ofSeconds(1)))
                .misfire(MisfirePolicy.skip()).build());
        engine().runDue();
        runs.runAll();
        clock.advance(Duration.ofMinutes(1)); // the timer thread did not get to run for a minute

        engine().runDue();

        assertThat(job.contexts).hasSize(1);
        assertThat(record("s").nextFireAt()).contains(Instant.parse("2027-01-04T12:01:01Z"));
    }

    // ------------------------------------------------------------------------------------------ pause, cancel

    @Test
    void shouldDisableADeclaredJobOnCancelAndEnableItAgainOnResume() {
        TestJob job = register(JobSpec.builder("c", Schedule.every(Duration.ofMinutes(1))).build());
        engine().runDue();
        runs.runAll();
        engine().cancel(QName.parse("demo.c"));
        clock.advance(Duration.ofMinutes(5));
        engine().runDue();

        assertThat(record("c").status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(job.contexts).hasSize(1);

        engine().resume(QName.parse("demo.c"));
        engine().runDue();
        runs.runAll();
        assertThat(job.contexts).hasSize(2);
    }

    @Test
    void shouldDisableAnOrphanedDeclaredJobOnCancelAndKeepItsHistoryForWhenItsPluginIsBack() {
        // given: a declared job with a checkpoint whose plugin stopped
        register(JobSpec.builder("w", Schedule.every(Duration.ofMinutes(1))).build(),
                ctx -> ctx.saveCheckpoint("watermark=42"));
        engine().runDue();
        runs.runAll();
        engine().detach("demo", Duration.ZERO);

        // when: an operator cancels it while it is orphaned, and its plugin comes back
        engine().cancel(QName.parse("demo.w"));
        assertThat(record("w").status()).as("what is written, and read back by a restart").isEqualTo(
                JobStatus.CANCELLED);
        TestJob back = register(JobSpec.builder("w", Schedule.every(Duration.ofMinutes(1))).build());
        clock.advance(Duration.ofMinutes(5));
        engine().runDue();
        runs.runAll();

        // then: it is still that job, with its history and checkpoint, and stays disabled until resumed
        assertThat(record("w").status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(record("w").runCount()).isEqualTo(1);
        assertThat(record("w").checkpoint()).contains("watermark=42");
        assertThat(back.contexts).isEmpty();
    }

    @Test
    void shouldRefuseToPauseACancelledJobAndLeaveItCancelled() {
        register(JobSpec.builder("c", Schedule.every(Duration.ofMinutes(1))).build());
        engine().cancel(QName.parse("demo.c"));

        assertThatThrownBy(() -> engine().pause(QName.parse("demo.c")))
                .isInstanceOf(JobOperationException.class)
                .hasMessage("job demo.c cannot be paused: it is cancelled (resume enables it again)")
                .extracting(e -> ((JobOperationException) e).reason()).isEqualTo(JobOperationException.Reason.CONFLICT);
        assertThat(record("c").status()).isEqualTo(JobStatus.CANCELLED);
    }

    // ------------------------------------------------------------------------------------------ durability

    @Test
    void shouldNotRunTheJobsCodeBeforeADurableStartIsCommitted() throws Exception {
        realThreads = RunExecutor.workerThreads(16, RunExecutor.namedThreads());
        executor = realThreads::execute;
        sink.holdCommits();
        CountDownLatch ran = new CountDownLatch(1);
        register(JobSpec.builder("d", Schedule.once(Instant.parse("2027-01-04T12:00:00Z"))).build(),
                ctx -> ran.countDown());
        engine().runDue();

        assertThat(ran.await(200, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(record("d").status()).isEqualTo(JobStatus.RUNNING);
        sink.completeCommits();
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void shouldRecordARunCutOffByACrashAsFailedAndRetryIt() {
        Schedule once = Schedule.once(Instant.parse("2027-01-04T11:00:00Z"));
        JobRecord crashed = JobRecord.pending(new QName("demo", "report"), "demo", once)
                .withStatus(JobStatus.RUNNING).withLastStartedAt(Optional.of(Instant.parse("2027-01-04T11:00:00Z")))
                .withRunCount(1);
        engine().restore(List.of(crashed));

        JobRecord recovered = record("report");
        assertThat(recovered.status()).isEqualTo(JobStatus.PENDING);
        assertThat(recovered.lastOutcome().orElseThrow().message()).isEqualTo("host stopped during run");
        assertThat(recovered.failureCount()).isEqualTo(1);

        TestJob job = register(JobSpec.builder("report", once)
                .retry(new RetryPolicy(3, SECOND, 2.0, SECOND, 0.0)).build());
        assertThat(record("report").status()).isEqualTo(JobStatus.FAILED_RETRYING);
        clock.advance(SECOND);
        engine().runDue();
        runs.runAll();

        assertThat(job.attempts()).containsExactly(2);
        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T11:00:00Z"));
        assertThat(record("report").status()).isEqualTo(JobStatus.COMPLETED);
        failureLog.assertLogged(Level.WARN, "job demo.report was running when the host stopped; recorded as"
                + " a failed run");
    }

    @Test
    void shouldStillMarkACrashedOnceJobFailedWhenTheHostStopsAgainBeforeItsPluginIsBack() {
        Schedule once = Schedule.once(Instant.parse("2027-01-04T11:00:00Z"));
        engine().restore(List.of(JobRecord.pending(new QName("demo", "report"), "demo", once)
                .withStatus(JobStatus.RUNNING).withRunCount(1)));
        JobRecord afterFirstRestart = record("report"); // recorded as a failed run, then the host stops again

        Engine second = new Engine(clock, sink, FireClaim.ALWAYS, runs, settings, () -> 0.5, schedule -> { },
                EngineListener.NONE);
        second.restore(List.of(afterFirstRestart));
        TestJob job = new TestJob(JobSpec.builder("report", once).build(), ctx -> { });
        second.attach("demo", List.of(new PluginJob(QName.parse("demo.report"), job.spec(), job)));
        clock.advance(Duration.ofHours(1));
        second.runDue();

        assertThat(afterFirstRestart.status()).isEqualTo(JobStatus.PENDING);
        assertThat(job.contexts).isEmpty();
        assertThat(record("report").status()).isEqualTo(JobStatus.FAILED);
        assertThat(record("report").failureCount()).isEqualTo(1);
        failureLog.assertLogged(Level.WARN, "job demo.report was running when the host stopped; recorded as"
                + " a failed run");
    }

    @Test
    void shouldRetryAOnceJobsFailedFireAfterARestartWhenRetriesRemain() {
        Schedule once = Schedule.once(Instant.parse("2027-01-04T11:00:00Z"));
        engine().restore(List.of(JobRecord.pending(new QName("demo", "report"), "demo", once)
                .withStatus(JobStatus.FAILED_RETRYING).withRunCount(1).withFailureCount(1).withConsecutiveFailures(1)
                .withLastOutcome(Optional.of(new dev.belfry.sidecar.RunOutcome(false, "boom", Duration.ZERO)))));
        TestJob job = register(JobSpec.builder("report", once)
                .retry(new RetryPolicy(3, SECOND, 2.0, SECOND, 0.0)).build());
        assertThat(record("report").status()).isEqualTo(JobStatus.FAILED_RETRYING);

        clock.advance(SECOND);
        engine().runDue();
        runs.runAll();

        assertThat(job.attempts()).containsExactly(2);
        assertThat(record("report").status()).isEqualTo(JobStatus.COMPLETED);
    }

    @Test
    void shouldNotOverflowCountersReadAtTheirMaximum() {
        Schedule once = Schedule.once(Instant.parse("2027-01-04T11:00:00Z"));
        engine().restore(List.of(JobRecord.pending(new QName("demo", "max"), "demo", once)
                .withStatus(JobStatus.RUNNING).withRunCount(Long.MAX_VALUE).withFailureCount(Long.MAX_VALUE)
                .withConsecutiveFailures(Integer.MAX_VALUE)));
        register(JobSpec.builder("max", once).retry(new RetryPolicy(3, SECOND, 2.0, SECOND, 0.0)).build());

        JobRecord r = record("max");
        assertThat(r.consecutiveFailures()).isEqualTo(Integer.MAX_VALUE);
        assertThat(r.failureCount()).isEqualTo(Long.MAX_VALUE);
        assertThat(r.status()).isEqualTo(JobStatus.FAILED);
        failureLog.assertLogged(Level.WARN, "job demo.max was running when the host stopped; recorded as"
                + " a failed run");
    }

    @Test
    void shouldMarkACrashedOnceJobFailedWhenItHasNoRetries() {
        Schedule once = Schedule.once(Instant.parse("2027-01-04T11:00:00Z"));
        engine().restore(List.of(JobRecord.pending(new QName("demo", "report"), "demo", once)
                .withStatus(JobStatus.RUNNING).withRunCount(1)));
        TestJob job = register(JobSpec.builder("report", once).build());
        clock.advance(Duration.ofHours(1));
        engine().runDue();

        assertThat(job.contexts).isEmpty();
        assertThat(record("report").status()).isEqualTo(JobStatus.FAILED);
        failureLog.assertLogged(Level.WARN, "job demo.report was running when the host stopped; recorded as"
                + " a failed run");
    }

    // ------------------------------------------------------------------------------------------ seams, limits

    @Test
    void shouldNotRunAFireTheClaimRefuses() {
        claimsRefused.add("demo.elsewhere");
        TestJob job = register(JobSpec.builder("elsewhere", Schedule.every(Duration.ofMinutes(1))).build());
        engine().runDue();

        assertThat(runs.size()).isZero();
        assertThat(job.contexts).isEmpty();
        assertThat(record("elsewhere").nextFireAt()).contains(Instant.parse("2027-01-04T12:01:00Z"));
    }

    @Test
    void shouldMakeDueFiresWaitForAFreeWorkerInOrder() {
        settings = new EngineSettings(1, Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofDays(30));
        TestJob a = register(JobSpec.builder("a", Schedule.every(Duration.ofMinutes(1))).build());
        TestJob b = register(JobSpec.builder("b", Schedule.every(Duration.ofMinutes(1))).build());
        engine().runDue();
        assertThat(runs.size()).isEqualTo(1);
        assertThat(engine().stats().firesWaitingForWorker()).isEqualTo(1);

        runs.runAll();

        assertThat(a.contexts).hasSize(1);
        assertThat(b.contexts).hasSize(1);
    }

    @Test
    void shouldLetAFinishedRunsWorkerGoOnWithTheRunsWaitingForAWorker() {
        HeldRuns pool = new HeldRuns(true);
        executor = pool;
        settings = new EngineSettings(1, Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofDays(30));
        List<String> order = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            register(JobSpec.builder(name, Schedule.every(Duration.ofMinutes(1))).build(), ctx -> {
                order.add(ctx.qname().name());
                assertThat(engine().stats().runsExecuting()).isEqualTo(1); // the cap still holds
            });
        }
        engine().runDue();
        assertThat(pool.size()).isEqualTo(1);
        assertThat(engine().stats().firesWaitingForWorker()).isEqualTo(2);

        pool.runOne(); // one hand-off: the same thread goes on with the two waiting runs

        assertThat(order).containsExactly("a", "b", "c");
        assertThat(pool.size()).isZero();
        assertThat(engine().stats().firesWaitingForWorker()).isZero();
        assertThat(engine().stats().runsExecuting()).isZero();
        assertThat(List.of(record("a"), record("b"), record("c")))
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(JobStatus.SCHEDULED))
                .allSatisfy(r -> assertThat(r.runCount()).isEqualTo(1));
    }

    @Test
    void shouldKeepFiringWhileTheLogIsSlowToTakeAFailedRunsMessage() throws Exception {
        CountDownLatch logWritable = new CountDownLatch(1);
        CountDownLatch logBlocked = new CountDownLatch(1);
        AtomicBoolean stuck = new AtomicBoolean();
        AppenderBase<ILoggingEvent> slowOutput = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                if (stuck.get() && event.getFormattedMessage().contains("failed")) {
                    logBlocked.countDown();
                    try {
                        logWritable.await(); // a full pipe, a stalled terminal
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        ch.qos.logback.classic.Logger engineLog = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Engine.class);
        slowOutput.start();
        engineLog.addAppender(slowOutput);
        try {
            register(JobSpec.builder("broken", Schedule.every(Duration.ofMinutes(1))).build(), ctx -> {
                throw new IllegalStateException("boom");
            });
            engine().runDue(); // 12:00: runs and fails, the log still fast
            runs.runAll();

            at("2027-01-04T12:01:00Z");
            engine().runDue();
            stuck.set(true);
            Thread failing = new Thread(runs::runOne, "failing-run"); // fails again: its message meets a stuck log
            failing.start();
            assertThat(logBlocked.await(10, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Integer> step = CompletableFuture.supplyAsync(() -> {
                at("2027-01-04T12:02:00Z");
                return engine().runDue();
            });
            assertThat(step.get(10, TimeUnit.SECONDS)).as("fires dispatched while the log is stuck").isEqualTo(1);
            logWritable.countDown();
            failing.join(10_000);
            assertThat(record("broken").failureCount()).isEqualTo(2);
        } finally {
            logWritable.countDown();
            engineLog.detachAppender(slowOutput);
        }
        awaitFailureLogged("run 2 of job demo.broken (attempt 1) failed: java.lang.IllegalStateException: boom");
    }

    // ------------------------------------------------------------------------------------------ plugins

    @Test
    void shouldOrphanAStoppedPluginsJobsAndReattachThemWithTheirHistory() {
        TestJob job = register(JobSpec.builder("w", Schedule.every(Duration.ofMinutes(1))).build(),
                ctx -> ctx.saveCheckpoint("watermark=42"));
        engine().runDue();
        runs.runAll();

        engine().detach("demo", Duration.ZERO);
        assertThat(record("w").status()).isEqualTo(JobStatus.ORPHANED);
        clock.advance(Duration.ofMinutes(3));
        assertThat(engine().runDue()).isZero();

        List<String> seen = new ArrayList<>();
        register(JobSpec.builder("w", Schedule.every(Duration.ofMinutes(1))).build(),
                ctx -> seen.add(ctx.checkpoint().orElse("none")));
        runs.runAll();

        assertThat(seen).containsExactly("watermark=42");
        assertThat(record("w").runCount()).isEqualTo(2);
        assertThat(job.contexts).hasSize(1);
    }

    @Test
    void shouldRecordARunStillGoingAfterThePluginStopsGraceAsCancelledNotFailed() {
        register(JobSpec.builder("long", Schedule.every(Duration.ofMinutes(1))).build());
        engine().runDue(); // held: still "running" when the plugin stops

        engine().detach("demo", Duration.ZERO);

        JobRecord r = record("long");
        assertThat(r.status()).isEqualTo(JobStatus.ORPHANED);
        assertThat(r.lastOutcome().orElseThrow().message()).isEqualTo("cancelled: plugin demo is stopping; the run"
                + " did not end within the grace of PT0S and was abandoned");
        runs.runAll(); // the held run finally executes: sees it was cancelled, nothing recorded twice
        assertThat(record("long").failureCount()).isZero();
        assertThat(record("long").consecutiveFailures()).isZero();
        failureLog.assertNotLogged(Level.WARN, "");
    }

    @Test
    void shouldRecordARunInterruptedByItsPluginStoppingAsCancelledAndNotRetryIt() throws Exception {
        realThreads = RunExecutor.workerThreads(16, RunExecutor.namedThreads());
        executor = realThreads::execute;
        CountDownLatch started = new CountDownLatch(1);
        try (LogCapture info = LogCapture.of(Engine.class).atLevel(Level.INFO).start()) {
            register(JobSpec.builder("slow", Schedule.every(Duration.ofMinutes(1))).retry(RetryPolicy.exponential(3,
                    SECOND)).build(), ctx -> {
                        started.countDown();
                        new CountDownLatch(1).await(); // the job's own work, cut by the stop's interrupt
                    });
            engine().runDue();
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

            // when the plugin stops (an upgrade, a removal, a reload) and the run reacts to its interrupt
            engine().detach("demo", Duration.ofSeconds(30));

            // then the run is recorded as cancelled with the reason, not as the job's failure
            JobRecord r = record("slow");
            assertThat(r.lastOutcome().orElseThrow().message()).isEqualTo("cancelled: plugin demo is stopping");
            assertThat(r.failureCount()).isZero();
            assertThat(r.consecutiveFailures()).isZero();
            assertThat(r.status()).isEqualTo(JobStatus.ORPHANED);
            Eventually.await(Duration.ofSeconds(10), () -> !info.matching(Level.INFO,
                    "run 1 of job demo.slow (attempt 1) cancelled: plugin demo is stopping").isEmpty(),
                    () -> "the INFO line; caught " + info.lines(Level.ALL));
            info.assertNotLogged(Level.WARN, "");

            // and when the plugin is back the job goes on with its schedule: no retry, no failed status
            register(JobSpec.builder("slow", Schedule.every(Duration.ofMinutes(1))).build());
            assertThat(record("slow").status()).isEqualTo(JobStatus.SCHEDULED);
            assertThat(record("slow").nextFireAt()).contains(Instant.parse("2027-01-04T12:01:00Z"));
        }
    }

    @Test
    void shouldRunAOnceJobsFireAgainWhenItsRunWasCutByItsPluginStopping() {
        register(JobSpec.builder("report", Schedule.once(Instant.parse("2027-01-04T12:00:00Z"))).build());
        engine().runDue(); // held: still "running" when the plugin stops
        engine().detach("demo", Duration.ZERO);
        runs.runAll();
        assertThat(record("report").status()).isEqualTo(JobStatus.ORPHANED);

        TestJob again = register(JobSpec.builder("report", Schedule.once(Instant.parse("2027-01-04T12:00:00Z")))
                .build());
        engine().runDue();
        runs.runAll();

        assertThat(again.contexts).hasSize(1);
        assertThat(record("report").status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(record("report").failureCount()).isZero();
    }

    @Test
    void shouldOrphanJobsWhosePluginDidNotComeBack() {
        restoreWithNextFire("gone", Schedule.every(Duration.ofMinutes(1)), "2027-01-04T12:01:00Z");

        engine().orphanJobsOfMissingPlugins(java.util.Set.of("other"));

        assertThat(record("gone").status()).isEqualTo(JobStatus.ORPHANED);
    }

    @Test
    void shouldKeepCountingAnOrphansRetentionAcrossARestart() {
        JobRecord orphan = JobRecord.pending(new QName("demo", "old"), "demo", Schedule.manual())
                .withStatus(JobStatus.ORPHANED).withOrphanedAt(Optional.of(Instant.parse("2026-11-01T00:00:00Z")));
        engine().restore(List.of(orphan));
        engine().runDue(); // during the first plugin scan: the plugin may be about to come back, so the job stays
        assertThat(engine().job(QName.parse("demo.old"))).isPresent();

        engine().orphanJobsOfMissingPlugins(java.util.Set.of());
        engine().runDue(); // 2027-01-04: more than 30 days after the plugin went away

        assertThat(engine().job(QName.parse("demo.old"))).isEmpty();
    }

    @Test
    void shouldPersistWhenAJobWasOrphanedAndWhetherItIsDynamic() {
        register(JobSpec.builder("planner", Schedule.manual()).build(), ctx -> ctx.scheduler().add(new TestJob(
                JobSpec.builder("tmp", Schedule.every(Duration.ofMinutes(1))).build(), c -> { })));
        engine().trigger(QName.parse("demo.planner"));
        runs.runAll();
        assertThat(record("tmp").dynamic()).isTrue();
        assertThat(record("planner").dynamic()).isFalse();

        engine().detach("demo", Duration.ZERO);

        assertThat(record("tmp").orphanedAt()).contains(clock.instant());
        assertThat(record("tmp").dynamic()).isTrue();
    }

    @Test
    void shouldPruneOrphansOlderThanTheRetention() {
        register(JobSpec.builder("old", Schedule.every(Duration.ofMinutes(1))).build());
        engine().detach("demo", Duration.ZERO);
        engine().runDue();
        clock.advance(Duration.ofDays(31));

        engine().runDue();

        assertThat(sink.get("demo.old")).isEmpty();
        assertThat(engine().job(QName.parse("demo.old"))).isEmpty();
    }

    // ------------------------------------------------------------------------------------------ dynamic jobs

    @Test
    void shouldLetAJobScheduleDynamicJobsOnlyInItsOwnNamespace() {
        TestJob follow = new TestJob(JobSpec.builder("follow-up", Schedule.once(Instant.parse("2027-01-04T12:30:00Z")))
                .build(), ctx -> { });
        register(JobSpec.builder("planner", Schedule.manual()).build(), ctx -> {
            assertThat(ctx.scheduler().namespace()).isEqualTo("demo");
            assertThat(ctx.scheduler().add(follow)).isEqualTo(QName.parse("demo.follow-up"));
            assertThatThrownBy(() -> ctx.scheduler().add(follow)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already exists");
        });
        engine().trigger(QName.parse("demo.planner"));
        runs.runAll();

        assertThat(record("follow-up").nextFireAt()).contains(Instant.parse("2027-01-04T12:30:00Z"));
        at("2027-01-04T12:30:00Z");
        engine().runDue();
        runs.runAll();
        assertThat(follow.contexts).hasSize(1);
        assertThat(engine().job(QName.parse("demo.follow-up")).orElseThrow().record().dynamic()).isTrue();
    }

    @Test
    void shouldRemoveADynamicJobWhenItIsCancelled() {
        register(JobSpec.builder("planner", Schedule.manual()).build(), ctx -> {
            ctx.scheduler().add(new TestJob(JobSpec.builder("tmp", Schedule.every(Duration.ofMinutes(1))).build(),
                    c -> { }));
            assertThat(ctx.scheduler().cancel("tmp")).isTrue();
            assertThat(ctx.scheduler().cancel("never-existed")).isFalse();
        });
        engine().trigger(QName.parse("demo.planner"));
        runs.runAll();

        assertThat(sink.get("demo.tmp")).isEmpty();
        assertThat(engine().job(QName.parse("demo.tmp"))).isEmpty();
    }

    @Test
    void shouldRejectADynamicJobWithAnInvalidScheduleNamingPluginAndJob() {
        register(JobSpec.builder("planner", Schedule.manual()).build(), ctx ->
                assertThatThrownBy(() -> ctx.scheduler().add(new TestJob(
                        JobSpec.builder("bad", Schedule.cron("0 25 * * *")).build(), c -> { })))
                        .isInstanceOf(InvalidScheduleException.class)
                        .hasMessageStartingWith("job demo.bad: invalid schedule \"0 25 * * *\""));
        engine().trigger(QName.parse("demo.planner"));
        runs.runAll();

        assertThat(record("planner").lastOutcome().orElseThrow().success()).isTrue();
    }

    @Test
    void shouldKeepACheckpointAcrossRunsAndPersistIt() {
        TestJob job = register(JobSpec.builder("cp", Schedule.every(Duration.ofMinutes(1))).build(), ctx -> {
            long n = ctx.checkpoint().map(Long::parseLong).orElse(0L);
            ctx.saveCheckpoint(Long.toString(n + 1));
        });
        for (int i = 0; i < 3; i++) {
            engine().runDue();
            runs.runAll();
            clock.advance(Duration.ofMinutes(1));
        }

        assertThat(job.contexts).hasSize(3);
        assertThat(record("cp").checkpoint()).contains("3");
    }

    @Test
    void shouldRefuseACheckpointOverTheLimit() {
        register(JobSpec.builder("big", Schedule.manual()).build(), ctx ->
                ctx.saveCheckpoint("x".repeat(JobContext.MAX_CHECKPOINT_CHARS + 1)));
        engine().trigger(QName.parse("demo.big"));
        runs.runAll();

        assertThat(record("big").lastOutcome().orElseThrow().message()).contains("more than the 65536 allowed");
        assertThat(record("big").checkpoint()).isEmpty();
        failureLog.assertLogged(Level.WARN, "run 1 of job demo.big (attempt 1) failed:"
                + " java.lang.IllegalArgumentException: job demo.big: checkpoint is 65537 characters long");
    }

    @Test
    void shouldRaiseTheRecordVersionOnEveryCommittedChange() {
        register(JobSpec.builder("v", Schedule.every(Duration.ofMinutes(1))).build());
        engine().runDue();
        runs.runAll();

        List<Long> versions = sink.history.stream().filter(r -> r.qname().toString().equals("demo.v"))
                .map(JobRecord::version).toList();
        assertThat(versions).isSorted().doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo(3);
    }

    // ------------------------------------------------------------------------------------------ shutdown

    @Test
    void shouldStartNoQueuedFireAndNoFireWaitingForAWorkerOnceShuttingDown() throws Exception {
        settings = new EngineSettings(1, Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofDays(30));
        TestJob queued = register(JobSpec.builder("q", Schedule.every(Duration.ofSeconds(10)))
                .overlap(OverlapPolicy.QUEUE_ONE).build());
        TestJob waiting = register(JobSpec.builder("w", Schedule.every(Duration.ofSeconds(10))).build());
        engine().runDue();                    // q runs (held), w waits for the only worker
        clock.advance(Duration.ofSeconds(10));
        engine().runDue();                    // q's second fire is queued behind its first
        assertThat(runs.size()).isEqualTo(1);

        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> engine().shutdown(Duration.ofMinutes(1)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!engine().isStopping() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        runs.runAll();                        // the run in progress ends during the grace
        shutdown.get(30, TimeUnit.SECONDS);

        assertThat(runs.size()).isZero();
        assertThat(queued.contexts).hasSize(1);
        assertThat(waiting.contexts).isEmpty();
        assertThat(record("q").runCount()).isEqualTo(1);
        assertThat(record("w").runCount()).isZero();
    }

    @Test
    void shouldStillTimeOutARunDuringTheShutdownGraceInsteadOfWaitingForAllOfIt() throws Exception {
        realThreads = RunExecutor.workerThreads(16, RunExecutor.namedThreads());
        executor = realThreads::execute;
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        register(JobSpec.builder("deaf", Schedule.every(Duration.ofMinutes(1))).timeout(Duration.ofSeconds(30))
                .build(), ctx -> {
                    started.countDown();
                    awaitIgnoringInterrupts(release);
                });
        try {
            engine().runDue();
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Void> shutdown =
                    CompletableFuture.runAsync(() -> engine().shutdown(Duration.ofHours(1)));
            clock.advance(Duration.ofSeconds(30)); // the run's timeout passes; the grace is far from over

            shutdown.get(30, TimeUnit.SECONDS);
            assertThat(record("deaf").lastOutcome().orElseThrow().message()).isEqualTo("timed out after PT30S");
        } finally {
            release.countDown();
        }
        awaitFailureLogged("run 1 of job demo.deaf (attempt 1) failed: timed out after PT30S");
    }

    @Test
    void shouldCancelARunNearTheEndOfTheGraceAndReturnWithinTheGrace() throws Exception {
        realThreads = RunExecutor.workerThreads(16, RunExecutor.namedThreads());
        executor = realThreads::execute;
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        TestJob job = register(JobSpec.builder("deaf", Schedule.every(Duration.ofMinutes(1))).build(), ctx -> {
            started.countDown();
            awaitIgnoringInterrupts(release);
        });
        try {
            engine().runDue();
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

            Duration grace = Duration.ofSeconds(3);
            long t0 = System.nanoTime();
            engine().shutdown(grace);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);

            // The whole grace is waited for (the run never ends), and no more: the cancelled run's last chance to
            // stop is inside the grace, not two seconds after it as it was.
            assertThat(took).isBetween(grace.minusMillis(50), grace.plusMillis(1_500));
            assertThat(job.contexts.get(0).isCancelled()).isTrue();
            assertThat(record("deaf").lastOutcome().orElseThrow().message())
                    .isEqualTo("host shut down during the run");
        } finally {
            release.countDown();
        }
        awaitFailureLogged("run 1 of job demo.deaf (attempt 1) failed: host shut down during the run");
    }

    /** A badly behaved job: waits for the latch, swallowing interrupts. */
    private static void awaitIgnoringInterrupts(CountDownLatch release) {
        while (true) {
            try {
                if (release.await(10, TimeUnit.SECONDS)) {
                    return;
                }
            } catch (InterruptedException ignored) {
                // carries on
            }
        }
    }
}
