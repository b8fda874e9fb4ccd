package dev.belfry.host.internal.admin.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What the open dashboards share is taken once a second (every five on a busy host), and again after an action. */
class SharedTest {
    private final AtomicInteger taken = new AtomicInteger();
    private final AtomicLong nanos = new AtomicLong();
    private final AtomicBoolean busy = new AtomicBoolean();
    private final Shared<Integer> shared = new Shared<>(taken::incrementAndGet, nanos::get, busy::get);

    @Test
    void shouldShareOneValueForASecondThenTakeANewOne() {
        assertThat(shared.get()).isEqualTo(1);

        nanos.addAndGet(Shared.FRESH.toNanos() - 1);
        assertThat(shared.get()).isEqualTo(1);
        nanos.addAndGet(1);
        assertThat(shared.get()).isEqualTo(2);
    }

    @Test
    void shouldShareOneValueForFiveSecondsWhileTheHostIsBusy() {
        busy.set(true);
        assertThat(shared.get()).isEqualTo(1);

        nanos.addAndGet(Shared.FRESH_WHEN_BUSY.toNanos() - 1);
        assertThat(shared.get()).isEqualTo(1);
        busy.set(false); // no longer busy: a second is old enough
        assertThat(shared.get()).isEqualTo(2);
    }

    @Test
    void shouldTakeANewValueAfterAnAction() {
        assertThat(shared.get()).isEqualTo(1);

        shared.changed();

        assertThat(shared.get()).isEqualTo(2);
    }
}
