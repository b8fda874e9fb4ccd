package dev.belfry.host.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.MisfirePolicy;
import dev.belfry.api.QName;
import dev.belfry.api.RetryPolicy;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How the engine uses the store's durability: a durable start that cannot reach disk is not a run, and the end of a
 * durable-start job's run is asked to reach disk at once.
 */
class EngineDurabilityTest {
    private static final Instant NOON = Instant.parse("2027-01-04T12:00:00Z");
    private static final String DISK_FULL = "No space left on device";

    private final FakeClock clock = new FakeClock(NOON);
    private final MemorySink sink = new MemorySink();
    private final HeldRuns runs = new HeldRuns();
    private final List<QName> started = new CopyOnWriteArrayList<>();
    private final List<RunResult> reported = new CopyOnWriteArrayList<>();
    private final Engine engine = new Engine(clock, sink, (job, at) -> true, runs, new EngineSettings(8,
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofDays(30)), () -> 0.5, schedule -> { },
            new EngineListener() {
                @Override
                public void runStarted(JobRecord job) {
                    started.add(job.qname());
                }

                @Override
                public void runFinished(RunResult result) {
                    reported.add(result);
                }
            });

    @RegisterExtension
    final LogCapture log = LogCapture.of(Engine.class);

    /** A job that records the contexts it ran with, and fails while {@code failing} says so. */
    private static final class Job implements BackgroundJob {
        final JobSpec spec;
        final List<JobContext> ran = new CopyOnWriteArrayList<>();
        volatile boolean failing;

        Job(JobSpec spec) {
            this.spec = spec;
        }

        @Override
        public JobSpec spec() {
            return spec;
        }

        @Override
        public void run(JobContext context) {
            ran.add(context);
            if (failing) {
                throw new IllegalStateException("boom");
            }
        }
    }

    private Job register(JobSpec spec) {
        Job job = new Job(spec);
        engine.attach("demo", List.of(new PluginJob(new QName("demo", spec.name()), spec, job)));
        return job;
    }

    /** Moves the clock on and lets every due fire and held run go. */
    private void step(Duration by) {
        clock.advance(by);
        engine.runDue();
        runs.runAll();
    }

    private JobRecord record(String name) {
        return sink.require("demo." + name);
    }

    @Test
    void shouldCountNothingWhileADurableStartCannotBeMadeDurableAndRunTheFireOnceTheStoreRecovers() {
        // given: a once job with retries that drops missed fires, due now, and a disk that refuses writes
        Job job = register(JobSpec.builder("report", Schedule.once(NOON)).misfire(MisfirePolicy.skip())
                .retry(RetryPolicy.exponential(3, Duration.ofSeconds(1))).build());
        sink.failDurable(DISK_FULL);

        // when: it comes due, and is tried for longer than the misfire threshold while the disk stays full
        engine.runDue();
        runs.runAll();
        for (int i = 0; i < 20; i++) {
            step(Duration.ofSeconds(1));
        }

        // then: its code never ran, nothing was counted, no attempt used, and no run was reported
        assertThat(job.ran).isEmpty();
        JobRecord stalled = record("report");
        assertThat(stalled.runCount()).isZero();
        assertThat(stalled.failureCount()).isZero();
        assertThat(stalled.consecutiveFailures()).isZero();
        assertThat(stalled.lastOutcome()).isEmpty();
        assertThat(stalled.lastStartedAt()).isEmpty();
        assertThat(stalled.status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(started).isEmpty();
        assertThat(reported).isEmpty();
        assertThat(sink.durableRequests).hasSizeGreaterThan(20);
        // one line for the outage, not one per try
        assertThat(log.lines(Level.WARN)).hasSize(1);
        log.assertLogged(Level.WARN, "job demo.report: its start could not be made durable (" + DISK_FULL
                + "); the job was not run, nothing is counted, and its fire for 2027-01-04T12:00:00Z is tried again");

        // when: the disk accepts writes again
        sink.recover();
        step(Duration.ofSeconds(1));

        // then: the fire runs once, as its first attempt, for its own instant (20 s late, past the 5 s misfire
        // threshold, but not a missed fire: the host tried it all along), and the job is complete
        assertThat(job.ran).hasSize(1);
        assertThat(job.ran.get(0).attempt()).isEqualTo(1);
        assertThat(job.ran.get(0).scheduledFor()).isEqualTo(NOON);
        JobRecord done = record("report");
        assertThat(done.status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(done.runCount()).isEqualTo(1);
        assertThat(done.failureCount()).isZero();
        assertThat(started).containsExactly(QName.parse("demo.report"));
        assertThat(reported).singleElement().satisfies(r -> assertThat(r.error()).isEmpty());
    }

    @Test
    void shouldKeepTheAttemptOfARetryWhoseStartCannotBeMadeDurable() {
        // given: a once job whose first attempt failed, and a disk that fills before its retry
        Job job = register(JobSpec.builder("report", Schedule.once(NOON))
                .retry(RetryPolicy.exponential(3, Duration.ofSeconds(1))).build());
        job.failing = true;
        engine.runDue();
        runs.runAll();
        assertThat(record("report").status()).isEqualTo(JobStatus.FAILED_RETRYING);
        sink.failDurable(DISK_FULL);

        // when: its retry comes and goes for a while, then the disk recovers
        for (int i = 0; i < 10; i++) {
            step(Duration.ofSeconds(1));
        }
        assertThat(job.ran).hasSize(1);
        assertThat(record("report").failureCount()).isEqualTo(1);
        job.failing = false;
        sink.recover();
        step(Duration.ofSeconds(1));

        // then: the retry runs as attempt 2, and only the real failure counts
        assertThat(job.ran).extracting(JobContext::attempt).containsExactly(1, 2);
        JobRecord done = record("report");
        assertThat(done.status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(done.runCount()).isEqualTo(2);
        assertThat(done.failureCount()).isEqualTo(1);
        assertThat(started).hasSize(2);
        assertThat(reported).hasSize(2);
    }

    @Test
    void shouldWarnAgainInTheNextOutageAfterARunOfTheJobStarted() {
        // given: a manual durable-start job whose start failed once, then ran once the disk recovered
        Job job = register(JobSpec.builder("sync", Schedule.manual()).durableStart(true).build());
        sink.failDurable(DISK_FULL);
        engine.trigger(QName.parse("demo.sync"));
        runs.runAll();
        step(Duration.ofSeconds(1));
        sink.recover();
        step(Duration.ofSeconds(1));
        assertThat(job.ran).hasSize(1);

        // when: the disk fails again and the job is triggered
        sink.failDurable("Input/output error");
        engine.trigger(QName.parse("demo.sync"));
        runs.runAll();
        step(Duration.ofSeconds(1));

        // then: one line per outage
        assertThat(log.lines(Level.WARN)).hasSize(2);
        log.assertLogged(Level.WARN, "job demo.sync: its start could not be made durable (Input/output error)");
        assertThat(record("sync").runCount()).isEqualTo(1);
    }

    @Test
    void shouldAskForTheEndOfADurableStartRunToReachDiskAtOnce() {
        // given: a once job (durable start by default)
        register(JobSpec.builder("report", Schedule.once(NOON)).build());

        // when: it runs
        engine.runDue();
        runs.runAll();

        // then: the record of its end was asked to reach disk, without waiting for the commit interval
        long end = sink.lastTicketOf("demo.report");
        assertThat(sink.byTicket.get(end).status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(sink.durableRequests).last().isEqualTo(end);
    }

    @Test
    void shouldNotAskForDurabilityOfAPeriodicJobsRunEnd() {
        // given: a periodic job (no durable start)
        Job job = register(JobSpec.builder("tick", Schedule.every(Duration.ofMinutes(1))).build());

        // when: it runs twice
        step(Duration.ofMinutes(1));
        step(Duration.ofMinutes(1));

        // then: its ends ride the store's batches: nothing was asked to reach disk
        assertThat(job.ran).hasSize(2);
        assertThat(record("tick").lastOutcome()).isPresent();
        assertThat(sink.durableRequests).isEmpty();
    }
}
