package dev.belfry.cluster.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the database's Belfry tables to this build's schema: versioned scripts applied in order, each in its own
 * transaction with its row in {@code belfry_schema_version}, under an advisory lock so that hosts starting together
 * apply each script once. A database of a newer schema than this build knows is refused, not touched.
 */
public final class Schema {
    private static final Logger log = LoggerFactory.getLogger(Schema.class);
    /** The scripts, in order; script n brings the schema to version n. */
    static final List<String> MIGRATIONS = List.of("V1__cluster.sql", "V2__namespace_shards.sql");
    /** Any number, the same on every host: the key of the advisory lock migrations take. */
    private static final long LOCK_KEY = 0x62656c667279L;

    private Schema() {
    }

    /** @return the schema version this build writes */
    public static int current() {
        return MIGRATIONS.size();
    }

    /**
     * @param c a connection, in auto-commit mode
     * @return the version the database was at before (0 for a database without Belfry's tables)
     * @throws SQLException if a script fails (its transaction is rolled back) or the database is newer
     */
    public static int migrate(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS belfry_schema_version (version integer PRIMARY KEY,"
                    + " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
        } catch (SQLException e) {
            if (!"23505".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
                throw e; // two hosts creating the table at once: one of them wins, which is all it takes
            }
        }
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
            int before = version(s);
            if (before > current()) {
                throw new SQLException("the database's Belfry schema is version " + before + ", newer than this"
                        + " build's " + current() + ": run a Belfry at least as new as the hosts that wrote it");
            }
            if (before > 0 && before < current()) {
                refuseWhileHostsLive(s, before);
            }
            for (int v = before + 1; v <= current(); v++) {
                String script = MIGRATIONS.get(v - 1);
                s.execute(read(script));
                s.execute("INSERT INTO belfry_schema_version (version, description) VALUES (" + v + ", '"
                        + script.replace("'", "") + "')");
                log.info("cluster database schema brought to version {} ({})", v, script);
            }
            c.commit();
            return before;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /**
     * An upgrade changes what running hosts rely on (version 2 moved every job to another shard): it is applied only
     * while no host of the cluster is live, as {@code belfry cluster import} is.
     */
    private static void refuseWhileHostsLive(Statement s, int before) throws SQLException {
        List<String> live = new java.util.ArrayList<>();
        try (ResultSet r = s.executeQuery("SELECT host_id FROM belfry_hosts WHERE expires_at > now() ORDER BY 1")) {
            while (r.next()) {
                live.add(r.getString(1));
            }
        }
        if (!live.isEmpty()) {
            throw new SQLException("the database's Belfry schema is version " + before + " and this build's is "
                    + current() + "; an upgrade needs every host of the cluster stopped, and " + live.size()
                    + " is live (" + String.join(", ", live) + "): stop them all, then start the hosts of this"
                    + " version (the first one upgrades the schema)");
        }
    }

    private static int version(Statement s) throws SQLException {
        try (ResultSet r = s.executeQuery("SELECT coalesce(max(version), 0) FROM belfry_schema_version")) {
            r.next();
            return r.getInt(1);
        }
    }

    private static String read(String script) {
        try (InputStream in = Schema.class.getResourceAsStream("/dev/belfry/cluster/migrations/" + script)) {
            if (in == null) {
                throw new IllegalStateException("migration " + script + " is missing from the belfry-cluster jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read migration " + script + ": " + e.getMessage(), e);
        }
    }
}
