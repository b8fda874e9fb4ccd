package dev.belfry.host.internal.graph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The first and last instants a schedule may hold still make graph rows. */
class GraphRowsExtremeInstantsTest {

    @Test
    @SuppressWarnings("unchecked")
    void shouldWriteTheFirstAndLastInstantsAsTheFirstAndLastDateTimes() {
        JobRecord never = JobRecord.pending(QName.parse("p.never"), "p", Schedule.once(Instant.MAX))
                .withEngineState(JobStatus.SCHEDULED, Optional.of(Instant.MAX), false, Optional.empty(), false, 1)
                .withLastStartedAt(Optional.of(Instant.MIN));

        Map<String, Object> props = (Map<String, Object>) GraphRows.job(never).get("props");

        assertThat(props.get("next_fire_at")).isEqualTo(OffsetDateTime.of(LocalDateTime.MAX, ZoneOffset.UTC));
        assertThat(props.get("last_started_at")).isEqualTo(OffsetDateTime.of(LocalDateTime.MIN, ZoneOffset.UTC));
        Instant now = Instant.parse("2027-01-04T12:00:00Z");
        Map<String, Object> run = (Map<String, Object>) GraphRows.run(new RunResult(QName.parse("p.old"), 1,
                Instant.MIN, now, now, 1, Optional.empty()), "h/1").get("props");
        assertThat(run.get("scheduled_for")).isEqualTo(OffsetDateTime.of(LocalDateTime.MIN, ZoneOffset.UTC));
    }
}
