package dev.belfry.host.internal.admin.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The event stream's batching, replay and bounds, driven by calling the flush directly. */
class EventHubTest {
    /** The time the hub spaces its resets by, moved by the tests. */
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final EventHub hub = new EventHub(nanos::get);

    @AfterEach
    void close() {
        hub.close();
    }

    /** A connection that keeps what it is sent, or refuses once told to. */
    static final class Recorder implements EventHub.Sink {
        final List<String> got = new ArrayList<>();
        boolean full;
        boolean closed;

        @Override
        public synchronized boolean send(byte[] bytes) {
            if (full) {
                return false;
            }
            got.add(new String(bytes, StandardCharsets.UTF_8));
            return true;
        }

        @Override
        public synchronized void close() {
            closed = true;
        }

        synchronized String all() {
            return String.join("", got);
        }
    }

    @Test
    void shouldSendChangesInOneBatchWithIncreasingIds() {
        Recorder page = new Recorder();
        hub.open(page, Optional.empty(), EventHub.MAX_STREAMS);

        hub.publish("job", "a.b", "running");
        hub.publish("run", "a.b", "failed");
        hub.flush();

        assertThat(page.got).hasSize(2); // the opening, then one batch
        assertThat(page.got.get(1)).isEqualTo("id: 1\nevent: job\ndata: {\"job\":\"a.b\",\"detail\":\"running\"}\n\n"
                + "id: 2\nevent: run\ndata: {\"job\":\"a.b\",\"detail\":\"failed\"}\n\n");
    }

    @Test
    void shouldSendOnlyTheLatestProgressOfEachRunWithoutAnIdAndNotReplayIt() {
        Recorder page = new Recorder();
        hub.open(page, Optional.empty(), EventHub.MAX_STREAMS);

        hub.publish("job", "a.b", "running");
        hub.progress("a.b", 7, 0.1, "record 10");
        hub.progress("a.c", 8, 0.5, "half");
        hub.progress("a.b", 7, 0.257, "record \"26\"");
        hub.flush();
        Recorder back = new Recorder();
        hub.open(back, Optional.of(0L), EventHub.MAX_STREAMS);

        assertThat(page.got.get(1)).isEqualTo("id: 1\nevent: job\ndata: {\"job\":\"a.b\",\"detail\":\"running\"}\n\n"
                + "event: progress\ndata: {\"job\":\"a.b\",\"run\":7,\"percent\":26,\"message\":\"record \\\"26\\\"\"}\n\n"
                + "event: progress\ndata: {\"job\":\"a.c\",\"run\":8,\"percent\":50,\"message\":\"half\"}\n\n");
        assertThat(back.got.get(0)).contains("id: 1\n").doesNotContain("progress");
    }

    @Test
    void shouldShowControlCharactersOfAProgressMessageAsTheJobPageDoes() {
        Recorder page = new Recorder();
        hub.open(page, Optional.empty(), EventHub.MAX_STREAMS);

        hub.progress("a.b", 7, 0.5, "x\u0000\u001b[31my\tz");
        hub.flush();

        assertThat(page.got.get(1)).contains("\"message\":\"x\uFFFD\uFFFD[31my\\u0009z\"");
    }

    @Test
    void shouldReplayWhatAReconnectingPageMissedAndResetWhenTooMuchWasMissed() {
        hub.publish("job", "a.b", "running");
        hub.flush();
        hub.publish("job", "a.b", "scheduled");
        hub.publish("job", "a.c", "paused");
        hub.flush();
        Recorder back = new Recorder();
        Recorder lost = new Recorder();

        hub.open(back, Optional.of(1L), EventHub.MAX_STREAMS);
        for (int i = 0; i < EventHub.REPLAY + 5; i++) {
            hub.publish("job", "a.b", "running");
            hub.flush();
        }
        hub.open(lost, Optional.of(2L), EventHub.MAX_STREAMS);

        assertThat(back.got.get(0)).doesNotContain("id: 1\n").contains("id: 2\n", "\"scheduled\"", "id: 3\n",
                "\"paused\"");
        assertThat(lost.got.get(0)).contains("event: reset").doesNotContain("event: job");
    }

    @Test
    void shouldSendOneResetInsteadOfABatchTooLargeToUse() {
        Recorder page = new Recorder();
        hub.open(page, Optional.empty(), EventHub.MAX_STREAMS);

        for (int i = 0; i < EventHub.MAX_BATCH * 3; i++) {
            hub.publish("job", "a.b" + i, "running");
        }
        hub.flush();

        assertThat(page.got).hasSize(2);
        assertThat(page.got.get(1)).contains("event: reset").doesNotContain("event: job");
    }

    @Test
    void shouldSendOneResetEveryFewSecondsAtMostWhileTheHostStaysBusyAndOweOneForChangesBetween() {
        Recorder page = new Recorder();
        hub.open(page, Optional.empty(), EventHub.MAX_STREAMS);
        long step = EventHub.FLUSH_EVERY.toNanos();

        overflow(hub);
        hub.flush(); // the first reset goes out at once
        nanos.addAndGet(step);
        overflow(hub);
        hub.flush();
        nanos.addAndGet(step);
        hub.publish("job", "a.quiet", "paused"); // covered by the reset owed
        hub.flush();
        int sentWhileOwed = page.got.size();
        nanos.addAndGet(EventHub.RESET_AT_MOST_EVERY.toNanos()); // no change since: the owed reset goes out
        hub.flush();
        hub.flush();

        assertThat(sentWhileOwed).as("the opening and one reset").isEqualTo(2);
        assertThat(page.got).hasSize(3);
        assertThat(page.got.get(2)).contains("event: reset").doesNotContain("a.quiet");
        assertThat(hub.busy()).isTrue();
    }

    @Test
    void shouldSendChangesAgainOnceTheOwedResetWentOut() {
        Recorder page = new Recorder();
        hub.open(page, Optional.empty(), EventHub.MAX_STREAMS);
        overflow(hub);
        hub.flush();
        nanos.addAndGet(EventHub.RESET_AT_MOST_EVERY.toNanos());

        hub.publish("job", "a.b", "paused");
        hub.flush();

        assertThat(page.got).hasSize(3);
        assertThat(page.got.get(2)).contains("event: job", "a.b").doesNotContain("reset");
    }

    @Test
    void shouldSendNoProgressWhileTheHostIsBusy() {
        Recorder page = new Recorder();
        hub.open(page, Optional.empty(), EventHub.MAX_STREAMS);
        overflow(hub);
        hub.progress("a.b", 7, 0.5, "half");
        hub.flush();
        nanos.addAndGet(EventHub.RESET_AT_MOST_EVERY.toNanos());
        hub.publish("job", "a.b", "running"); // a quiet batch, but within the busy time after the reset
        hub.progress("a.b", 7, 0.6, "more");
        hub.flush();
        nanos.addAndGet(EventHub.BUSY_FOR.toNanos());
        hub.progress("a.b", 7, 0.7, "calm again");
        hub.flush();

        assertThat(page.all()).doesNotContain("half", "more").contains("calm again");
    }

    @Test
    void shouldSendAJobsStateOnceWhenItWasReportedTwiceInARow() {
        Recorder page = new Recorder();
        hub.open(page, Optional.empty(), EventHub.MAX_STREAMS);

        hub.publish("job", "a.b", "running");
        hub.publish("job", "a.b", "running");
        hub.publish("run", "a.b", "succeeded");
        hub.publish("job", "a.b", "scheduled");
        hub.publish("job", "a.b", "running");
        hub.flush();

        assertThat(page.got.get(1).split("\n\n")).extracting(e -> e.replaceAll("id: \\d+\n", ""))
                .containsExactly("event: job\ndata: {\"job\":\"a.b\",\"detail\":\"running\"}",
                        "event: run\ndata: {\"job\":\"a.b\",\"detail\":\"succeeded\"}",
                        "event: job\ndata: {\"job\":\"a.b\",\"detail\":\"scheduled\"}",
                        "event: job\ndata: {\"job\":\"a.b\",\"detail\":\"running\"}");
    }

    @Test
    void shouldNotSendTheProgressOfARunAfterItsEndInTheSameBatch() {
        Recorder page = new Recorder();
        hub.open(page, Optional.empty(), EventHub.MAX_STREAMS);

        hub.progress("a.b", 7, 0.9, "almost");
        hub.publish("run", "a.b", "succeeded");
        hub.progress("a.b", 7, 1.0, "done");
        hub.progress("a.c", 8, 0.5, "half");
        hub.flush();

        assertThat(page.got.get(1)).contains("succeeded", "half").doesNotContain("almost", "done");
    }

    private static void overflow(EventHub hub) {
        for (int i = 0; i <= EventHub.MAX_BATCH; i++) {
            hub.publish("job", "a.b" + i, "running");
        }
    }

    @Test
    void shouldCountAsBusyOnceABatchWasTooLargeToUse() {
        hub.publish("job", "a.b", "running");
        hub.flush();
        assertThat(hub.busy()).as("after a batch a page can use").isFalse();

        for (int i = 0; i <= EventHub.MAX_BATCH; i++) {
            hub.publish("job", "a.b" + i, "running");
        }
        hub.flush();

        assertThat(hub.busy()).isTrue();
    }

    @Test
    void shouldDropAndCloseAStreamThatCannotTakeMoreAndRefuseStreamsOverTheLimit() {
        Recorder slow = new Recorder();
        hub.open(slow, Optional.empty(), EventHub.MAX_STREAMS);
        slow.full = true;

        hub.publish("job", "a.b", "running");
        hub.flush();

        assertThat(slow.closed).isTrue();
        assertThat(hub.streams()).isZero();
        for (int i = 0; i < EventHub.MAX_STREAMS; i++) {
            assertThat(hub.open(new Recorder(), Optional.empty(), EventHub.MAX_STREAMS)).isTrue();
        }
        assertThat(hub.open(new Recorder(), Optional.empty(), EventHub.MAX_STREAMS)).isFalse();
    }

    @Test
    void shouldOpenNoMoreThanItsLimitWhenManyStreamsOpenAtOnce() throws Exception {
        int viewers = EventHub.MAX_STREAMS - 8;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<Boolean>> opened = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            opened.add(pool.submit(() -> {
                go.await();
                return hub.open(new Recorder(), Optional.empty(), viewers);
            }));
        }
        go.countDown();
        int accepted = 0;
        for (var f : opened) {
            accepted += f.get() ? 1 : 0;
        }
        pool.shutdown();

        assertThat(accepted).isEqualTo(viewers);
        assertThat(hub.open(new Recorder(), Optional.empty(), EventHub.MAX_STREAMS)).as("an operator's").isTrue();
    }

    @Test
    void shouldQuoteJobNamesAndDetailsAsJson() {
        assertThat(EventHub.quote("a\"b\\c\n\u2028")).isEqualTo("\"a\\\"b\\\\c\\u000a\\u2028\"");
    }
}
