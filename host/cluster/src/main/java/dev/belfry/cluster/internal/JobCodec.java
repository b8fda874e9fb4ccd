package dev.belfry.cluster.internal;

import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JournalRecords;

/**
 * A job's whole state as the bytes of {@code belfry_jobs.record}: the journal's binary job record, so the cluster
 * store and the single host's journal share one tested encoding. Not thread-safe: one per thread that uses it.
 */
final class JobCodec {
    private final JournalRecords.Encoder encoder = new JournalRecords.Encoder();
    private final JournalRecords.Decoder decoder = new JournalRecords.Decoder();

    byte[] encode(JobRecord record) {
        encoder.put(record);
        return encoder.toByteArray();
    }

    /**
     * @throws IllegalArgumentException if the bytes are not a job record
     */
    JobRecord decode(byte[] bytes) {
        if (decoder.decode(bytes, 0, bytes.length) instanceof JournalRecords.Put put) {
            return put.job();
        }
        throw new IllegalArgumentException("a removal where a job's state was expected");
    }
}
