package dev.belfry.host.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.belfry.api.JobSpec;
import dev.belfry.api.MisfirePolicy;
import dev.belfry.api.QName;
import dev.belfry.api.RetryPolicy;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.TriggerOutcome;
import dev.belfry.host.internal.engine.EngineTest.TestJob;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.testing.Eventually;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The engine in cluster mode: jobs known here but fired by another host, jobs adopted and released as their shard
 * moves, run starts that carry their fire to the store, and fires the store says another host has taken.
 */
class ClusterEngineTest {
    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final Instant NOON = Instant.parse("2027-01-04T12:00:00Z");
    private static final QName TICK = QName.parse("demo.tick");
    private static final Schedule EVERY_MINUTE = Schedule.every(Duration.ofMinutes(1));
    private static final RetryPolicy RETRY_AFTER_A_SECOND = new RetryPolicy(3, SECOND, 2.0, SECOND, 0.0);

    private final FakeClock clock = new FakeClock(NOON);
    private final ClusterSink sink = new ClusterSink();
    private final HeldRuns runs = new HeldRuns();
    private boolean commitBeforeRun;
    private Duration claimAhead = Duration.ZERO;
    private boolean firesHere = true;
    private Engine engine;

    /** INFO too: a fire taken by another host is told at INFO. */
    @RegisterExtension
    final LogCapture log = LogCapture.of(Engine.class).atLevel(Level.INFO);

    /** A fire claim as a cluster's: always yes here, the store decides for good as the start is committed. */
    private Engine engine() {
        if (engine == null) {
            FireClaim claim = new FireClaim() {
                @Override
                public boolean claim(QName job, Instant scheduledFor) {
                    return true;
                }

                @Override
                public boolean commitBeforeRun() {
                    return commitBeforeRun;
                }

                @Override
                public boolean firesHere(QName job) {
                    return firesHere;
                }

                @Override
                public Duration claimAhead() {
                    return claimAhead;
                }
            };
            engine = new Engine(clock, sink, claim, runs, new EngineSettings(8, Duration.ofSeconds(5),
                    Duration.ofSeconds(10), Duration.ofDays(30)), () -> 0.5, schedule -> { }, EngineListener.NONE);
        }
        return engine;
    }

    /** The plugin "demo" starts on this host with one job. */
    private TestJob attach(JobSpec spec, TestJob.Behaviour behaviour) {
        TestJob job = new TestJob(spec, behaviour);
        engine().attach("demo", List.of(new PluginJob(new QName("demo", spec.name()), spec, job)));
        return job;
    }

    private TestJob attach(JobSpec spec) {
        return attach(spec, ctx -> { });
    }

    /** A job as the shared store holds it: scheduled, its next fire at {@code nextFireAt}. */
    private static JobRecord stored(String name, Schedule schedule, String nextFireAt) {
        return JobRecord.pending(new QName("demo", name), "demo", schedule).withStatus(JobStatus.SCHEDULED)
                .withNextFireAt(Optional.of(Instant.parse(nextFireAt)));
    }

    private JobRecord engineCopy(QName qname) {
        return engine().job(qname).orElseThrow().record();
    }

    private void at(String isoInstant) {
        clock.set(Instant.parse(isoInstant));
    }

    // ------------------------------------------------------------------------------------------ another host's jobs

    @Test
    void shouldNotFireAJobRestoredAsAnotherHostsWhenItsTimeComes() {
        // given: a job of the cluster another host fires, whose plugin this host has too
        engine().restoreAsElsewhere(List.of(stored("tick", EVERY_MINUTE, "2027-01-04T12:01:00Z")));
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).retry(RETRY_AFTER_A_SECOND).build());

        // when: its fires come, and go by for longer than the misfire threshold
        at("2027-01-04T12:01:00Z");
        int atItsTime = engine().runDue();
        at("2027-01-04T12:05:00Z");
        int later = engine().runDue();

        // then: nothing fires here, nothing is armed, and no missed fire is counted: they are not this host's
        assertThat(atItsTime).isZero();
        assertThat(later).isZero();
        assertThat(runs.size()).isZero();
        assertThat(job.contexts).isEmpty();
        assertThat(engine().nextDue()).isEmpty();
        assertThat(engine().stats().firesMissed()).isZero();
        assertThat(engine().isElsewhere(TICK)).isTrue();
        assertThat(sink.starts).isEmpty();
    }

    @Test
    void shouldNotRecordARunOfAnotherHostsJobAsCutOff() {
        // given: the store shows another host running a once job
        Schedule once = Schedule.once(Instant.parse("2027-01-04T11:59:00Z"));
        JobRecord running = JobRecord.pending(new QName("demo", "report"), "demo", once)
                .withStatus(JobStatus.RUNNING).withLastStartedAt(Optional.of(Instant.parse("2027-01-04T11:59:00Z")))
                .withRunCount(1);

        // when: this host starts with it as another host's, loads its plugin, and time goes by
        engine().restoreAsElsewhere(List.of(running));
        TestJob job = attach(JobSpec.builder("report", once).retry(RETRY_AFTER_A_SECOND).build());
        clock.advance(Duration.ofHours(1));
        engine().runDue();

        // then: no failed run is recorded (restore() would say "host stopped during run"), nor retried here
        JobRecord copy = engineCopy(QName.parse("demo.report"));
        assertThat(copy.failureCount()).isZero();
        assertThat(copy.consecutiveFailures()).isZero();
        assertThat(copy.lastOutcome()).isEmpty();
        assertThat(sink.history).noneMatch(r -> r.lastOutcome().isPresent() || r.failureCount() > 0);
        assertThat(job.contexts).isEmpty();
        log.assertNotLogged(Level.WARN, "");
    }

    @Test
    void shouldHandOperationsOnAnotherHostsJobToTheForwarderAndLeaveItsCopyAlone() {
        // given: a job another host fires, a job of this host's, and a forwarder to the other host
        engine().restoreAsElsewhere(List.of(stored("tick", EVERY_MINUTE, "2027-01-04T12:01:00Z")));
        TestJob tick = attach(JobSpec.builder("tick", EVERY_MINUTE).build());
        List<String> forwarded = new ArrayList<>();
        engine().forwardElsewhere((op, qname) -> {
            forwarded.add(op + " " + qname);
            return op == ElsewhereOperations.Op.TRIGGER ? TriggerOutcome.QUEUED : null;
        });
        JobRecord before = engineCopy(TICK);
        int writesBefore = sink.history.size();

        // when: an operator acts on the other host's job from here
        TriggerOutcome outcome = engine().trigger(TICK);
        engine().pause(TICK);
        engine().resume(TICK);
        engine().cancel(TICK);

        // then: each operation went to the owner, with the owner's answer; nothing ran or changed here
        assertThat(forwarded).containsExactly("TRIGGER demo.tick", "PAUSE demo.tick", "RESUME demo.tick",
                "CANCEL demo.tick");
        assertThat(outcome).isEqualTo(TriggerOutcome.QUEUED);
        assertThat(runs.size()).isZero();
        assertThat(tick.contexts).isEmpty();
        assertThat(engineCopy(TICK)).isEqualTo(before);
        assertThat(sink.history).hasSize(writesBefore);
    }

    @Test
    void shouldActOnThisHostsOwnJobsWithoutTheForwarderAndPassOnTheOwnersRefusal() {
        // given: a forwarder whose owner refuses everything, a job another host fires and one of this host's
        engine().restoreAsElsewhere(List.of(stored("tick", EVERY_MINUTE, "2027-01-04T12:01:00Z")));
        attach(JobSpec.builder("tick", EVERY_MINUTE).build());
        TestJob mine = new TestJob(JobSpec.builder("mine", Schedule.manual()).build(), ctx -> { });
        engine().attach("local", List.of(new PluginJob(QName.parse("local.mine"), mine.spec, mine)));
        engine().forwardElsewhere((op, qname) -> {
            throw new JobOperationException(JobOperationException.Reason.CONFLICT, "host-b: no");
        });

        // when/then: the other host's refusal reaches the operator; this host's job runs here
        assertThatThrownBy(() -> engine().pause(TICK)).isInstanceOf(JobOperationException.class)
                .hasMessage("host-b: no");
        assertThat(engine().trigger(QName.parse("local.mine"))).isEqualTo(TriggerOutcome.STARTED);
        runs.runAll();
        assertThat(mine.contexts).hasSize(1);
        assertThat(engineCopy(TICK).paused()).isFalse();
    }

    // ------------------------------------------------------------------------------------------ adopt

    @Test
    void shouldRunOnceForTheFiresMissedBeforeAJobWasAdoptedUnderFireOnce() {
        // given: another host's job; that host stopped at 12:00:30, its next fire 12:01 still to come
        JobRecord asLeft = stored("tick", EVERY_MINUTE, "2027-01-04T12:01:00Z");
        engine().restoreAsElsewhere(List.of(asLeft));
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).misfire(MisfirePolicy.fireOnce()).build());

        // when: this host takes its shard over at 12:05:30, five fires later
        at("2027-01-04T12:05:30Z");
        int adopted = engine().adopt(List.of(asLeft), TICK::equals);
        runs.runAll();

        // then: one run, for the earliest missed fire, and the schedule goes on from here
        assertThat(adopted).isEqualTo(1);
        assertThat(engine().isElsewhere(TICK)).isFalse();
        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:01:00Z"));
        assertThat(engine().stats().firesMissed()).isEqualTo(5);
        assertThat(sink.require("demo.tick").nextFireAt()).contains(Instant.parse("2027-01-04T12:06:00Z"));
        at("2027-01-04T12:06:00Z");
        assertThat(engine().runDue()).isEqualTo(1);
        runs.runAll();
        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:01:00Z"),
                Instant.parse("2027-01-04T12:06:00Z"));
    }

    @Test
    void shouldLeaveAFireDueWhileItsLeaseLapsedHereToTheMisfirePolicyOfWhoeverAdoptsTheJob() {
        // given: this host's job, fired at noon and committed, next fire 12:01
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).misfire(MisfirePolicy.fireOnce()).build());
        engine().runDue();
        runs.runAll();
        JobRecord committed = sink.require("demo.tick");
        int changes = sink.history.size();

        // when: its 12:01 fire falls due while the lease on its shard has lapsed on this host
        firesHere = false;
        at("2027-01-04T12:01:00Z");
        int fired = engine().runDue();

        // then: nothing runs, nothing of it changes, and it is no longer this host's until adopted
        assertThat(fired).isZero();
        assertThat(sink.history).hasSize(changes);
        assertThat(engine().isElsewhere(TICK)).isTrue();
        assertThat(engine().nextDue()).isEmpty();

        // when: the lease is back at 12:03:30 and the job is adopted as stored
        firesHere = true;
        at("2027-01-04T12:03:30Z");
        engine().adopt(List.of(committed), TICK::equals);
        runs.runAll();

        // then: the 12:01 fire goes through the misfire policy: one run for it, none lost
        assertThat(job.scheduledFors()).containsExactly(NOON, Instant.parse("2027-01-04T12:01:00Z"));
        assertThat(engine().stats().firesMissed()).isEqualTo(3);
    }

    @Test
    void shouldRefuseToTriggerAJobWhoseLeaseLapsedHereRatherThanCallItSkipped() {
        // given: this host's job, its lease lapsed on this host's clock a moment ago
        attach(JobSpec.builder("tick", Schedule.manual()).build());
        firesHere = false;

        // when / then: a trigger is refused, saying why, and nothing starts
        assertThatThrownBy(() -> engine().trigger(TICK)).isInstanceOf(JobOperationException.class)
                .hasMessage("job demo.tick was not triggered: this host's lease on it has run out (the cluster database"
                        + " is out of reach, or the job is moving to another host); ask again in a few seconds");
        assertThat(runs.size()).isZero();
        assertThat(sink.starts).isEmpty();
    }

    @Test
    void shouldDropTheFiresMissedBeforeAJobWasAdoptedUnderSkip() {
        // given: another host's job that skips missed fires
        JobRecord asLeft = stored("tick", EVERY_MINUTE, "2027-01-04T12:01:00Z");
        engine().restoreAsElsewhere(List.of(asLeft));
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).misfire(MisfirePolicy.skip()).build());

        // when: this host takes it over five fires late
        at("2027-01-04T12:05:30Z");
        engine().adopt(List.of(asLeft), TICK::equals);
        runs.runAll();

        // then: none of them runs; its next fire does
        assertThat(job.contexts).isEmpty();
        assertThat(sink.require("demo.tick").nextFireAt()).contains(Instant.parse("2027-01-04T12:06:00Z"));
        at("2027-01-04T12:06:00Z");
        engine().runDue();
        runs.runAll();
        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:06:00Z"));
    }

    @Test
    void shouldNotFireAOnceJobAnotherHostCompletedWhenAdoptingIt() {
        // given: this host saw a once job due at 12:01; its owner ran it meanwhile
        Schedule once = Schedule.once(Instant.parse("2027-01-04T12:01:00Z"));
        engine().restoreAsElsewhere(List.of(stored("report", once, "2027-01-04T12:01:00Z")));
        TestJob job = attach(JobSpec.builder("report", once).build());
        JobRecord completed = stored("report", once, "2027-01-04T12:01:00Z").withStatus(JobStatus.COMPLETED)
                .withNextFireAt(Optional.empty()).withRunCount(1);

        // when: this host adopts it later, as the store has it now
        at("2027-01-04T12:05:00Z");
        engine().adopt(List.of(completed), QName.parse("demo.report")::equals);
        engine().runDue();

        // then: it does not run again here
        assertThat(runs.size()).isZero();
        assertThat(job.contexts).isEmpty();
        assertThat(engineCopy(QName.parse("demo.report")).status()).isEqualTo(JobStatus.COMPLETED);
    }

    @Test
    void shouldRecordARunOfALostHostAsFailedAndRetryItWhenAdoptingItsJob() {
        // given: the store shows the 12:00 fire of a job running on a host that has since died
        JobRecord asLeft = stored("tick", EVERY_MINUTE, "2027-01-04T12:01:00Z").withStatus(JobStatus.RUNNING)
                .withLastStartedAt(Optional.of(NOON)).withRunCount(1);
        engine().restoreAsElsewhere(List.of(asLeft));
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).retry(RETRY_AFTER_A_SECOND).build());

        // when: this host takes its shard over 20 s later
        at("2027-01-04T12:00:20Z");
        engine().adopt(List.of(asLeft), TICK::equals);

        // then: that run is a failure, said in the record and the log, and its retry is due a second later
        JobRecord failed = sink.require("demo.tick");
        assertThat(failed.status()).isEqualTo(JobStatus.FAILED_RETRYING);
        assertThat(failed.lastOutcome().orElseThrow().success()).isFalse();
        assertThat(failed.lastOutcome().orElseThrow().message())
                .isEqualTo("the host running it stopped or lost its lease during the run");
        assertThat(failed.failureCount()).isEqualTo(1);
        log.assertLogged(Level.WARN, "job demo.tick was running on a host that stopped or lost it; recorded as a"
                + " failed run");
        assertThat(engine().nextDue()).contains(Instant.parse("2027-01-04T12:00:21Z"));

        clock.advance(SECOND);
        assertThat(engine().runDue()).isEqualTo(1);
        runs.runAll();
        assertThat(job.attempts()).containsExactly(2);
        assertThat(job.scheduledFors()).containsExactly(NOON);
        JobRecord retried = sink.require("demo.tick");
        assertThat(retried.status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(retried.consecutiveFailures()).isZero();
        assertThat(retried.runCount()).isEqualTo(2);
    }

    @Test
    void shouldForgetJobsTheStoreNoLongerHasWhenAdoptingAShardWithoutRemovingThemFromIt() {
        // given: three jobs of other hosts; b's host removed it from the store meanwhile (a cancelled dynamic job)
        engine().restoreAsElsewhere(List.of(stored("a", EVERY_MINUTE, "2027-01-04T12:01:00Z"),
                stored("b", EVERY_MINUTE, "2027-01-04T12:01:00Z"), stored("c", EVERY_MINUTE, "2027-01-04T12:01:00Z")));
        Set<QName> shard = Set.of(QName.parse("demo.a"), QName.parse("demo.b"));

        // when: this host adopts the shard of a and b, the store holding only a
        int adopted = engine().adopt(List.of(stored("a", EVERY_MINUTE, "2027-01-04T12:01:00Z")), shard::contains);

        // then: b is gone here, and only here; c, of another shard, is still known as another host's
        assertThat(adopted).isEqualTo(1);
        assertThat(engine().jobs()).extracting(j -> j.record().qname().toString())
                .containsExactly("demo.a", "demo.c");
        assertThat(sink.removed).isEmpty();
        assertThat(engine().isElsewhere(QName.parse("demo.a"))).isFalse();
        assertThat(engine().isElsewhere(QName.parse("demo.c"))).isTrue();
    }

    @Test
    void shouldOrphanAnAdoptedJobWhosePluginThisHostLacksOnceTheFirstScanIsDone() {
        // given: a host starting with no job of the cluster known yet
        engine().restoreAsElsewhere(List.of());
        JobRecord report = JobRecord.pending(QName.parse("reports.daily"), "reports", Schedule.cron("0 6 * * *"))
                .withStatus(JobStatus.SCHEDULED).withNextFireAt(Optional.of(Instant.parse("2027-01-05T06:00:00Z")));
        JobRecord other = JobRecord.pending(QName.parse("reports.weekly"), "reports", Schedule.cron("0 6 * * 1"))
                .withStatus(JobStatus.SCHEDULED).withNextFireAt(Optional.of(Instant.parse("2027-01-11T06:00:00Z")));

        // when: it adopts a job whose plugin it has not loaded, while its first plugin scan is going
        engine().adopt(List.of(report), QName.parse("reports.daily")::equals);

        // then: the plugin may yet load: the job waits; once the scan ends without it, the job is orphaned
        assertThat(sink.require("reports.daily").status()).isEqualTo(JobStatus.PENDING);
        engine().orphanJobsOfMissingPlugins(Set.of("demo"));
        assertThat(sink.require("reports.daily").status()).isEqualTo(JobStatus.ORPHANED);

        // and a job without code here adopted after the scan is orphaned at once; neither ever fires
        engine().adopt(List.of(other), QName.parse("reports.weekly")::equals);
        assertThat(sink.require("reports.weekly").status()).isEqualTo(JobStatus.ORPHANED);
        at("2027-01-11T06:00:00Z");
        assertThat(engine().runDue()).isZero();
    }

    @Test
    void shouldLeavePruningAnotherHostsOrphanToThatHost() {
        // given: an orphan of long ago in the store, as this host saw it at start; another host owns it
        JobRecord orphan = JobRecord.pending(QName.parse("gone.old"), "gone", Schedule.manual())
                .withStatus(JobStatus.ORPHANED).withOrphanedAt(Optional.of(Instant.parse("2026-11-01T00:00:00Z")));
        engine().restoreAsElsewhere(List.of(orphan));
        engine().orphanJobsOfMissingPlugins(Set.of());

        // when: this host's engine steps past the retention check
        engine().runDue();

        // then: it does not delete from the shared store a job it does not own (its owner may have the plugin back)
        assertThat(sink.removed).isEmpty();
        assertThat(engine().job(QName.parse("gone.old"))).isPresent();

        // when: the shard comes to this host, and the hourly retention check comes round
        engine().adopt(List.of(orphan), QName.parse("gone.old")::equals);
        clock.advance(Duration.ofHours(1));
        engine().runDue();

        // then: it is this host's orphan to prune
        assertThat(sink.removed).containsExactly(QName.parse("gone.old"));
        assertThat(engine().job(QName.parse("gone.old"))).isEmpty();
    }

    // ------------------------------------------------------------------------------------------ release

    @Test
    void shouldStopFiringAReleasedJobAndLetItsRunInProgressEndAndBeRecorded() {
        // given: a job of this host's, its 12:00 run in progress
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).build());
        engine().runDue();

        // when: its shard goes to another host
        int stillRunning = engine().release(TICK::equals);

        // then: the caller learns one run is still going; it ends and its end is recorded
        assertThat(stillRunning).isEqualTo(1);
        assertThat(engine().isElsewhere(TICK)).isTrue();
        assertThat(engine().nextDue()).isEmpty();
        runs.runAll();
        JobRecord ended = sink.require("demo.tick");
        assertThat(ended.status()).isNotEqualTo(JobStatus.RUNNING);
        assertThat(ended.lastOutcome().orElseThrow().success()).isTrue();
        assertThat(ended.runCount()).isEqualTo(1);
        assertThat(engine().release(TICK::equals)).isZero();

        // and it fires no more here
        at("2027-01-04T12:05:00Z");
        assertThat(engine().runDue()).isZero();
        assertThat(job.scheduledFors()).containsExactly(NOON);
    }

    @Test
    void shouldFireAgainWhenAReleasedJobIsAdoptedBack() {
        // given: a job released after its 12:00 run
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).build());
        engine().runDue();
        runs.runAll();
        engine().release(TICK::equals);
        at("2027-01-04T12:02:30Z");
        assertThat(engine().runDue()).isZero();

        // when: the shard comes back, with the job as the store has it
        assertThat(engine().adopt(List.of(sink.require("demo.tick")), TICK::equals)).isEqualTo(1);
        runs.runAll();

        // then: the fires missed meanwhile go through its misfire policy (fire once), and it fires on schedule
        at("2027-01-04T12:03:00Z");
        assertThat(engine().runDue()).isEqualTo(1);
        runs.runAll();
        assertThat(job.scheduledFors()).containsExactly(NOON, Instant.parse("2027-01-04T12:01:00Z"),
                Instant.parse("2027-01-04T12:03:00Z"));
        assertThat(sink.require("demo.tick").runCount()).isEqualTo(3);
    }

    @Test
    void shouldKeepARunInProgressWhenItsJobIsAdoptedBackBeforeTheRunEnds() {
        // given: a job released while its 12:00 run was going
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).build());
        engine().runDue();
        engine().release(TICK::equals);

        // when: the shard comes back before the run ends (the store still shows it running)
        engine().adopt(List.of(sink.require("demo.tick")), TICK::equals);
        runs.runAll();

        // then: the run is not taken for cut off: it ends as it ran, and the job fires on schedule
        JobRecord ended = sink.require("demo.tick");
        assertThat(ended.lastOutcome().orElseThrow().success()).isTrue();
        assertThat(ended.failureCount()).isZero();
        log.assertNotLogged(Level.WARN, "");
        at("2027-01-04T12:01:00Z");
        assertThat(engine().runDue()).isEqualTo(1);
        runs.runAll();
        assertThat(job.scheduledFors()).containsExactly(NOON, Instant.parse("2027-01-04T12:01:00Z"));
    }

    // ------------------------------------------------------------------------------------------ starts and claims

    @Test
    void shouldTellTheStoreWhichFireAndAttemptEachRunStartsFor() {
        // given: a job whose first attempt fails
        int[] calls = {0};
        attach(JobSpec.builder("tick", Schedule.every(Duration.ofHours(1))).retry(RETRY_AFTER_A_SECOND).build(),
                ctx -> {
                    if (++calls[0] == 1) {
                        throw new IllegalStateException("upstream said no");
                    }
                });

        // when: it fires, fails, and is retried
        engine().runDue();
        runs.runAll();
        clock.advance(SECOND);
        engine().runDue();
        runs.runAll();

        // then: each start names its fire and attempt; every other change is a plain put
        assertThat(sink.starts).containsExactly(new Start(TICK, NOON, 1), new Start(TICK, NOON, 2));
        assertThat(sink.byTicket).hasSizeGreaterThan(2);
        for (Map.Entry<Long, JobRecord> change : sink.byTicket.entrySet()) {
            assertThat(sink.startTickets.contains(change.getKey()))
                    .as("ticket %s (%s) went through started()", change.getKey(), change.getValue().status())
                    .isEqualTo(change.getValue().status() == JobStatus.RUNNING);
        }
        log.assertLogged(Level.WARN, "run 1 of job demo.tick (attempt 1) failed");
    }

    @Test
    void shouldGiveARunAWorkerOnlyOnceItsClaimIsCommitted() {
        // given: a claim shared by hosts, a periodic job (no durable start of its own) and a store slow to commit
        commitBeforeRun = true;
        sink.holdCommits();
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).build());

        // when: it fires
        engine().runDue();

        // then: it is a run in progress, but no worker has it and its code has not started
        assertThat(engine().stats().runsExecuting()).isEqualTo(1);
        assertThat(runs.size()).isZero();
        assertThat(job.contexts).isEmpty();
        assertThat(sink.durableRequests).containsExactly(sink.lastTicketOf("demo.tick"));

        // when: the store commits the start
        sink.completeCommits();

        // then: a worker takes it and the code runs
        assertThat(runs.size()).isEqualTo(1);
        runs.runAll();
        assertThat(job.scheduledFors()).containsExactly(NOON);
        assertThat(engine().stats().runsExecuting()).isZero();
    }

    @Test
    void shouldClaimARegularFireAheadOfItsInstantAndStartItsCodeAtTheInstantNotBefore() {
        // given: a claim that is committed ahead of each fire, and a job whose first run is over
        commitBeforeRun = true;
        claimAhead = Duration.ofMillis(50);
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).build());
        engine().runDue();
        runs.runAll();
        sink.holdCommits();

        // when: its next fire (12:01) is 50 ms away
        at("2027-01-04T12:00:59.950Z");
        int dispatched = engine().runDue();

        // then: the fire is claimed now, its start on record at the instant, but no code runs
        assertThat(dispatched).isEqualTo(1);
        assertThat(sink.starts).extracting(Start::scheduledFor).last().isEqualTo(Instant.parse("2027-01-04T12:01:00Z"));
        assertThat(sink.require("demo.tick").lastStartedAt()).contains(Instant.parse("2027-01-04T12:01:00Z"));

        // when: the claim is committed a moment before the instant
        at("2027-01-04T12:00:59.990Z");
        sink.completeCommits();
        engine().runDue();

        // then: the run still waits for its instant, holding no worker
        assertThat(runs.size()).isZero();
        assertThat(job.scheduledFors()).containsExactly(NOON);

        // when: the instant comes
        at("2027-01-04T12:01:00Z");
        engine().runDue();

        // then: a worker takes it and its code runs, for that instant
        assertThat(runs.size()).isEqualTo(1);
        runs.runAll();
        assertThat(job.scheduledFors()).containsExactly(NOON, Instant.parse("2027-01-04T12:01:00Z"));
        assertThat(engine().stats().runsExecuting()).isZero();
    }

    @Test
    void shouldApplyTheOverlapPolicyAtTheInstantWhenTheJobsRunIsStillGoingAheadOfIt() {
        // given: fires claimed ahead, and a job whose run from noon is still going 50 ms before its next fire
        commitBeforeRun = true;
        claimAhead = Duration.ofMillis(50);
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).build());
        engine().runDue();
        at("2027-01-04T12:00:59.950Z");
        engine().runDue();
        assertThat(sink.starts).hasSize(1);

        // when: the run ends before the instant, and the instant comes
        runs.runAll();
        at("2027-01-04T12:01:00Z");
        engine().runDue();
        runs.runAll();

        // then: the fire runs, as it would have without claiming ahead; nothing was skipped
        assertThat(job.scheduledFors()).containsExactly(NOON, Instant.parse("2027-01-04T12:01:00Z"));
        assertThat(engine().stats().firesSkipped()).isZero();
    }

    @Test
    void shouldNotRunTheCodeOfARunClaimedAheadWhoseJobWasCancelledBeforeItsInstant() {
        // given: a fire claimed ahead and committed
        commitBeforeRun = true;
        claimAhead = Duration.ofMillis(50);
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).build());
        engine().runDue();
        runs.runAll();
        at("2027-01-04T12:00:59.950Z");
        engine().runDue();

        // when: an operator cancels the job before the instant, and the instant comes
        engine().cancel(TICK);
        at("2027-01-04T12:01:00Z");
        engine().runDue();
        runs.runAll();

        // then: its code never runs for that instant, and nothing is left counted as running
        assertThat(job.scheduledFors()).containsExactly(NOON);
        assertThat(engine().stats().runsExecuting()).isZero();
    }

    @Test
    void shouldNotCountRunsWaitingForTheirClaimAgainstTheCapButRunNoMoreThanTheCapAtOnce() {
        // given: ten jobs due together on a host whose cap is 8, and a store slow to commit
        commitBeforeRun = true;
        sink.holdCommits();
        List<TestJob> jobs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            jobs.add(attach(JobSpec.builder("tick-" + i, EVERY_MINUTE).build()));
        }

        // when: they fire
        int dispatched = engine().runDue();

        // then: all ten are started (their claims on the way), none waits for a worker behind the others' commits
        assertThat(dispatched).isEqualTo(10);
        assertThat(sink.starts).hasSize(10);
        assertThat(engine().stats().firesWaitingForWorker()).isZero();

        // when: the claims are committed
        sink.completeCommits();

        // then: eight runs get workers, two wait; as each run ends, a waiting one takes its place
        assertThat(runs.size()).isEqualTo(8);
        runs.runOne();
        assertThat(runs.size()).isEqualTo(8);
        runs.runAll();
        assertThat(jobs).allSatisfy(job -> assertThat(job.scheduledFors()).containsExactly(NOON));
        assertThat(engine().stats().runsExecuting()).isZero();
    }

    @Test
    void shouldNeverRunTheCodeOfARunThatTimedOutWhileItsClaimWasBeingCommitted() {
        // given: a job with a one-second timeout, and a store that takes longer than that to commit its start
        commitBeforeRun = true;
        sink.holdCommits();
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).timeout(SECOND).build());
        engine().runDue();

        // when: its timeout comes before the commit, and then the commit
        clock.advance(SECOND);
        engine().runDue();
        sink.completeCommits();

        // then: the run is recorded as timed out, no worker ever gets it, and nothing is left counted
        assertThat(runs.size()).isZero();
        assertThat(job.contexts).isEmpty();
        assertThat(sink.require("demo.tick").lastOutcome().orElseThrow().message()).startsWith("timed out");
        assertThat(engine().stats().runsExecuting()).isZero();
        assertThat(engine().stats().abandonedStillRunning()).isZero();
    }

    @Test
    void shouldNeitherRunNorRetryAFireAnotherHostHasTaken() {
        // given: a job with retries, and a store that finds its fire taken by another host
        commitBeforeRun = true;
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).retry(RETRY_AFTER_A_SECOND).build());
        sink.takeFires("claimed by host-b (epoch 7)");

        // when: it fires
        assertThat(engine().runDue()).isEqualTo(1);
        runs.runAll();

        // then: its code never ran, its start is taken back, and the host says so at INFO, not as a failure
        assertThat(job.contexts).isEmpty();
        JobRecord back = sink.require("demo.tick");
        assertThat(back.runCount()).isZero();
        assertThat(back.lastStartedAt()).isEmpty();
        assertThat(back.failureCount()).isZero();
        assertThat(back.status()).isEqualTo(JobStatus.SCHEDULED);
        log.assertLogged(Level.INFO, "job demo.tick: fire for 2027-01-04T12:00:00Z not run here: claimed by host-b"
                + " (epoch 7)");
        log.assertNotLogged(Level.WARN, "");

        // and it is not tried again: the next thing due is the job's next fire
        assertThat(engine().nextDue()).contains(Instant.parse("2027-01-04T12:01:00Z"));
        for (int i = 0; i < 5; i++) {
            clock.advance(SECOND);
            assertThat(engine().runDue()).isZero();
        }
        assertThat(runs.size()).isZero();
        assertThat(sink.starts).containsExactly(new Start(TICK, NOON, 1));

        // and its next fire, which the store lets this host have, runs here
        sink.takeFires(null);
        at("2027-01-04T12:01:00Z");
        assertThat(engine().runDue()).isEqualTo(1);
        runs.runAll();
        assertThat(job.scheduledFors()).containsExactly(Instant.parse("2027-01-04T12:01:00Z"));
    }

    @Test
    void shouldTryAFireAgainAfterASecondWhenItsStartFailsForAnyOtherReason() {
        // given: the same job, and a store that cannot be reached
        commitBeforeRun = true;
        TestJob job = attach(JobSpec.builder("tick", EVERY_MINUTE).retry(RETRY_AFTER_A_SECOND).build());
        sink.failDurable("connection refused");

        // when: it fires
        engine().runDue();
        runs.runAll();

        // then: not run, and the same fire is tried again a second later
        assertThat(job.contexts).isEmpty();
        assertThat(engine().nextDue()).contains(Instant.parse("2027-01-04T12:00:01Z"));
        log.assertLogged(Level.WARN, "job demo.tick: its start could not be made durable (connection refused)");

        sink.recover();
        clock.advance(SECOND);
        assertThat(engine().runDue()).isEqualTo(1);
        runs.runAll();
        assertThat(job.scheduledFors()).containsExactly(NOON);
        assertThat(job.attempts()).containsExactly(1);
        assertThat(sink.starts).containsExactly(new Start(TICK, NOON, 1), new Start(TICK, NOON, 1));
    }

    /** A run start as the store was told of it. */
    record Start(QName job, Instant scheduledFor, int attempt) {
    }

    /**
     * A {@link MemorySink} that tells run starts from other changes, keeps the names it was told to remove, and can
     * answer a start's durability as a shared store does when another host has the fire.
     */
    static final class ClusterSink extends MemorySink {
        final List<Start> starts = new ArrayList<>();
        final Set<Long> startTickets = new HashSet<>();
        final List<QName> removed = new ArrayList<>();
        private String takenBy;

        @Override
        public synchronized long started(JobRecord record, Instant scheduledFor, int attempt) {
            long ticket = put(record);
            starts.add(new Start(record.qname(), scheduledFor, attempt));
            startTickets.add(ticket);
            return ticket;
        }

        @Override
        public synchronized long remove(QName qname) {
            removed.add(qname);
            return super.remove(qname);
        }

        @Override
        public synchronized CompletableFuture<Void> durable(long ticket) {
            if (takenBy != null && startTickets.contains(ticket)) {
                durableRequests.add(ticket);
                return CompletableFuture.failedFuture(new FireTakenException(takenBy));
            }
            return super.durable(ticket);
        }

        /** @param why from now on each start's durability fails with this; null: starts are committed again */
        synchronized void takeFires(String why) {
            takenBy = why;
        }
    }
}
