package dev.belfry.bench.host;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Records how late fires start, in microseconds, from many threads at once (HdrHistogram's {@link Recorder} is
 * wait-free for writers). Quartz may start a fire up to 2 ms <em>before</em> its time, and a histogram holds no
 * negative values, so early starts go to a second recorder and {@link Snapshot} merges the two when it reads a
 * percentile.
 */
final class LagRecorder {
    private final Recorder late = new Recorder(3);
    private final Recorder early = new Recorder(3);

    /** @param lagNanos start instant minus scheduled instant; negative if the fire started early */
    void record(long lagNanos) {
        if (lagNanos >= 0) {
            late.recordValue(lagNanos / 1_000);
        } else {
            early.recordValue(-lagNanos / 1_000);
        }
    }

    /** @return what was recorded since the previous call (the first call ends the warm-up) */
    Snapshot interval() {
        return new Snapshot(late.getIntervalHistogram(), early.getIntervalHistogram());
    }

    /** Lags of one interval, late and early apart. */
    record Snapshot(Histogram late, Histogram early) {

        long count() {
            return late.getTotalCount() + early.getTotalCount();
        }

        long earlyCount() {
            return early.getTotalCount();
        }

        /** @return the lag at this percentile in microseconds, negative where it falls among early fires */
        long percentile(double percentile) {
            long total = count();
            if (total == 0) {
                return 0;
            }
            double rank = percentile / 100.0 * total;
            long earlyN = early.getTotalCount();
            if (rank <= earlyN) {
                // Early fires sort most-early first, so rank r among them is the (1 - r/earlyN) point of |lag|.
                return -early.getValueAtPercentile(100.0 * (1.0 - rank / earlyN));
            }
            return late.getValueAtPercentile(100.0 * (rank - earlyN) / late.getTotalCount());
        }

        /** @return this interval's lags and another's together */
        Snapshot plus(Snapshot other) {
            Histogram lateSum = late.copy();
            lateSum.add(other.late);
            Histogram earlySum = early.copy();
            earlySum.add(other.early);
            return new Snapshot(lateSum, earlySum);
        }

        long max() {
            return late.getTotalCount() > 0 ? late.getMaxValue() : -early.getMinValue();
        }

        long min() {
            return early.getTotalCount() > 0 ? -early.getMaxValue() : late.getMinValue();
        }
    }
}
