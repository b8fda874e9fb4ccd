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
            assertThat(Schema.migrate(c)).as("a second migration finds the schema current").isEqualTo(1);
            exec(c, "UPDATE belfry_shards SET owner = 'h', epoch = 7, expires_at = now() + interval '1 hour'"
                    + " WHERE shard IN (3, 4)");
        }
    }

    @AfterEach
    void close() {
        pool.close();
    }

    @Test
    void shouldDeleteOnlyRunsOlderThanTheRetentionOfTheShardsGiven() throws SQLException {
        try (Connection c = pool.getConnection()) {
            insertRun(c, "a.old", 3, "now() - interval '3 days'");
            insertRun(c, "a.new", 3, "now() - interval '1 hour'");
            insertRun(c, "b.old", 4, "now() - interval '3 days'");
            new RunPruner(pool, Duration.ofDays(1)).pruneIfDue(List.of(3));
            assertThat(names(c)).containsExactly("a.new", "b.old");
        }
    }

    @Test
    void shouldRefuseAClaimOrAJobWriteUnderAnEpochThatIsNotTheShardsCurrentOne() throws SQLException {
        try (Connection c = pool.getConnection()) {
            assertThatThrownBy(() -> exec(c, "INSERT INTO belfry_runs (qname, scheduled_for, attempt, shard, epoch,"
                    + " host_id, host_started, started_at) VALUES ('a.x', now(), 1, 3, 6, 'h', now(), now())"))
                    .hasMessageContaining("refused: not the current lease on shard 3");
            assertThatThrownBy(() -> exec(c, "INSERT INTO belfry_runs (qname, scheduled_for, attempt, shard, epoch,"
                    + " host_id, host_started, started_at) VALUES ('a.x', now(), 1, 3, 7, 'other', now(), now())"))
                    .hasMessageContaining("refused");
            exec(c, "INSERT INTO belfry_jobs (qname, shard, plugin_id, status, paused, record, written_by,"
                    + " written_epoch, updated_at) VALUES ('a.x', 3, 'a', 'idle', false, '\\x00', 'other', 0, now())");
            assertThatThrownBy(() -> exec(c, "UPDATE belfry_jobs SET status = 'paused', written_by = 'other',"
                    + " written_epoch = 6 WHERE qname = 'a.x'")).hasMessageContaining("refused");
            exec(c, "UPDATE belfry_jobs SET status = 'paused', written_by = 'h', written_epoch = 7"
                    + " WHERE qname = 'a.x'");
            exec(c, "UPDATE belfry_shards SET expires_at = now() - interval '1 second' WHERE shard = 3");
            assertThatThrownBy(() -> exec(c, "UPDATE belfry_jobs SET status = 'idle', written_by = 'h',"
                    + " written_epoch = 7 WHERE qname = 'a.x'")).as("an expired lease").hasMessageContaining("refused");
        }
    }

    private static void insertRun(Connection c, String qname, int shard, String startedAt) throws SQLException {
        exec(c, "INSERT INTO belfry_runs (qname, scheduled_for, attempt, shard, epoch, host_id, host_started,"
                + " started_at) VALUES ('" + qname + "', " + startedAt + ", 1, " + shard + ", 7, 'h', now(), "
                + startedAt + ")");
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
