package dev.belfry.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.api.schedule.Schedule;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FakeJobContextTest {

    /** Works through items from its checkpoint, reporting progress, and stops when cancelled. */
    static class Batch implements BackgroundJob {
        @Override
        public JobSpec spec() {
            return JobSpec.builder("batch", Schedule.manual()).build();
        }

        @Override
        public void run(JobContext context) {
            int from = context.checkpoint().map(Integer::parseInt).orElse(0);
            for (int i = from + 1; i <= from + 4; i++) {
                context.throwIfCancelled();
                context.progress((i - from) / 4.0, "item " + i);
                context.saveCheckpoint(Integer.toString(i));
                if (i == from + 2 && from > 0) {
                    context.scheduler().add(new Batch() {
                        @Override
                        public JobSpec spec() {
                            return JobSpec.builder("follow-up", Schedule.cron("0 3 * * *")).build();
                        }
                    });
                }
            }
        }
    }

    @Test
    void shouldRecordProgressCheckpointsAndSchedulerCalls() throws Exception {
        FakeJobContext context = FakeJobContext.of("demo.batch").checkpoint("10");

        new Batch().run(context);

        assertThat(context.savedCheckpoints()).containsExactly("11", "12", "13", "14");
        assertThat(context.checkpoint()).contains("14");
        assertThat(context.progressReports()).extracting(FakeJobContext.Progress::message)
                .containsExactly("item 11", "item 12", "item 13", "item 14");
        assertThat(context.progressReports().get(3).fraction()).isEqualTo(1.0);
        assertThat(context.schedulerCalls().calls()).containsExactly("add follow-up");
        assertThat(context.scheduler().jobs()).extracting(Object::toString).containsExactly("demo.follow-up");
    }

    @Test
    void shouldStopARunThatChecksForCancellationAndCallItsCallbacks() {
        FakeJobContext context = FakeJobContext.of("demo.batch");
        AtomicInteger callbacks = new AtomicInteger();
        context.onCancel(callbacks::incrementAndGet);
        context.cancel();

        assertThatThrownBy(() -> new Batch().run(context)).isInstanceOf(java.util.concurrent.CancellationException.class)
                .hasMessage("run of demo.batch was cancelled");
        assertThat(callbacks).hasValue(1);
        context.onCancel(callbacks::incrementAndGet);
        assertThat(callbacks).as("registered after the cancel: called at once").hasValue(2);
    }

    @Test
    void shouldRefuseWhatTheHostRefuses() {
        FakeJobContext context = FakeJobContext.of("demo.batch");

        assertThatThrownBy(() -> context.saveCheckpoint("x".repeat(JobContext.MAX_CHECKPOINT_CHARS + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("job demo.batch: checkpoint is 65537 characters long, more than the 65536 allowed");
        assertThatThrownBy(() -> context.scheduler().add(new Batch() {
            @Override
            public JobSpec spec() {
                return JobSpec.builder("bad", Schedule.cron("61 * * * *")).build();
            }
        })).isInstanceOf(InvalidScheduleException.class).hasMessageContaining("demo.bad");
        context.scheduler().add(new Batch());
        assertThatThrownBy(() -> context.scheduler().add(new Batch())).isInstanceOf(IllegalStateException.class)
                .hasMessage("job demo.batch already exists; use replace to change it");
        assertThat(context.progressReports()).isEmpty();
    }

    @Test
    void shouldInterruptARunBlockedInSleepWhenCancelledFromAnotherThreadAndCallCallbacksOnce() throws Exception {
        FakeJobContext context = FakeJobContext.of("demo.sleeper");
        AtomicInteger callbacks = new AtomicInteger();
        java.util.concurrent.CountDownLatch sleeping = new java.util.concurrent.CountDownLatch(1);
        BackgroundJob sleeper = new BackgroundJob() {
            @Override
            public JobSpec spec() {
                return JobSpec.builder("sleeper", Schedule.manual()).build();
            }

            @Override
            public void run(JobContext c) throws Exception {
                c.onCancel(callbacks::incrementAndGet);
                sleeping.countDown();
                Thread.sleep(60_000); // a cancel must cut this short, as the host's interrupt does
            }
        };
        Thread canceller = new Thread(() -> {
            try {
                sleeping.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            context.cancel();
            context.cancel();
        });
        canceller.start();

        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () ->
                assertThatThrownBy(() -> context.run(sleeper)).isInstanceOf(InterruptedException.class));
        canceller.join();
        assertThat(callbacks).hasValue(1);
        assertThat(Thread.currentThread().isInterrupted()).as("no interrupt leaks into the test").isFalse();
    }

    @Test
    void shouldKnowTheDeclaredJobsAsTheHostsSchedulerDoes() {
        FakeJobContext context = FakeJobContext.of("demo.batch").declared("batch", "report");

        assertThatThrownBy(() -> context.scheduler().replace(new Batch()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("job demo.batch is declared by plugin demo; a dynamic job cannot take its name");
        assertThat(context.scheduler().cancel("report")).as("a declared job is disabled").isTrue();
        assertThat(context.scheduler().jobs()).extracting(Object::toString)
                .containsExactly("demo.batch", "demo.report");
        context.progress(0.5, null);
        assertThat(context.progressReports()).containsExactly(new FakeJobContext.Progress(0.5, ""));
    }
}
