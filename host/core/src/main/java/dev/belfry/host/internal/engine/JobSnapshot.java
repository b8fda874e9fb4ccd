package dev.belfry.host.internal.engine;

import dev.belfry.api.JobSpec;
import dev.belfry.sidecar.JobRecord;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A snapshot of one job for operators: its persisted state and the runs executing now.
 *
 * @param record  the job's state as last committed (its {@code dynamic()} tells a job plugin code added at run
 *                time, which cancel removes, from one a plugin declares)
 * @param running the runs executing now
 * @param retryAt when a failed run is retried, while a retry is planned
 * @param spec    the job's schedule and policies as its plugin declared them, while its code is loaded here
 */
public record JobSnapshot(JobRecord record, List<Running> running, Optional<Instant> retryAt,
                          Optional<JobSpec> spec) {

    /**
     * A snapshot without the job's spec: a job known from the stored state only.
     *
     * @param record  the job's state as last committed
     * @param running the runs executing now
     * @param retryAt when a failed run is retried, while a retry is planned
     */
    public JobSnapshot(JobRecord record, List<Running> running, Optional<Instant> retryAt) {
        this(record, running, retryAt, Optional.empty());
    }

    /**
     * One run executing now.
     *
     * @param id           the run's id, unique within this host's life
     * @param scheduledFor the fire it is for
     * @param firedAt      when it started
     * @param attempt      its attempt number
     * @param progress     its last reported progress, 0 to 1
     * @param message      its last progress message
     */
    public record Running(long id, Instant scheduledFor, Instant firedAt, int attempt, double progress,
                          String message) {
    }
}
