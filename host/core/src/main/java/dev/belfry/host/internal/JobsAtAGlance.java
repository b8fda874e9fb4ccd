package dev.belfry.host.internal;

import dev.belfry.host.internal.engine.UpcomingFires;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What an overview shows of the jobs: how many have each status, and the first fires to come.
 *
 * @param byStatus how many jobs have each status (every status, zero or more)
 * @param upcoming the first fires before a horizon, in order
 */
public record JobsAtAGlance(Map<JobStatus, Integer> byStatus, List<UpcomingFires.Fire> upcoming) {

    public JobsAtAGlance {
        byStatus = Map.copyOf(byStatus);
        upcoming = List.copyOf(upcoming);
    }

    /** @return how many jobs there are */
    public int total() {
        return byStatus.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * Counts and merges from every job's record: where no engine keeps them (the jobs of a whole cluster).
     *
     * @param records every job's record
     * @param horizon only fires before this
     * @param max     how many fires at most
     * @return the overview
     */
    public static JobsAtAGlance of(Collection<JobRecord> records, Instant horizon, int max) {
        Map<JobStatus, Integer> byStatus = new EnumMap<>(JobStatus.class);
        for (JobStatus status : JobStatus.values()) {
            byStatus.put(status, 0);
        }
        records.forEach(r -> byStatus.merge(r.status(), 1, Integer::sum));
        List<UpcomingFires.Next> next = UpcomingFires.earliest(records.stream().flatMap(r -> Views.firesNextAt(r)
                .map(at -> new UpcomingFires.Next(at, r.qname(), r.schedule())).stream())::iterator, horizon, max);
        return new JobsAtAGlance(byStatus, UpcomingFires.merge(next, horizon, max));
    }
}
