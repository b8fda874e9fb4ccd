package dev.belfry.host;

import dev.belfry.api.QName;
import dev.belfry.host.internal.Seams;
import dev.belfry.host.internal.state.JournalStore;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.SidecarFileOps;
import java.util.List;

/**
 * What tests of the host's persistence see beyond the public views: the jobs' records as the state file holds them
 * (their version and unknown fields are not part of the public API).
 */
public final class TestAccess {
    private TestAccess() {
    }

    /**
     * @param host a running host
     * @return every job's record, by name
     */
    public static List<JobRecord> records(Host host) {
        return host.records();
    }

    /**
     * @param builder a host's configuration
     * @param ops     the file operations its state file is written with (faulty ones, in fault-injection tests)
     * @return the builder
     */
    public static HostConfig.Builder sidecarFileOps(HostConfig.Builder builder, SidecarFileOps ops) {
        Seams.sidecarFileOps(builder, ops);
        return builder;
    }

    /**
     * @param builder          a host's configuration
     * @param checkpointBytes  a journal segment this large is checkpointed (the default is 64 MiB: a test sets a few
     *                         KiB to see checkpoints and segment rolls)
     * @return the builder
     */
    public static HostConfig.Builder checkpointEvery(HostConfig.Builder builder, long checkpointBytes) {
        Seams.journalLimits(builder, new JournalStore.Limits(checkpointBytes, JournalStore.Limits.DEFAULT
                .checkpointAge(), JournalStore.Limits.DEFAULT.minimumAgedBytes()));
        return builder;
    }

    /**
     * @param host  a running host
     * @param qname a job's name
     * @return the job's record
     * @throws AssertionError if there is no such job
     */
    public static JobRecord record(Host host, QName qname) {
        return host.records().stream().filter(r -> r.qname().equals(qname)).findFirst()
                .orElseThrow(() -> new AssertionError("no job " + qname));
    }
}
