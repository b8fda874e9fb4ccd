package dev.belfry.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.belfry.cluster.testing.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The schema's fencing triggers and the run history's pruning, on a real PostgreSQL. */
class RunPrunerTest {
    private static final PostgresServer pg = PostgresServer.shared();
    private HikariDataSource pool;

    @BeforeEach
    void schema() throws SQLException {
        pool = new HikariDataSource();
        pool.setJdbcUrl(pg.jdbcUrl(pg.createDatabase()));
        pool.setUsername(pg.user());
        pool.setPassword(pg.password());
        try (Connection c = pool.getConnection()) {
            assertThat(Schema.migrate(c)).isZero();
            assertThat(Schema.migrate(c)).as("a second migration finds the schema current")
                    .isEqualTo(Schema.current());
            exec(c, "INSERT INTO belfry_shards (shard, owner, epoch, expires_at) VALUES (259, 'h', 7, now()"
                    + " + interval '1 hour'), (260, 'h', 7, now() + interval '1 hour')");
        }
    }

    @AfterEach
    void close() {
        pool.close();
    }

    @Test
    void shouldDeleteOnlyRunsOlderThanTheRetentionOfTheShardsGiven() throws SQLException {
        try (Connection c = pool.getConnection()) {
            insertRun(c, "a.old", 259, "now() - interval '3 days'");
            insertRun(c, "a.new", 259, "now() - interval '1 hour'");
            insertRun(c, "b.old", 260, "now() - interval '3 days'");
            insertLegacyRun(c, "v.old", 7, "now() - interval '3 days'");
            new RunPruner(pool, Duration.ofDays(1)).pruneIfDue(List.of(259), false);
            assertThat(names(c)).containsExactly("a.new", "b.old", "v.old");
        }
    }

    @Test
    void shouldDeleteTheOldRunsOfSchemaVersionOnesShardsWhenAskedTo() throws SQLException {
        try (Connection c = pool.getConnection()) {
            insertLegacyRun(c, "v.old", 7, "now() - interval '3 days'");
            insertLegacyRun(c, "v.new", 7, "now() - interval '1 hour'");
            new RunPruner(pool, Duration.ofDays(1)).pruneIfDue(List.of(), true);
            assertThat(names(c)).containsExactly("v.new");
        }
    }

    @Test
    void shouldRefuseAClaimOrAJobWriteUnderAnEpochThatIsNotTheShardsCurrentOne() throws SQLException {
        try (Connection c = pool.getConnection()) {
            assertThatThrownBy(() -> exec(c, "INSERT INTO belfry_runs (qname, scheduled_for, attempt, shard, epoch,"
                    + " host_id, host_started, started_at) VALUES ('a.x', now(), 1, 259, 6, 'h', now(), now())"))
                    .hasMessageContaining("refused: not the current lease on shard 259");
            assertThatThrownBy(() -> exec(c, "INSERT INTO belfry_runs (qname, scheduled_for, attempt, shard, epoch,"
                    + " host_id, host_started, started_at) VALUES ('a.x', now(), 1, 259, 7, 'other', now(), now())"))
                    .hasMessageContaining("refused");
            exec(c, "INSERT INTO belfry_jobs (qname, shard, plugin_id, status, paused, record, written_by,"
                    + " written_epoch, updated_at) VALUES ('a.x', 259, 'a', 'idle', false, '\\x00', 'other', 0,"
                    + " now())");
            assertThatThrownBy(() -> exec(c, "UPDATE belfry_jobs SET status = 'paused', written_by = 'other',"
                    + " written_epoch = 6 WHERE qname = 'a.x'")).hasMessageContaining("refused");
            exec(c, "UPDATE belfry_jobs SET status = 'paused', written_by = 'h', written_epoch = 7"
                    + " WHERE qname = 'a.x'");
            exec(c, "UPDATE belfry_shards SET expires_at = now() - interval '1 second' WHERE shard = 259");
            assertThatThrownBy(() -> exec(c, "UPDATE belfry_jobs SET status = 'idle', written_by = 'h',"
                    + " written_epoch = 7 WHERE qname = 'a.x'")).as("an expired lease").hasMessageContaining("refused");
        }
    }

    private static void insertRun(Connection c, String qname, int shard, String startedAt) throws SQLException {
        exec(c, "INSERT INTO belfry_runs (qname, scheduled_for, attempt, shard, epoch, host_id, host_started,"
                + " started_at) VALUES ('" + qname + "', " + startedAt + ", 1, " + shard + ", 7, 'h', now(), "
                + startedAt + ")");
    }

    /** A run recorded under a shard of schema version 1, whose lease row version 2 deleted: the trigger is off. */
    private static void insertLegacyRun(Connection c, String qname, int shard, String startedAt) throws SQLException {
        exec(c, "ALTER TABLE belfry_runs DISABLE TRIGGER belfry_fence_claim");
        insertRun(c, qname, shard, startedAt);
        exec(c, "ALTER TABLE belfry_runs ENABLE TRIGGER belfry_fence_claim");
    }

    private static List<String> names(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT qname FROM belfry_runs ORDER BY qname")) {
            List<String> out = new java.util.ArrayList<>();
            while (r.next()) {
                out.add(r.getString(1));
            }
            return out;
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
