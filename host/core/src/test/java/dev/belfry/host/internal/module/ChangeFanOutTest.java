package dev.belfry.host.internal.module;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.engine.StateSink;
import dev.belfry.host.internal.state.RunLog;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.SidecarFileOps;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the modules hear of the engine's changes: in cluster mode, only those of the jobs this host owns. */
class ChangeFanOutTest {
    private static final QName MINE = QName.of("app", "mine");
    private static final QName THEIRS = QName.of("app", "theirs");

    @TempDir
    Path dir;

    @Test
    void shouldTellModulesOnlyOfOwnedJobsWhenTheStoreOwnsSomeWhileTheStoreGetsEveryChange() throws IOException {
        // given a store of a cluster host that owns one of two jobs, and a module
        Store truth = new Store(Set.of(MINE));
        ChangeFanOut fanOut = new ChangeFanOut(truth, runLog(), List.of());
        Recorder module = new Recorder();
        fanOut.add(module);

        // when both jobs change, start a run and are removed
        fanOut.put(job(MINE));
        fanOut.put(job(THEIRS));
        fanOut.started(job(MINE), Instant.EPOCH, 1);
        fanOut.started(job(THEIRS), Instant.EPOCH, 1);
        fanOut.remove(MINE);
        fanOut.remove(THEIRS);

        // then the module heard of the owned job only, and the store of both
        assertThat(module.events).containsExactly("changed app.mine", "changed app.mine", "removed app.mine");
        assertThat(truth.events).containsExactly("put app.mine", "put app.theirs", "put app.mine", "put app.theirs",
                "remove app.mine", "remove app.theirs");
        assertThat(fanOut.owns(THEIRS)).isFalse();
    }

    @Test
    void shouldTellModulesOfEveryJobWhenTheStoreIsAHostsAlone() throws IOException {
        // given a store that does not say what it owns (a host on its own)
        Store alone = new Store(null);
        ChangeFanOut fanOut = new ChangeFanOut(alone, runLog(), List.of());
        Recorder module = new Recorder();
        fanOut.add(module);

        // when jobs change and go
        fanOut.put(job(MINE));
        fanOut.put(job(THEIRS));
        fanOut.remove(THEIRS);

        // then the module heard of all of it
        assertThat(module.events).containsExactly("changed app.mine", "changed app.theirs", "removed app.theirs");
    }

    private RunLog runLog() throws IOException {
        return RunLog.open(dir, SidecarFileOps.nio(), 0, Duration.ofHours(1), RunLog.Limits.DEFAULT, Instant.EPOCH);
    }

    private static JobRecord job(QName qname) {
        return JobRecord.pending(qname, qname.namespace(), Schedule.manual());
    }

    /** A store that records what it is told; with a set of owned jobs, a cluster host's, else a host's alone. */
    private static final class Store implements StateSink {
        final List<String> events = new ArrayList<>();
        private final Set<QName> owned;

        Store(Set<QName> owned) {
            this.owned = owned;
        }

        @Override
        public long put(JobRecord record) {
            events.add("put " + record.qname());
            return events.size();
        }

        @Override
        public long remove(QName qname) {
            events.add("remove " + qname);
            return events.size();
        }

        @Override
        public boolean owns(QName qname) {
            return owned == null ? StateSink.super.owns(qname) : owned.contains(qname);
        }

        @Override
        public CompletableFuture<Void> durable(long ticket) {
            return CompletableFuture.completedFuture(null);
        }
    }

    private static final class Recorder implements AttachedModule {
        final List<String> events = new ArrayList<>();

        @Override
        public void jobChanged(JobRecord record) {
            events.add("changed " + record.qname());
        }

        @Override
        public void jobRemoved(QName qname) {
            events.add("removed " + qname);
        }

        @Override
        public void close() {
        }
    }
}
