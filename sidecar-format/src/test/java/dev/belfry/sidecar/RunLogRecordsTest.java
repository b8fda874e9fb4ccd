package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.api.QName;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunLogRecordsTest {
    private static final QName A = QName.of("billing", "invoices");
    private static final QName B = QName.of("räder.app", "nächtlich");
    private static final Instant LIFE = Instant.parse("2027-01-04T12:00:00.123Z");
    private static final Instant T = Instant.parse("2027-01-04T12:00:00Z");

    /** Collects what records say, as lines. */
    private static final class Lines implements RunLogRecords.Visitor {
        final List<Object> seen = new ArrayList<>();

        @Override
        public void snapshotStart() {
            seen.add("start");
        }

        @Override
        public void snapshotEnd() {
            seen.add("end");
        }

        @Override
        public void run(RunLogRecords.Run run) {
            seen.add(run);
        }

        @Override
        public void drop(QName job) {
            seen.add("drop " + job);
        }
    }

    private static RunLogRecords.Run run(QName job, long id, Instant scheduled, Optional<String> error) {
        return new RunLogRecords.Run(job, LIFE, id, scheduled, scheduled.plusNanos(70_123),
                scheduled.plusMillis(3), id == 3 ? 4 : 1, error);
    }

    private static byte[] payload(RunLogRecords.Encoder e) {
        return Arrays.copyOf(e.buffer(), e.length());
    }

    @Test
    void shouldRoundTripASegmentsRecordsInOrder() {
        RunLogRecords.Encoder e = new RunLogRecords.Encoder();
        List<byte[]> records = new ArrayList<>();
        e.snapshotStart();
        records.add(payload(e));
        e.startRuns();
        RunLogRecords.Run r1 = run(A, 1, T, Optional.empty());
        RunLogRecords.Run r2 = run(A, 2, T.plusSeconds(10), Optional.of("failed: boom"));
        RunLogRecords.Run r3 = run(B, 3, T.plusSeconds(11), Optional.empty());
        RunLogRecords.Run far = new RunLogRecords.Run(B, LIFE.plusSeconds(60), 1, Instant.MIN, T, Instant.MAX, 1,
                Optional.empty());
        for (RunLogRecords.Run r : List.of(r1, r2, r3, far)) {
            e.run(r);
        }
        records.add(payload(e));
        e.snapshotEnd();
        records.add(payload(e));
        e.startDrops();
        e.drop(A);
        records.add(payload(e));
        e.startRuns();
        RunLogRecords.Run r4 = run(A, 4, T.plusSeconds(20), Optional.empty());
        e.run(r4);
        records.add(payload(e));

        RunLogRecords.Decoder d = new RunLogRecords.Decoder();
        Lines lines = new Lines();
        for (byte[] p : records) {
            d.decode(p, 0, p.length, lines);
        }

        assertThat(lines.seen).containsExactly("start", r1, r2, r3, far, "end", "drop billing.invoices", r4);
    }

    @Test
    void shouldCostAFewBytesForARunOfAJobTheSegmentKnows() {
        RunLogRecords.Encoder e = new RunLogRecords.Encoder();
        e.startRuns();
        e.run(run(A, 1, T, Optional.empty()));
        int first = e.length();
        e.run(run(A, 2, T.plusSeconds(10), Optional.empty()));

        assertThat(e.length() - first).as("bytes of the second run").isLessThanOrEqualTo(16);
    }

    @Test
    void shouldContinueAnotherEncodersSegmentFromWhereADecoderStopped() {
        RunLogRecords.Encoder e = new RunLogRecords.Encoder();
        e.startRuns();
        e.run(run(A, 1, T, Optional.empty()));
        byte[] first = payload(e);
        RunLogRecords.Decoder d = new RunLogRecords.Decoder();
        Lines lines = new Lines();
        d.decode(first, 0, first.length, lines);

        RunLogRecords.Encoder more = RunLogRecords.Encoder.continuing(d);
        more.startRuns();
        RunLogRecords.Run next = run(A, 2, T.plusSeconds(10), Optional.empty());
        more.run(next);
        byte[] second = payload(more);
        d.decode(second, 0, second.length, lines);

        assertThat(lines.seen).hasSize(2).last().isEqualTo(next);
    }

    @Test
    void shouldRefuseRecordsThatDoNotDecodeSayingWhy() {
        RunLogRecords.Decoder d = new RunLogRecords.Decoder();
        Lines lines = new Lines();

        assertThatThrownBy(() -> d.decode(new byte[] {'X'}, 0, 1, lines)).hasMessage("unknown record kind 0x58");
        assertThatThrownBy(() -> d.decode(new byte[] {'U', 0x10}, 0, 2, lines))
                .hasMessage("unknown run flags 0x10");
        assertThatThrownBy(() -> d.decode(new byte[] {'U', 0, 0}, 0, 3, lines))
                .hasMessage("\"same job\" before any job");
        assertThatThrownBy(() -> d.decode(new byte[] {'D', 5}, 0, 2, lines))
                .hasMessage("job number 4 not defined (0 defined)");
        assertThatThrownBy(() -> d.decode(new byte[] {'E', 0}, 0, 2, lines))
                .hasMessage("1 byte(s) left after the record");
        assertThat(lines.seen).isEmpty();
    }
}
