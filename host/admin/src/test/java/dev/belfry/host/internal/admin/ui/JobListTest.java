package dev.belfry.host.internal.admin.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.schedule.Schedule;
import dev.belfry.sidecar.JobStatus;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The list pages share one job snapshot for a second (five on a busy host), and see an operator's action at once. */
class JobListTest {
    private final FakeBackend host = new FakeBackend();
    private final AtomicLong nanos = new AtomicLong();
    private final AtomicBoolean busy = new AtomicBoolean();
    private final JobList list = new JobList(host, nanos::get, busy::get);

    @Test
    void shouldShareOneSnapshotForASecondThenTakeANewOne() {
        host.add(FakeBackend.job("a.one", Schedule.manual(), JobStatus.IDLE, Optional.empty()));
        assertThat(list.jobs()).hasSize(1);
        host.add(FakeBackend.job("a.two", Schedule.manual(), JobStatus.IDLE, Optional.empty()));

        nanos.addAndGet(JobList.FRESH.toNanos() - 1);
        assertThat(list.jobs()).hasSize(1);
        nanos.addAndGet(1);
        assertThat(list.jobs()).hasSize(2);
    }

    @Test
    void shouldShareOneSnapshotForFiveSecondsWhileTheHostIsBusy() {
        busy.set(true);
        host.add(FakeBackend.job("a.one", Schedule.manual(), JobStatus.IDLE, Optional.empty()));
        assertThat(list.jobs()).hasSize(1);
        host.add(FakeBackend.job("a.two", Schedule.manual(), JobStatus.IDLE, Optional.empty()));

        nanos.addAndGet(JobList.FRESH_WHEN_BUSY.toNanos() - 1);
        assertThat(list.jobs()).hasSize(1);
        busy.set(false); // no longer busy: a second is old enough
        assertThat(list.jobs()).hasSize(2);
    }

    @Test
    void shouldTakeANewSnapshotAfterAnAction() {
        assertThat(list.jobs()).isEmpty();
        host.add(FakeBackend.job("a.one", Schedule.manual(), JobStatus.IDLE, Optional.empty()));

        list.changed();

        assertThat(list.jobs()).hasSize(1);
    }

    @Test
    void shouldShareTheRecordsAndThePluginsWithJobsLikeTheSnapshot() {
        host.add(FakeBackend.job("b.one", Schedule.manual(), JobStatus.IDLE, Optional.empty()));
        assertThat(list.plugins()).containsExactly("b");
        host.add(FakeBackend.job("a.two", Schedule.manual(), JobStatus.IDLE, Optional.empty()));

        assertThat(list.records()).hasSize(1);
        assertThat(list.plugins()).containsExactly("b");
        nanos.addAndGet(JobList.FRESH.toNanos());
        assertThat(list.plugins()).containsExactly("a", "b");
        host.add(FakeBackend.job("c.three", Schedule.manual(), JobStatus.IDLE, Optional.empty()));
        list.changed();
        assertThat(list.records()).hasSize(3);
    }
}
