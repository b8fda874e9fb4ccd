package dev.belfry.host.internal.admin.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.schedule.Schedule;
import dev.belfry.sidecar.JobStatus;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The list pages share one job snapshot for a second, and see an operator's action at once. */
class JobListTest {
    private final FakeBackend host = new FakeBackend();
    private final AtomicLong nanos = new AtomicLong();
    private final JobList list = new JobList(host, nanos::get);

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
    void shouldTakeANewSnapshotAfterAnAction() {
        assertThat(list.jobs()).isEmpty();
        host.add(FakeBackend.job("a.one", Schedule.manual(), JobStatus.IDLE, Optional.empty()));

        list.changed();

        assertThat(list.jobs()).hasSize(1);
    }
}
