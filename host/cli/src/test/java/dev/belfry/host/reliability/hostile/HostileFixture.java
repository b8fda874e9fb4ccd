package dev.belfry.host.reliability.hostile;

import dev.belfry.host.TestAccess;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import dev.belfry.api.QName;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.RunOutcome;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/** What the hostile-plugin tests share: starting a host, reading jobs, the canary's lag, logs and open files. */
final class HostileFixture {
    private HostileFixture() {
    }

    static Host start(Path data, Path plugins, Duration scanInterval, Duration shutdownGrace,
                      Duration pluginStopGrace) {
        return Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .pluginScanInterval(scanInterval).shutdownGrace(shutdownGrace).pluginStopGrace(pluginStopGrace)
                .exitGuard(true) // as belfry run has it: these plugins call System.exit
                .build());
    }

    static JobRecord record(Host host, String qname) {
        return TestAccess.record(host, QName.parse(qname));
    }

    static String lastMessage(Host host, String qname) {
        return record(host, qname).lastOutcome().map(RunOutcome::message).orElse("(no run yet)");
    }

    /** Percentiles of the canary's lags, in milliseconds. */
    record Lag(int samples, double p50, double p99, double max) {
        static Lag of(List<Long> micros) {
            if (micros.isEmpty()) {
                return new Lag(0, Double.NaN, Double.NaN, Double.NaN);
            }
            List<Long> sorted = new ArrayList<>(micros);
            sorted.sort(null);
            return new Lag(sorted.size(), at(sorted, 0.50), at(sorted, 0.99), sorted.get(sorted.size() - 1) / 1e3);
        }

        private static double at(List<Long> sorted, double q) {
            int i = (int) Math.ceil(q * sorted.size()) - 1;
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1e3;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d fires, p50 %.1f ms, p99 %.1f ms, max %.1f ms", samples, p50, p99,
                    max);
        }
    }

    /** @return the number of open file descriptors of this process, or -1 where /proc is not available */
    static long openFiles() {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1;
        }
        try (Stream<Path> s = Files.list(fds)) {
            return s.count();
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Collects WARN and ERROR log events (message and exception chain) from every logger while open, and keeps them
     * off the console meanwhile: the tests assert the lines the hostile plugins cause.
     */
    static final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
        private final Queue<String> lines = new ConcurrentLinkedQueue<>();
        private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        private final List<Appender<ILoggingEvent>> console = new ArrayList<>();

        LogCapture() {
            setContext(root.getLoggerContext());
            setName("hostile-capture");
            start();
            root.iteratorForAppenders().forEachRemaining(console::add);
            console.forEach(root::detachAppender);
            root.addAppender(this);
        }

        @Override
        protected void append(ILoggingEvent e) {
            if (e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)) {
                StringBuilder b = new StringBuilder(e.getLoggerName()).append(": ").append(e.getFormattedMessage());
                for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                    b.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
                }
                lines.add(b.toString());
            }
        }

        List<String> lines() {
            return List.copyOf(lines);
        }

        List<String> containing(String... needles) {
            return lines.stream().filter(l -> Stream.of(needles).anyMatch(l::contains)).toList();
        }

        @Override
        public void close() {
            root.detachAppender(this);
            console.forEach(root::addAppender);
            stop();
        }
    }

    /**
     * Swaps standard out and error for sinks that count bytes and drop them, so a flooding plugin cannot flood the
     * build log. Each sink accepts at most {@code bytesPerSecond} (0: unlimited), like a slow terminal or pipe.
     */
    static final class StdSink implements AutoCloseable {
        private final PrintStream out = System.out;
        private final PrintStream err = System.err;
        final AtomicLong bytes = new AtomicLong();

        StdSink(long bytesPerSecond) {
            System.setOut(new PrintStream(new Throttled(bytes, bytesPerSecond), true));
            System.setErr(new PrintStream(new Throttled(bytes, bytesPerSecond), true));
        }

        @Override
        public void close() {
            System.setOut(out);
            System.setErr(err);
        }

        private static final class Throttled extends OutputStream {
            private final AtomicLong total;
            private final long perSecond;
            private final long startNanos = System.nanoTime();
            private long written;

            Throttled(AtomicLong total, long perSecond) {
                this.total = total;
                this.perSecond = perSecond;
            }

            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                written += len;
                total.addAndGet(len);
                if (perSecond > 0) {
                    long dueNanos = startNanos + written * 1_000_000_000L / perSecond;
                    long wait = dueNanos - System.nanoTime();
                    if (wait > 0) {
                        try {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
            }
        }
    }
}
