package dev.belfry.host.internal.engine;

import static dev.belfry.sidecar.JobStatus.CANCELLED;
import static dev.belfry.sidecar.JobStatus.COMPLETED;
import static dev.belfry.sidecar.JobStatus.FAILED;
import static dev.belfry.sidecar.JobStatus.FAILED_RETRYING;
import static dev.belfry.sidecar.JobStatus.IDLE;
import static dev.belfry.sidecar.JobStatus.ORPHANED;
import static dev.belfry.sidecar.JobStatus.PAUSED;
import static dev.belfry.sidecar.JobStatus.PENDING;
import static dev.belfry.sidecar.JobStatus.RUNNING;
import static dev.belfry.sidecar.JobStatus.SCHEDULED;

import dev.belfry.api.QName;
import dev.belfry.sidecar.JobStatus;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The job status machine (drawn in docs/architecture.md). The engine derives a job's status from its facts after
 * every change and checks the step here: a step not in the table is a bug in the engine, never a user error.
 */
final class StatusRules {
    private static final Map<JobStatus, Set<JobStatus>> ALLOWED = new EnumMap<>(JobStatus.class);

    static {
        // Every status may stay as it is, lose its plugin (ORPHANED) or be cancelled; listed here: the rest.
        allow(PENDING, SCHEDULED, IDLE, PAUSED, COMPLETED, FAILED, FAILED_RETRYING);
        allow(SCHEDULED, RUNNING, IDLE, PAUSED, PENDING);
        allow(RUNNING, SCHEDULED, IDLE, FAILED_RETRYING, FAILED, COMPLETED, PAUSED, PENDING);
        allow(IDLE, RUNNING, SCHEDULED, PAUSED);
        allow(FAILED_RETRYING, RUNNING, SCHEDULED, IDLE, PAUSED, FAILED);
        allow(FAILED, RUNNING, SCHEDULED, IDLE, PAUSED);
        allow(PAUSED, RUNNING, SCHEDULED, IDLE, COMPLETED, FAILED);
        allow(ORPHANED, PENDING, SCHEDULED, IDLE, PAUSED, COMPLETED, FAILED, FAILED_RETRYING);
        allow(COMPLETED, RUNNING, SCHEDULED, IDLE, PAUSED);
        allow(CANCELLED, SCHEDULED, IDLE, PAUSED, COMPLETED, FAILED);
    }

    private StatusRules() {
    }

    private static void allow(JobStatus from, JobStatus... to) {
        Set<JobStatus> set = EnumSet.of(from, ORPHANED, CANCELLED);
        set.addAll(Set.of(to));
        ALLOWED.put(from, set);
    }

    static boolean allowed(JobStatus from, JobStatus to) {
        return ALLOWED.get(from).contains(to);
    }

    /**
     * @throws IllegalStateException if the step is not in the machine
     */
    static void check(QName job, JobStatus from, JobStatus to) {
        if (!allowed(from, to)) {
            throw new IllegalStateException("illegal status transition for job " + job + ": " + from + " -> " + to);
        }
    }
}
