package dev.belfry.cluster.internal;

import dev.belfry.api.QName;
import dev.belfry.host.internal.engine.FireClaim;
import java.time.Duration;
import java.time.Instant;

/**
 * A fire runs here if this host holds a current lease on the job's shard; the fire is then claimed for good when
 * its start is committed ({@link ClusterStore}), which is why every run waits for that commit. Regular fires are
 * claimed {@link #CLAIM_AHEAD} before their instant, so that the commit is done when the instant comes.
 */
final class ClusterClaim implements FireClaim {
    /**
     * Longer than a claim's commit takes on a loaded database (tens of milliseconds at the tail), short enough that
     * deciding a fire this early changes nothing an operator sees: a pause in this window comes after that fire.
     */
    static final Duration CLAIM_AHEAD = Duration.ofMillis(50);
    private final Ownership ownership;
    private final JobShards shards;

    ClusterClaim(Ownership ownership, JobShards shards) {
        this.ownership = ownership;
        this.shards = shards;
    }

    @Override
    public boolean claim(QName job, Instant scheduledFor) {
        return ownership.mayFire(shards.of(job));
    }

    @Override
    public boolean firesHere(QName job) {
        return ownership.mayFire(shards.of(job));
    }

    @Override
    public boolean commitBeforeRun() {
        return true;
    }

    @Override
    public Duration claimAhead() {
        return CLAIM_AHEAD;
    }

    @Override
    public long fencingToken(QName job) {
        return ownership.epoch(shards.of(job));
    }

    @Override
    public boolean isHere(QName job) {
        return ownership.mayFire(shards.assign(job));
    }
}
