package dev.belfry.cluster.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One cluster host in a child JVM ({@link ClusterChild} on the test's class path), started, killed and restarted by
 * the test over one folder: {@code data/} (so a restart keeps its host id), {@code runs.log} and {@code health.log}
 * (written by the child), {@code stdout}, {@code stderr} (its log, at INFO).
 */
public final class ClusterProcess implements AutoCloseable {
    private static final String LOGBACK = """
            <configuration>
              <appender name="err" class="ch.qos.logback.core.ConsoleAppender">
                <target>System.err</target>
                <encoder>
                  <pattern>%d{yyyy-MM-dd'T'HH:mm:ss.SSSX,UTC} %-5level [%thread] %logger{24} %msg%n</pattern>
                </encoder>
              </appender>
              <logger name="com.zaxxer.hikari" level="WARN"/>
              <root level="INFO"><appender-ref ref="err"/></root>
            </configuration>
            """;

    private final String name;
    private final Path dir;
    private final List<String> args;
    private final String password;
    private Process process;

    private ClusterProcess(String name, Path dir, List<String> args, String password) {
        this.name = name;
        this.dir = dir;
        this.args = args;
        this.password = password;
    }

    /**
     * @param name      the host's address, and its name in the runs it records
     * @param dir       the host's folder
     * @param url       the database as the child reaches it (directly, or through a {@link FaultProxy})
     * @param user      the database user
     * @param password  the database password (handed over in the environment)
     * @param jobs      how many application jobs to register
     * @param onceBase  where the Once jobs' instants start
     * @param onceSpan  over how many seconds they spread
     * @param lease     the lease time
     * @param misfireThreshold how late a fire may be before the misfire policy decides
     * @return the host, not started yet
     */
    public static ClusterProcess of(String name, Path dir, String url, String user, String password, int jobs,
                                    Instant onceBase, int onceSpan, Duration lease, Duration misfireThreshold) {
        List<String> args = List.of(url, user, name, dir.resolve("data").toString(), dir.toString(),
                Integer.toString(jobs), Long.toString(onceBase.toEpochMilli()), Integer.toString(onceSpan),
                Long.toString(lease.toSeconds()), Long.toString(misfireThreshold.toMillis()));
        return new ClusterProcess(name, dir, args, password);
    }

    /** @return the host's name */
    public String name() {
        return name;
    }

    /** Starts the child JVM (again, after a kill or stop) and waits until its host has started. */
    public void start(Duration limit) {
        try {
            Files.createDirectories(dir);
            Path logback = dir.resolve("logback.xml");
            Files.writeString(logback, LOGBACK);
            Files.deleteIfExists(dir.resolve("stdout"));
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Dlogback.configurationFile=" + logback, "-cp", System.getProperty("java.class.path"),
                    ClusterChild.class.getName()));
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectOutput(dir.resolve("stdout").toFile())
                    .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("stderr").toFile()));
            pb.environment().put(ClusterChild.PASSWORD_ENV, password);
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + limit.toNanos();
        while (!read("stdout").contains(ClusterChild.STARTED)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " while starting:\n"
                        + tail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not start within " + limit + ":\n" + tail());
            }
            pause();
        }
    }

    /** @return the child's process id */
    public long pid() {
        return process.pid();
    }

    /** @return whether the child runs */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** kill -9: no shutdown hook, no lease handed back. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor(Duration.ofSeconds(10));
        }
    }

    /** SIGTERM: the host closes and hands its leases back; killed if it takes longer than the limit. */
    public void stop(Duration limit) {
        if (process != null) {
            process.destroy();
            if (!waitFor(limit)) {
                process.destroyForcibly();
                waitFor(Duration.ofSeconds(10));
                throw new IllegalStateException(name + " did not stop within " + limit + " of SIGTERM:\n" + tail());
            }
        }
    }

    private boolean waitFor(Duration limit) {
        try {
            return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** @return every run this host recorded, in every incarnation, as far as it reached the disk */
    public List<Fire> fires() {
        return read("runs.log").lines().filter(l -> !l.isBlank()).map(Fire::parse).toList();
    }

    /** @return the host's health samples */
    public List<HealthSample> health() {
        return read("health.log").lines().map(HealthSample::parse).flatMap(java.util.Optional::stream).toList();
    }

    /** @return the host's log (standard error) */
    public String log() {
        return read("stderr");
    }

    /** @return the last lines of the log */
    public String tail() {
        List<String> lines = log().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private String read(String file) {
        Path path = dir.resolve(file);
        try {
            return Files.exists(path) ? Files.readString(path, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Kills the child if it still runs. */
    @Override
    public void close() {
        if (isAlive()) {
            kill();
        }
    }

    /**
     * One run as the job recorded it.
     *
     * @param job          the job's qualified name
     * @param scheduledFor the instant it was scheduled for
     * @param attempt      the attempt
     * @param host         the host that ran it
     * @param pid          the process that ran it
     * @param firedAt      when the job ran, by the child's wall clock
     */
    public record Fire(String job, Instant scheduledFor, int attempt, String host, long pid, Instant firedAt) {
        static Fire parse(String line) {
            String[] f = line.split("\\|");
            return new Fire(f[0], Instant.parse(f[1]), Integer.parseInt(f[2]), f[3], Long.parseLong(f[4]),
                    Instant.ofEpochMilli(Long.parseLong(f[5])));
        }

        /** @return what makes a fire unique cluster-wide */
        public String key() {
            return job + "@" + scheduledFor + "#" + attempt;
        }

        /** @return how late it ran after its instant */
        public Duration lateness() {
            return Duration.between(scheduledFor, firedAt);
        }
    }

    /**
     * One sample of the host's cluster health.
     *
     * @param at          when sampled
     * @param ready       whether the host held current leases
     * @param shardsHeld  how many shards it held
     * @param lastRenewal when its last successful renewal started; empty before the first
     * @param lastError   the renewal's last error, or {@code null}
     */
    public record HealthSample(Instant at, boolean ready, int shardsHeld, java.util.Optional<Instant> lastRenewal,
                               String lastError) {
        static java.util.Optional<HealthSample> parse(String line) {
            String[] f = line.split("\\|", -1);
            if (f.length < 5) {
                return java.util.Optional.empty(); // a line cut by a kill
            }
            Instant at = Instant.ofEpochMilli(Long.parseLong(f[0]));
            java.util.Optional<Instant> renewal = f[3].equals("null") ? java.util.Optional.empty()
                    : java.util.Optional.of(at.minusMillis(Long.parseLong(f[3])));
            return java.util.Optional.of(new HealthSample(at, Boolean.parseBoolean(f[1]), Integer.parseInt(f[2]),
                    renewal, f[4].equals("null") ? null : f[4]));
        }
    }
}
