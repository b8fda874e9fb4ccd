package dev.belfry.bench.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What to run and how big, from {@code --name=value} arguments.
 *
 * @param sections     which measurements to run, in this order
 * @param jobs         registered jobs for the lag, start-up and heap measurements
 * @param period       period of each job in the lag measurement (so the rate is jobs / period)
 * @param warmup       lag: time before measuring
 * @param measure      lag: measured time per scheduler
 * @param burst        throughput: one-shot jobs due at the same instant
 * @param rounds       throughput and start-up: repetitions per scheduler
 * @param commitJobs   group commit: jobs in the sidecar
 * @param commitTime   group commit: how long the writers run
 * @param commitThreads group commit: threads calling put
 * @param ackRate      durable: durable starts per second for the acknowledgement latency
 * @param ackTime      durable: how long that runs (saturation runs half as long per thread count)
 * @param recoveryRecords recovery: journal records over the checkpoint
 * @param recoveryDir  recovery: where the checkpoint and journal are made once and kept (for a cold JVM that only
 *                     loads them), or null for a temporary directory
 */
record Options(Set<String> sections, int jobs, Duration period, Duration warmup, Duration measure, int burst,
               int rounds, int commitJobs, Duration commitTime, int commitThreads, int ackRate, Duration ackTime,
               int recoveryRecords, Path recoveryDir) {

    static final List<String> ALL = List.of("startup", "heap", "throughput", "commit", "lag", "durable",
            "recovery");

    static Options parse(String[] args) {
        Set<String> sections = new LinkedHashSet<>(ALL);
        int jobs = 100_000;
        Duration period = Duration.ofSeconds(10);
        Duration warmup = Duration.ofSeconds(10);
        Duration measure = Duration.ofSeconds(30);
        int burst = 100_000;
        int rounds = 5;
        int commitJobs = 10_000;
        Duration commitTime = Duration.ofSeconds(10);
        int commitThreads = 2;
        int ackRate = 1_000;
        Duration ackTime = Duration.ofSeconds(20);
        int recoveryRecords = 1_000_000;
        Path recoveryDir = null;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("expected --name=value, got: " + arg);
            }
            String name = arg.substring(2, eq);
            String value = arg.substring(eq + 1);
            switch (name) {
                case "only" -> {
                    sections = new LinkedHashSet<>();
                    for (String s : value.split(",")) {
                        if (!ALL.contains(s)) {
                            throw new IllegalArgumentException("unknown section " + s + "; known: " + ALL);
                        }
                        sections.add(s);
                    }
                }
                case "jobs" -> jobs = positive(name, value);
                case "period-seconds" -> period = Duration.ofSeconds(positive(name, value));
                case "warmup-seconds" -> warmup = Duration.ofSeconds(positive(name, value));
                case "measure-seconds" -> measure = Duration.ofSeconds(positive(name, value));
                case "burst" -> burst = positive(name, value);
                case "rounds" -> rounds = positive(name, value);
                case "commit-jobs" -> commitJobs = positive(name, value);
                case "commit-seconds" -> commitTime = Duration.ofSeconds(positive(name, value));
                case "commit-threads" -> commitThreads = positive(name, value);
                case "ack-rate" -> ackRate = positive(name, value);
                case "ack-seconds" -> ackTime = Duration.ofSeconds(positive(name, value));
                case "recovery-records" -> recoveryRecords = positive(name, value);
                case "recovery-dir" -> recoveryDir = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option --" + name);
            }
        }
        return new Options(sections, jobs, period, warmup, measure, burst, rounds, commitJobs, commitTime,
                commitThreads, ackRate, ackTime, recoveryRecords, recoveryDir);
    }

    private static int positive(String name, String value) {
        int n;
        try {
            n = Integer.parseInt(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number: " + value, e);
        }
        if (n <= 0) {
            throw new IllegalArgumentException("--" + name + " must be positive: " + value);
        }
        return n;
    }

    /** Removes a temporary directory the benchmark made. */
    static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the benchmark's temporary directory " + dir, e);
        }
    }
}
