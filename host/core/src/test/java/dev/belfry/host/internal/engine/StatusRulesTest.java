package dev.belfry.host.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.QName;
import dev.belfry.sidecar.JobStatus;
import java.util.EnumSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class StatusRulesTest {
    private static final QName JOB = QName.parse("demo.job");

    @ParameterizedTest
    @EnumSource(JobStatus.class)
    void shouldAllowEveryStatusToStayToLoseItsPluginAndToBeCancelled(JobStatus from) {
        assertThat(StatusRules.allowed(from, from)).isTrue();
        assertThat(StatusRules.allowed(from, JobStatus.ORPHANED)).isTrue();
        assertThat(StatusRules.allowed(from, JobStatus.CANCELLED)).isTrue();
    }

    @ParameterizedTest
    @CsvSource({
            "PENDING, SCHEDULED", "SCHEDULED, RUNNING", "RUNNING, SCHEDULED", "RUNNING, IDLE", "RUNNING, COMPLETED",
            "RUNNING, FAILED_RETRYING", "FAILED_RETRYING, RUNNING", "RUNNING, FAILED", "SCHEDULED, PAUSED",
            "PAUSED, SCHEDULED", "ORPHANED, SCHEDULED", "CANCELLED, SCHEDULED", "RUNNING, PENDING",
            "COMPLETED, RUNNING", "IDLE, RUNNING"})
    void shouldAllowTheDocumentedSteps(JobStatus from, JobStatus to) {
        assertThat(StatusRules.allowed(from, to)).isTrue();
    }

    @ParameterizedTest
    @CsvSource({
            "PENDING, RUNNING", "IDLE, COMPLETED", "SCHEDULED, FAILED", "SCHEDULED, FAILED_RETRYING",
            "COMPLETED, FAILED_RETRYING", "COMPLETED, FAILED", "FAILED, COMPLETED", "IDLE, FAILED_RETRYING",
            "ORPHANED, RUNNING", "CANCELLED, RUNNING", "PAUSED, FAILED_RETRYING", "SCHEDULED, COMPLETED"})
    void shouldRejectStepsThatNoEventCauses(JobStatus from, JobStatus to) {
        assertThat(StatusRules.allowed(from, to)).isFalse();
        assertThatThrownBy(() -> StatusRules.check(JOB, from, to))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("illegal status transition for job demo.job: " + from + " -> " + to);
    }

    @ParameterizedTest
    @EnumSource(JobStatus.class)
    void shouldReachEveryStatusFromSomeOtherStatus(JobStatus to) {
        EnumSet<JobStatus> sources = EnumSet.noneOf(JobStatus.class);
        for (JobStatus from : JobStatus.values()) {
            if (from != to && StatusRules.allowed(from, to)) {
                sources.add(from);
            }
        }
        assertThat(sources).as("statuses that can step to " + to).isNotEmpty();
    }
}
