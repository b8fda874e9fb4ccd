package dev.belfry.plugins.ingest;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobContext;
import dev.belfry.api.JobSpec;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.time.Duration;
import org.pf4j.Extension;

/**
 * An incremental ingest: each run reads the next batch of records after its watermark, reports progress as it
 * goes, and saves the new watermark in its checkpoint, so a restart or a plugin upgrade resumes where it stopped.
 * Every fifth batch it schedules a one-off compaction, a dynamic job, half a minute later. Reading a record takes a
 * moment (a pause stands in for the source), so a run lasts about 3 s and its progress shows in the dashboard.
 */
@Extension
public class IngestJob implements BackgroundJob {
    static final int BATCH = 100;
    /** How long reading one record takes. */
    static final Duration READ_TIME = Duration.ofMillis(30);

    private final Duration readTime;

    /** The job as the host loads it. */
    public IngestJob() {
        this(READ_TIME);
    }

    /** @param readTime how long reading one record takes (tests: none) */
    IngestJob(Duration readTime) {
        this.readTime = readTime;
    }

    @Override
    public JobSpec spec() {
        return JobSpec.builder("ingest", Schedule.every(Duration.ofSeconds(15), PeriodicMode.FIXED_DELAY,
                Duration.ZERO)).timeout(Duration.ofMinutes(1)).build();
    }

    @Override
    public void run(JobContext context) throws InterruptedException {
        Watermark from = Watermark.parse(context.checkpoint());
        long to = from.watermark() + BATCH;
        for (long id = from.watermark() + 1; id <= to; id++) {
            context.throwIfCancelled();
            Thread.sleep(readTime.toMillis());
            if (id % 10 == 0) {
                context.progress((double) (id - from.watermark()) / BATCH, "record " + id);
            }
        }
        Watermark now = new Watermark(to, from.batches() + 1);
        context.saveCheckpoint(now.toJson());
        System.out.println("[ingest-demo] ingested records " + (from.watermark() + 1) + ".." + to);
        if (now.batches() % 5 == 0) {
            context.scheduler().replace(new CompactJob(context.firedAt().plusSeconds(30), to));
        }
    }
}
