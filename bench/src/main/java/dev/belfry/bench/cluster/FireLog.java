package dev.belfry.bench.cluster;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What a cluster benchmark child records, whichever scheduler it runs: each fire's lag (start minus scheduled
 * instant) while the parent measures, and every fire's identity line for the parent's duplicate check. Also the
 * child's side of the stdin/stdout protocol with {@link ClusterBench}.
 */
final class FireLog {
    private static final Recorder lag = new Recorder(3);
    private static final AtomicLong fired = new AtomicLong();
    private static final ConcurrentLinkedQueue<String> fires = new ConcurrentLinkedQueue<>();
    private static volatile boolean measuring;

    /** Stops the child's scheduler. */
    interface Closer {
        void close() throws Exception;
    }

    private FireLog() {
    }

    /** Records a fire that started now, due at {@code due}, identified by {@code line}. */
    static void fired(Instant due, String line) {
        Instant now = Instant.now();
        long micros = (now.getEpochSecond() - due.getEpochSecond()) * 1_000_000L
                + (now.getNano() - due.getNano()) / 1_000;
        if (measuring) {
            lag.recordValue(Math.max(0, micros));
            fired.incrementAndGet();
        }
        fires.add(line);
    }

    /**
     * Prints "ready", then answers the parent's "measure", "report" and "stop" on stdin until "stop" or its end,
     * writing the fires to {@code firesFile} as they come; stops the scheduler with {@code closer}.
     */
    static void serve(Path firesFile, Closer closer) throws Exception {
        System.out.println("ready");
        System.out.flush();
        try (BufferedWriter out = Files.newBufferedWriter(firesFile, StandardCharsets.UTF_8)) {
            Thread writer = new Thread(() -> drain(out), "fires-writer");
            writer.setDaemon(true);
            writer.start();
            var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("measure")) {
                    lag.reset();
                    fired.set(0);
                    measuring = true;
                } else if (line.equals("report")) {
                    measuring = false;
                    Histogram h = lag.getIntervalHistogram();
                    ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
                    int n = h.encodeIntoCompressedByteBuffer(buf);
                    System.out.println("report " + fired.get() + " "
                            + Base64.getEncoder().encodeToString(Arrays.copyOf(buf.array(), n)));
                    System.out.flush();
                } else if (line.equals("stop")) {
                    break;
                }
            }
            closer.close();
            Thread.sleep(300);
            drainOnce(out);
        }
        System.out.println("stopped");
        System.out.flush();
    }

    private static void drain(BufferedWriter out) {
        while (true) {
            try {
                drainOnce(out);
                Thread.sleep(200);
            } catch (IOException | InterruptedException e) {
                return;
            }
        }
    }

    private static synchronized void drainOnce(BufferedWriter out) throws IOException {
        for (String f; (f = fires.poll()) != null; ) {
            out.write(f);
            out.newLine();
        }
        out.flush();
    }
}
