package dev.belfry.bench.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.quartz.impl.jdbcjobstore.JobStoreSupport;

/** The parent's side of the Quartz cluster benchmark: its tables, and watching its cluster from the database. */
final class QuartzCluster {
    private QuartzCluster() {
    }

    /** Creates Quartz's tables from the script shipped in the Quartz jar. */
    static void createTables(Connection c) throws Exception {
        String script;
        try (InputStream in = JobStoreSupport.class.getResourceAsStream("tables_postgres.sql")) {
            if (in == null) {
                throw new IOException("tables_postgres.sql is not in the Quartz jar");
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try (Statement s = c.createStatement()) {
            for (String sql : script.replaceAll("(?m)^--.*$", "").split(";")) {
                if (!sql.isBlank() && !sql.strip().equalsIgnoreCase("commit")) {
                    s.execute(sql);
                }
            }
        }
    }

    /** @return the schedulers checked in to the cluster */
    static long schedulers(Connection c) throws Exception {
        return Long.parseLong(ClusterBench.scalar(c, "SELECT count(*) FROM qrtz_scheduler_state"));
    }

    /**
     * Waits until the survivors have recovered the killed scheduler {@code victim}: Quartz gives a scheduler's
     * triggers to no one in particular, so what the victim held at its death is only the triggers it had acquired
     * (its rows in QRTZ_FIRED_TRIGGERS); they fire elsewhere once a survivor's check-in finds it failed and
     * releases them. Prints that time, counted from {@code killed} (a {@link System#nanoTime()}).
     */
    static void awaitRecovery(Connection c, String victim, long killed) throws Exception {
        String held = ClusterBench.scalar(c, "SELECT count(*) FROM qrtz_fired_triggers WHERE instance_name = '"
                + victim + "'");
        while (Long.parseLong(ClusterBench.scalar(c, "SELECT count(*) FROM qrtz_fired_triggers WHERE instance_name = '"
                + victim + "'")) > 0
                || Long.parseLong(ClusterBench.scalar(c, "SELECT count(*) FROM qrtz_scheduler_state"
                + " WHERE instance_name = '" + victim + "'")) > 0) {
            Thread.sleep(20);
        }
        System.out.printf("failover: after kill -9 of %s (%s triggers acquired or running) the others released"
                        + " them in %d ms (clusterCheckinInterval 1000 ms)%n", victim, held,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
    }
}
