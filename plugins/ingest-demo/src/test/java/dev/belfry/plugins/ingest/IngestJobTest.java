package dev.belfry.plugins.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.test.FakeJobContext;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class IngestJobTest {

    @Test
    void shouldIngestTheBatchAfterItsWatermarkAndSaveTheNewOne() throws Exception {
        FakeJobContext context = FakeJobContext.of("ingest-demo.ingest")
                .checkpoint("{\"watermark\":200,\"batches\":2}");

        new IngestJob(Duration.ZERO).run(context);

        assertThat(context.savedCheckpoints()).containsExactly("{\"watermark\":300,\"batches\":3}");
        assertThat(context.progressReports()).hasSize(10);
        assertThat(context.progressReports().get(9).message()).isEqualTo("record 300");
        assertThat(context.progressReports().get(9).fraction()).isEqualTo(1.0);
        assertThat(context.schedulerCalls().calls()).as("compaction only every fifth batch").isEmpty();
    }

    @Test
    void shouldScheduleACompactionHalfAMinuteAfterEveryFifthBatch() throws Exception {
        Instant fired = Instant.parse("2026-06-01T12:00:00Z");
        FakeJobContext context = FakeJobContext.of("ingest-demo.ingest").scheduledFor(fired)
                .checkpoint("{\"watermark\":400,\"batches\":4}");

        new IngestJob(Duration.ZERO).run(context);

        assertThat(context.schedulerCalls().calls()).containsExactly("replace compact");
        CompactJob compact = (CompactJob) context.schedulerCalls().job("compact").orElseThrow();
        assertThat(compact.spec().schedule().toString()).contains(fired.plusSeconds(30).toString());
    }

    @Test
    void shouldStopACancelledRunWithoutMovingTheWatermark() {
        FakeJobContext context = FakeJobContext.of("ingest-demo.ingest").checkpoint("{\"watermark\":0,\"batches\":0}");
        context.cancel();

        assertThatThrownBy(() -> new IngestJob(Duration.ZERO).run(context)).isInstanceOf(CancellationException.class);
        assertThat(context.savedCheckpoints()).isEmpty();
    }
}
