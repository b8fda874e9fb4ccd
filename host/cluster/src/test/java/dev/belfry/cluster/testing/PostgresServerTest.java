package dev.belfry.cluster.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class PostgresServerTest {
    private final PostgresServer server = PostgresServer.shared();

    @Test
    void shouldKeepEachCreatedDatabaseApartWhenTwoAreCreated() throws SQLException {
        // given
        String first = server.createDatabase();
        String second = server.createDatabase();

        // when
        try (Connection connection = connect(first); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE note (text varchar NOT NULL)");
            statement.execute("INSERT INTO note VALUES ('in the first')");
        }

        // then
        assertThat(first).isNotEqualTo(second);
        assertThat(queryString(first, "SELECT text FROM note")).isEqualTo("in the first");
        assertThatThrownBy(() -> queryString(second, "SELECT text FROM note"))
                .isInstanceOf(SQLException.class).hasMessageContaining("does not exist");
    }

    @Test
    void shouldRefuseAWrongPasswordOverTcp() {
        String database = server.createDatabase();

        assertThatThrownBy(() -> DriverManager.getConnection(server.jdbcUrl(database), server.user(), "wrong"))
                .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
    }

    @Test
    void shouldListenOnLoopbackOnlyWithDurableWritesAndRoomForThreeHosts() throws SQLException {
        String database = server.createDatabase();

        assertThat(queryString(database, "SHOW listen_addresses")).isEqualTo("127.0.0.1");
        assertThat(queryString(database, "SHOW fsync")).isEqualTo("on");
        assertThat(queryString(database, "SHOW max_connections")).isEqualTo("200");
        assertThat(queryString(database, "SHOW server_version_num")).satisfies(
                version -> assertThat(Integer.parseInt(version)).isGreaterThanOrEqualTo(140000));
        assertThat(server.logFile()).exists();
    }

    @Test
    void shouldRunTheServerAsAnOrdinaryUserEvenWhenTheTestsRunAsRoot() throws SQLException, IOException {
        String database = server.createDatabase();

        // The backend serving this connection ends when the connection closes, so it is looked at while open.
        try (Connection connection = connect(database);
             Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT pg_backend_pid()")) {
            assertThat(result.next()).isTrue();
            Path backend = Path.of("/proc", String.valueOf(result.getLong(1)));

            assertThat(Files.getAttribute(backend, "unix:uid")).as("the uid of the backend %s", backend)
                    .isNotEqualTo(0);
        }
    }

    @Test
    void shouldKeepTheDataAndThePortWhenRestarted() throws SQLException {
        // given
        String database = server.createDatabase();
        int port = server.port();
        try (Connection connection = connect(database); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE fired (job varchar NOT NULL)");
            statement.execute("INSERT INTO fired VALUES ('nightly')");
        }

        // when
        server.restart();

        // then
        assertThat(server.port()).isEqualTo(port);
        assertThat(queryString(database, "SELECT job FROM fired")).isEqualTo("nightly");
    }

    @Test
    void shouldFailOpenAndNewConnectionsWhileStoppedAndAcceptThemAgainWhenStarted() throws SQLException {
        // given
        String database = server.createDatabase();
        try (Connection open = connect(database)) {
            try {
                // when
                server.stop();

                // then
                assertThatThrownBy(() -> open.createStatement().executeQuery("SELECT 1"))
                        .isInstanceOf(SQLException.class);
                assertThatThrownBy(() -> connect(database)).isInstanceOf(SQLException.class)
                        .hasMessageContaining("Connection to 127.0.0.1:" + server.port() + " refused");
            } finally {
                server.start();
            }
        }
        assertThat(queryString(database, "SELECT 'back'")).isEqualTo("back");
    }

    private Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(server.jdbcUrl(database), server.user(), server.password());
    }

    private String queryString(String database, String sql) throws SQLException {
        try (Connection connection = connect(database);
             Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(sql)) {
            assertThat(result.next()).as("a row from %s", sql).isTrue();
            return result.getString(1);
        }
    }
}
