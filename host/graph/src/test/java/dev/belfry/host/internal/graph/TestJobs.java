package dev.belfry.host.internal.graph;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** Job records, runs and a stand-in sidecar for the graph tests. */
final class TestJobs {
    static final Instant T0 = Instant.parse("2026-11-23T04:00:00Z");

    private TestJobs() {
    }

    /** A scheduled periodic job at the given version. */
    static JobRecord job(String qname, long version) {
        QName q = QName.parse(qname);
        return JobRecord.pending(q, q.namespace(), Schedule.every(Duration.ofSeconds(10)))
                .withStatus(JobStatus.SCHEDULED)
                .withNextFireAt(Optional.of(T0.plusSeconds(10)))
                .withVersion(version);
    }

    static RunResult run(String qname, long runId, Instant firedAt, Optional<String> error) {
        return new RunResult(QName.parse(qname), runId, firedAt, firedAt, firedAt.plusMillis(250 + runId), 1, error);
    }

    /** The sidecar's jobs as the mirror's resync sees them: thread-safe, in name order. */
    static final class Sidecar {
        private final Map<QName, JobRecord> jobs = new ConcurrentSkipListMap<>();

        JobRecord put(JobRecord record) {
            jobs.put(record.qname(), record);
            return record;
        }

        void remove(String qname) {
            jobs.remove(QName.parse(qname));
        }

        List<JobRecord> snapshot() {
            return List.copyOf(jobs.values());
        }
    }
}
