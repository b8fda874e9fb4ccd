package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.module.PluginNode;
import static dev.belfry.host.internal.graph.TestJobs.T0;
import static dev.belfry.host.internal.graph.TestJobs.job;
import static dev.belfry.host.internal.graph.TestJobs.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.host.internal.graph.MirrorQueue.JobChange;
import dev.belfry.host.internal.graph.MirrorQueue.PluginsChange;
import dev.belfry.host.internal.graph.MirrorQueue.RunChange;
import dev.belfry.sidecar.JobStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The mirror's waiting room, without Neo4j: coalescing, version guard, overflow, give-back after failures. */
class MirrorQueueTest {
    private final MirrorQueue queue = new MirrorQueue(3);

    @Test
    void shouldKeepOneEntryPerJobWithTheNewestVersionWhenChangesPileUp() {
        for (int v = 0; v < 1_000; v++) {
            queue.jobChanged(job("p.a", v), T0.plusMillis(v));
            queue.jobChanged(job("p.b", v), T0.plusMillis(v));
        }

        assertThat(queue.depth()).isEqualTo(2);
        assertThat(queue.pendingJobs().get(QName.parse("p.a")).version()).isEqualTo(999);
        assertThat(queue.oldest()).contains(T0);
    }

    @Test
    void shouldIgnoreAnOlderVersionWhenANewerOneWaits() {
        queue.jobChanged(job("p.a", 5).withStatus(JobStatus.RUNNING), T0);
        queue.jobChanged(job("p.a", 3).withStatus(JobStatus.FAILED), T0.plusSeconds(1));

        JobChange waiting = queue.pendingJobs().get(QName.parse("p.a"));
        assertThat(waiting.version()).isEqualTo(5);
        assertThat(waiting.record().orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
    }

    @Test
    void shouldDeleteBeforeWritingWhenAJobIsRemovedAndComesBack() {
        queue.jobChanged(job("p.a", 7), T0);
        queue.jobRemoved(QName.parse("p.a"), T0.plusSeconds(1));
        queue.jobChanged(job("p.a", 0), T0.plusSeconds(2));

        JobChange waiting = queue.pendingJobs().get(QName.parse("p.a"));
        assertThat(waiting.removeFirst()).isTrue();
        assertThat(waiting.version()).isZero();
        assertThat(waiting.since()).isEqualTo(T0);
    }

    @Test
    void shouldDropTheOldestRunsWhenFull() {
        for (long id = 1; id <= 5; id++) {
            queue.runFinished(run("p.a", id, T0, Optional.empty()), T0.plusSeconds(id));
        }

        assertThat(queue.depth()).isEqualTo(3);
        assertThat(queue.runsDropped()).isEqualTo(2);
        assertThat(queue.takeRuns(10).runs()).extracting(r -> r.result().runId()).containsExactly(3L, 4L, 5L);
    }

    @Test
    void shouldKeepNewerChangesWhenAFailedBatchComesBack() {
        queue.jobChanged(job("p.a", 1), T0);
        queue.jobChanged(job("p.b", 1), T0);
        List<JobChange> batch = queue.takeJobs(10);
        assertThat(queue.depth()).as("a batch being written still counts").isEqualTo(2);
        queue.jobChanged(job("p.a", 2), T0.plusSeconds(5));

        queue.giveBackJobs(batch);

        assertThat(queue.depth()).isEqualTo(2);
        assertThat(queue.pendingJobs().get(QName.parse("p.a")).version()).isEqualTo(2);
        assertThat(queue.pendingJobs().get(QName.parse("p.a")).since()).isEqualTo(T0);
        assertThat(queue.pendingJobs().get(QName.parse("p.b")).version()).isEqualTo(1);
    }

    @Test
    void shouldPutAFailedBatchBackInFrontSoTheOldestChangeStaysFirst() {
        queue.jobChanged(job("p.a", 1), T0);
        queue.jobChanged(job("p.b", 1), T0.plusSeconds(1));
        List<JobChange> batch = queue.takeJobs(1); // p.a is out
        queue.jobChanged(job("p.c", 1), T0.plusSeconds(2));
        queue.jobChanged(job("p.b", 2), T0.plusSeconds(3)); // coalesced: keeps its place and its first time

        queue.giveBackJobs(batch);

        assertThat(queue.oldest()).contains(T0);
        assertThat(queue.takeJobs(10)).extracting(c -> c.qname().toString()).containsExactly("p.a", "p.b", "p.c");
        queue.jobsWritten();
        queue.jobChanged(job("p.d", 1), T0.plusSeconds(9));
        assertThat(queue.oldest()).contains(T0.plusSeconds(9));
    }

    @Test
    void shouldStillDeleteWhenAFailedRemovalComesBackAfterTheJobReturned() {
        queue.jobRemoved(QName.parse("p.a"), T0);
        List<JobChange> batch = queue.takeJobs(10);
        queue.jobChanged(job("p.a", 0), T0.plusSeconds(1));

        queue.giveBackJobs(batch);

        JobChange waiting = queue.pendingJobs().get(QName.parse("p.a"));
        assertThat(waiting.removeFirst()).isTrue();
        assertThat(waiting.version()).isZero();
    }

    @Test
    void shouldKeepTheReturnedJobWhenItsOldIncarnationFailsAndComesBackWithAHigherVersion() {
        queue.jobChanged(job("p.a", 18), T0);
        List<JobChange> batch = queue.takeJobs(10);
        queue.jobRemoved(QName.parse("p.a"), T0.plusSeconds(1));
        queue.jobChanged(job("p.a", 0), T0.plusSeconds(2)); // back, counting versions from 0 again

        queue.giveBackJobs(batch);

        JobChange waiting = queue.pendingJobs().get(QName.parse("p.a"));
        assertThat(waiting.version()).as("the returned job, not its failed old record").isZero();
        assertThat(waiting.removeFirst()).isTrue();
        assertThat(waiting.since()).isEqualTo(T0);
    }

    @Test
    void shouldDropTheOldestWhenFailedRunsComeBackToAFullQueue() {
        queue.runFinished(run("p.a", 1, T0, Optional.empty()), T0);
        queue.runFinished(run("p.a", 2, T0, Optional.empty()), T0);
        List<RunChange> batch = queue.takeRuns(10).runs();
        queue.runFinished(run("p.a", 3, T0, Optional.empty()), T0);
        queue.runFinished(run("p.a", 4, T0, Optional.empty()), T0);

        queue.giveBackRuns(batch);

        assertThat(queue.runsDropped()).isEqualTo(1);
        assertThat(queue.takeRuns(10).runs()).extracting(r -> r.result().runId()).containsExactly(2L, 3L, 4L);
    }

    @Test
    void shouldKeepTheNewerPluginListWhenAFailedOneComesBack() {
        PluginNode a = new PluginNode("a", "1", "started", List.of());
        PluginNode b = new PluginNode("b", "1", "started", List.of());
        queue.pluginsChanged(List.of(a), T0);
        PluginsChange failed = queue.takePlugins().orElseThrow();
        queue.pluginsChanged(List.of(a, b), T0.plusSeconds(1));

        queue.giveBackPlugins(failed);

        assertThat(queue.takePlugins()).get().satisfies(p -> {
            assertThat(p.plugins()).containsExactly(a, b);
            assertThat(p.since()).isEqualTo(T0);
        });
        assertThat(queue.knownPlugins()).contains(List.of(a, b));
    }

    @Test
    void shouldReportNoLagWhenNothingWaits() throws InterruptedException {
        assertThat(queue.oldest()).isEmpty();
        assertThat(queue.awaitWork(Duration.ofMillis(1))).isFalse();
        queue.jobChanged(job("p.a", 1), T0);
        assertThat(queue.awaitWork(Duration.ofMillis(1))).isTrue();
        queue.takeJobs(10);
        queue.jobsWritten();
        assertThat(queue.oldest()).isEmpty();
        assertThat(queue.depth()).isZero();
    }

    @Test
    void shouldTellHowManyJobChangesWaitedAheadOfTheRunsTaken() {
        queue.jobChanged(job("p.a", 1), T0);
        queue.jobChanged(job("p.b", 1), T0);
        queue.runFinished(run("p.b", 1, T0, Optional.empty()), T0.plusSeconds(1));
        queue.jobChanged(job("p.c", 1), T0.plusSeconds(2)); // after the run: need not go first

        MirrorQueue.RunBatch batch = queue.takeRuns(10);
        queue.jobChanged(job("p.d", 1), T0.plusSeconds(3));

        assertThat(batch.jobsAhead()).isEqualTo(3);
        assertThat(queue.takeJobs(2)).extracting(c -> c.qname().toString()).containsExactly("p.a", "p.b");
    }

    @Test
    void shouldCountJobsAndRunsOutTogetherUntilEachIsWritten() {
        queue.jobChanged(job("p.a", 1), T0.plusSeconds(5));
        queue.runFinished(run("p.a", 1, T0, Optional.empty()), T0);
        queue.takeRuns(10);
        queue.takeJobs(10);

        assertThat(queue.depth()).isEqualTo(2);
        queue.jobsWritten();
        assertThat(queue.depth()).isEqualTo(1);
        assertThat(queue.oldest()).contains(T0);
        queue.runsWritten();
        assertThat(queue.depth()).isZero();
        assertThat(queue.oldest()).isEmpty();
    }
}
