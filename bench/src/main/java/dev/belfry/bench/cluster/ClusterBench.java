package dev.belfry.bench.cluster;

import dev.belfry.cluster.testing.PostgresServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Cluster mode on this machine: three hosts as separate JVMs (applications embedding Belfry with
 * {@code ClusterModule}, or Quartz schedulers on its clustered JDBC store) on one local PostgreSQL that the
 * benchmark starts, all sharing the machine's cores.
 * Measures cluster-wide fires per second with fire lag, database transactions per fire, a duplicate check over
 * every fire the jobs recorded, and the failover time after a kill -9 (docs/benchmarks.md, "Cluster mode").
 *
 * <p>Options: {@code --scheduler=belfry|quartz --quartz-tuned=true|false --jobs=N --period-ms=MS --seconds=S
 * --warmup=S --hosts=H --failover=true|false --jvm="opts"}.
 */
public final class ClusterBench {

    private ClusterBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>(Map.of("jobs", "10000", "period-ms", "2000", "seconds", "60",
                "hosts", "3", "failover", "false", "jvm", "-XX:+UseZGC -Xmx1g", "warmup", "15"));
        o.putAll(Map.of("scheduler", "belfry", "quartz-tuned", "false"));
        for (String a : args) {
            String[] kv = a.replaceFirst("^--", "").split("=", 2);
            o.put(kv[0], kv[1]);
        }
        int jobs = Integer.parseInt(o.get("jobs"));
        long periodMs = Long.parseLong(o.get("period-ms"));
        int seconds = Integer.parseInt(o.get("seconds"));
        int hostCount = Integer.parseInt(o.get("hosts"));
        boolean quartz = switch (o.get("scheduler")) {
            case "belfry" -> false;
            case "quartz" -> true;
            default -> throw new IllegalArgumentException("--scheduler must be belfry or quartz: " + o.get("scheduler"));
        };
        PostgresServer pg = PostgresServer.shared();
        String db = pg.createDatabase();
        String url = pg.jdbcUrl(db);
        Path work = Files.createTempDirectory("belfry-cluster-bench");
        Path secret = work.resolve("password");
        Files.writeString(secret, pg.password());
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        String scheduler = quartz ? QuartzBenchHost.describe(Boolean.parseBoolean(o.get("quartz-tuned"))) : "Belfry";
        System.out.printf("cluster bench: %s, %d hosts, %d jobs every %d ms (%.0f fires/s), %d s measured,"
                        + " JVM %s, %s%n", scheduler, hostCount, jobs, periodMs, jobs * 1000.0 / periodMs, seconds,
                System.getProperty("java.version"), o.get("jvm"));
        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password())) {
            System.out.println("PostgreSQL " + scalar(c, "SHOW server_version") + ", fsync "
                    + scalar(c, "SHOW fsync") + ", synchronous_commit " + scalar(c, "SHOW synchronous_commit")
                    + ", shared_buffers " + scalar(c, "SHOW shared_buffers")
                    + ", max_connections " + scalar(c, "SHOW max_connections"));
        }
        List<Child> hosts = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password())) {
            if (quartz) {
                QuartzCluster.createTables(c);
            }
            for (int i = 0; i < hostCount; i++) {
                List<String> main = quartz
                        ? List.of(QuartzBenchHost.class.getName(), url, pg.user(), secret.toString(), "host-" + i,
                                Integer.toString(jobs), Long.toString(periodMs),
                                work.resolve("host-" + i + ".fires").toString(), o.get("quartz-tuned"))
                        : List.of(ClusterBenchHost.class.getName(), url, pg.user(), secret.toString(), "host-" + i,
                                work.resolve("host-" + i).toString(), Integer.toString(jobs), Long.toString(periodMs),
                                work.resolve("host-" + i + ".fires").toString());
                hosts.add(Child.start(o.get("jvm"), main, "host-" + i, work));
                if (quartz && i == 0) {
                    // host-0 stores the triggers; the others start after, so that their first acquisition finds
                    // them instead of idling for Quartz's idleWaitTime (30 s by default).
                    hosts.get(0).await("ready", 120);
                }
            }
            for (Child h : hosts.subList(quartz ? 1 : 0, hosts.size())) {
                h.await("ready", 120);
            }
            long t0 = System.nanoTime();
            while (quartz ? QuartzCluster.schedulers(c) < hostCount : owners(c) < hostCount || held(c) < shards(c)) {
                Thread.sleep(100);
                if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(60)) {
                    throw new IllegalStateException("the cluster did not form within 60 s");
                }
            }
            System.out.printf("%d hosts in the cluster after %d ms; warming up %s s%n", hostCount,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), o.get("warmup"));
            Thread.sleep(Long.parseLong(o.get("warmup")) * 1000);
            long xactBefore = xacts(c);
            long began = System.nanoTime();
            hosts.forEach(h -> h.send("measure"));
            Thread.sleep(seconds * 1000L);
            hosts.forEach(h -> h.send("report"));
            Histogram all = new Histogram(3);
            long fires = 0;
            for (Child h : hosts) {
                String[] report = h.await("report", 30).split(" ");
                fires += Long.parseLong(report[1]);
                all.add(Histogram.decodeFromCompressedByteBuffer(
                        ByteBuffer.wrap(Base64.getDecoder().decode(report[2])), 0));
            }
            double took = (System.nanoTime() - began) / 1e9;
            long xacts = xacts(c) - xactBefore;
            System.out.printf("fires %d in %.1f s = %.0f fires/s cluster-wide; lag p50 %.2f ms, p99 %.2f ms,"
                            + " p99.9 %.2f ms, max %.2f ms; %d transactions (%.3f per fire)%n", fires, took,
                    fires / took, all.getValueAtPercentile(50) / 1000.0, all.getValueAtPercentile(99) / 1000.0,
                    all.getValueAtPercentile(99.9) / 1000.0, all.getMaxValue() / 1000.0, xacts,
                    fires == 0 ? 0 : (double) xacts / fires);
            if (Boolean.parseBoolean(o.get("failover"))) {
                Child victim = hosts.remove(hostCount - 1);
                victim.process.destroyForcibly();
                long killed = System.nanoTime();
                if (quartz) {
                    QuartzCluster.awaitRecovery(c, victim.name, killed);
                } else {
                    awaitShardTakeover(c, victim.name, killed);
                }
                Thread.sleep(3000);
            }
        } finally {
            for (Child h : hosts) {
                h.send("stop");
            }
            for (Child h : hosts) {
                if (!h.process.waitFor(60, TimeUnit.SECONDS)) {
                    h.process.destroyForcibly();
                }
            }
        }
        System.out.println("duplicate " + (quartz ? "(trigger, scheduled fire time)" : "(job, instant, attempt)")
                + " fires over the whole run: " + duplicates(work));
    }

    private static long duplicates(Path work) throws IOException {
        Map<String, Integer> seen = new HashMap<>();
        long dups = 0;
        try (var files = Files.list(work)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".fires")).toList()) {
                for (String line : Files.readAllLines(f)) {
                    if (seen.merge(line, 1, Integer::sum) > 1) {
                        dups++;
                    }
                }
            }
        }
        return dups;
    }

    private static void awaitShardTakeover(Connection c, String victim, long killed) throws Exception {
        String dead = scalar(c, "SELECT host_id FROM belfry_hosts WHERE address = '" + victim + "'");
        long all = shards(c);
        while (Long.parseLong(scalar(c, "SELECT count(*) FROM belfry_shards WHERE expires_at > now()"
                + " AND owner <> '" + dead + "'")) < all) {
            Thread.sleep(20);
        }
        System.out.printf("failover: after kill -9 of %s the other hosts held all %d shards in %d ms%n",
                victim, all, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
    }

    private static long owners(Connection c) throws Exception {
        return Long.parseLong(scalar(c, "SELECT count(DISTINCT owner) FROM belfry_shards WHERE expires_at > now()"));
    }

    /** @return the lease rows: 64 per namespace (docs/cluster.md) */
    private static long shards(Connection c) throws Exception {
        return Long.parseLong(scalar(c, "SELECT count(*) FROM belfry_shards"));
    }

    private static long held(Connection c) throws Exception {
        return Long.parseLong(scalar(c, "SELECT count(*) FROM belfry_shards WHERE expires_at > now()"));
    }

    private static long xacts(Connection c) throws Exception {
        return Long.parseLong(scalar(c, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"));
    }

    static String scalar(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }

    /** A host JVM, spoken to over its stdin and stdout. */
    private static final class Child {
        final String name;
        final Process process;
        final BufferedReader out;
        final PrintWriter in;

        private Child(String name, Process process) {
            this.name = name;
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        }

        static Child start(String jvm, List<String> main, String name, Path work) throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(List.of(jvm.trim().split("\\s+")));
            cmd.addAll(List.of("-DBELFRY_LOG_LEVEL=WARN", "-cp", System.getProperty("java.class.path")));
            cmd.addAll(main);
            Process p = new ProcessBuilder(cmd).redirectError(work.resolve(name + ".log").toFile()).start();
            return new Child(name, p);
        }

        void send(String line) {
            in.println(line);
        }

        String await(String prefix, int seconds) throws IOException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith(prefix)) {
                    return line;
                }
                if (System.nanoTime() > deadline) {
                    break;
                }
            }
            throw new IllegalStateException(name + " did not say '" + prefix + "' (see its log)");
        }
    }
}
