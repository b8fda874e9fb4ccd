package dev.belfry.api;

import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a background job is: its name, when it fires, and the policies the host applies to its runs. Build one
 * with {@link #builder(String, Schedule)}; every policy has a sensible default.
 *
 * @param name         the job's name within its plugin (see {@link QName#checkName(String)})
 * @param schedule     when it fires
 * @param overlap      what happens if it is due while still running; default {@link OverlapPolicy#SKIP}
 * @param timeout      how long a run may take before it is cancelled; empty means no limit (the default)
 * @param retry        how failed runs are retried; default {@link RetryPolicy#none()}
 * @param misfire      what happens to fires missed while the host was down or the job paused; default
 *                     {@link MisfirePolicy#fireOnce()}
 * @param durableStart whether the start of a run is committed to disk before the job's code runs, so that a
 *                     crash can never lose that it began; default true for {@link Schedule.Once} jobs, false
 *                     otherwise
 */
public record JobSpec(String name, Schedule schedule, OverlapPolicy overlap, Optional<Duration> timeout,
                      RetryPolicy retry, MisfirePolicy misfire, boolean durableStart) {

    /**
     * Validates the spec.
     *
     * @param name         job name
     * @param schedule     schedule
     * @param overlap      overlap policy
     * @param timeout      optional timeout
     * @param retry        retry policy
     * @param misfire      misfire policy
     * @param durableStart durable-start flag
     * @throws IllegalArgumentException if the name is invalid or the timeout is not positive
     * @throws NullPointerException     if any argument is null
     */
    public JobSpec {
        QName.checkName(name);
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(overlap, "overlap");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(misfire, "misfire");
        timeout.ifPresent(t -> {
            if (t.isNegative() || t.isZero()) {
                throw new IllegalArgumentException("job " + name + ": timeout must be positive: " + t);
            }
        });
    }

    /**
     * Starts a spec with default policies.
     *
     * @param name     the job's name within its plugin
     * @param schedule when it fires
     * @return a builder
     */
    public static Builder builder(String name, Schedule schedule) {
        return new Builder(name, schedule);
    }

    /** Builds a {@link JobSpec}; each setter replaces one default. */
    public static final class Builder {
        private final String name;
        private final Schedule schedule;
        private OverlapPolicy overlap = OverlapPolicy.SKIP;
        private Duration timeout;
        private RetryPolicy retry = RetryPolicy.none();
        private MisfirePolicy misfire = MisfirePolicy.fireOnce();
        private Boolean durableStart;

        private Builder(String name, Schedule schedule) {
            this.name = name;
            this.schedule = schedule;
        }

        /**
         * @param policy what happens if the job is due while still running
         * @return this builder
         */
        public Builder overlap(OverlapPolicy policy) {
            this.overlap = Objects.requireNonNull(policy, "overlap");
            return this;
        }

        /**
         * @param limit how long a run may take before it is cancelled and recorded as timed out
         * @return this builder
         */
        public Builder timeout(Duration limit) {
            this.timeout = Objects.requireNonNull(limit, "timeout");
            return this;
        }

        /**
         * @param policy how failed runs are retried
         * @return this builder
         */
        public Builder retry(RetryPolicy policy) {
            this.retry = Objects.requireNonNull(policy, "retry");
            return this;
        }

        /**
         * @param policy what happens to missed fires
         * @return this builder
         */
        public Builder misfire(MisfirePolicy policy) {
            this.misfire = Objects.requireNonNull(policy, "misfire");
            return this;
        }

        /**
         * @param durable whether a run's start is committed to disk before the job's code runs
         * @return this builder
         */
        public Builder durableStart(boolean durable) {
            this.durableStart = durable;
            return this;
        }

        /**
         * @return the spec
         * @throws IllegalArgumentException if a value is invalid
         */
        public JobSpec build() {
            boolean durable = durableStart != null ? durableStart : schedule instanceof Schedule.Once;
            return new JobSpec(name, schedule, overlap, Optional.ofNullable(timeout), retry, misfire, durable);
        }
    }
}
