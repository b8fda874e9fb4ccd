package dev.belfry.host.internal.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.RunResult;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunHistoryTest {
    private static final QName JOB = QName.parse("demo.job");
    private static final Instant T = Instant.parse("2026-12-06T10:15:30.123456789Z");

    private static RunResult run(long id, Optional<String> error) {
        return new RunResult(JOB, id, T.plusSeconds(id), T.plusSeconds(id).plusNanos(7),
                T.plusSeconds(id).plusMillis(3), (int) id % 3 + 1, error);
    }

    @Test
    void shouldKeepTheLastRunsOfAJobNewestFirstWithTheirErrors() {
        RunHistory history = new RunHistory(3, new Metrics());
        for (long id = 1; id <= 5; id++) {
            history.runFinished(run(id, id == 4 ? Optional.of("boom") : Optional.empty()));
        }

        assertThat(history.of(JOB)).containsExactly(run(5, Optional.empty()), run(4, Optional.of("boom")),
                run(3, Optional.empty()));
        assertThat(history.of(QName.parse("demo.other"))).isEmpty();
    }

    @Test
    void shouldForgetAnErrorOnceItsRunIsOverwritten() {
        RunHistory history = new RunHistory(2, new Metrics());
        history.runFinished(run(1, Optional.of("boom")));
        history.runFinished(run(2, Optional.empty()));
        history.runFinished(run(3, Optional.empty()));

        assertThat(history.of(JOB)).extracting(RunResult::error).containsExactly(Optional.empty(),
                Optional.empty());
    }

    @Test
    void shouldKeepInstantsAtTheEndsOfTime() {
        RunHistory history = new RunHistory(2, new Metrics());
        RunResult extreme = new RunResult(JOB, 9, Instant.MIN, Instant.MAX, Instant.MAX, 1, Optional.empty());
        history.runFinished(extreme);

        assertThat(history.of(JOB)).containsExactly(extreme);
    }
}
