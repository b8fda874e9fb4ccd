package dev.belfry.cluster.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FaultProxyTest {
    private final PostgresServer server = PostgresServer.shared();
    private final String database = server.createDatabase();
    private final FaultProxy proxy = FaultProxy.start("127.0.0.1", server.port());

    @AfterEach
    void closeProxy() {
        proxy.close();
    }

    @Test
    void shouldForwardQueriesToTheServer() throws SQLException {
        try (Connection connection = connectThroughProxy("")) {
            assertThat(selectOne(connection)).isEqualTo(1);
        }
    }

    @Test
    void shouldBreakAnOpenConnectionAndRefuseNewOnesWhenCut() throws SQLException {
        // given
        try (Connection open = connectThroughProxy("")) {
            assertThat(selectOne(open)).isEqualTo(1);

            // when
            proxy.cut();

            // then
            assertThatThrownBy(() -> selectOne(open)).isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> connectThroughProxy("loginTimeout=2")).isInstanceOf(SQLException.class);
        }
    }

    @Test
    void shouldLetAQueryTimeOutInsteadOfFailingFastWhenBlackholed() throws SQLException {
        // given
        try (Connection open = connectThroughProxy("socketTimeout=1")) {
            assertThat(selectOne(open)).isEqualTo(1);

            // when
            proxy.blackhole();
            long started = System.nanoTime();

            // then
            assertThatThrownBy(() -> selectOne(open)).isInstanceOf(SQLException.class)
                    .hasRootCauseInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
            assertThatThrownBy(() -> connectThroughProxy("loginTimeout=1")).isInstanceOf(SQLException.class);
        }
    }

    @Test
    void shouldAcceptNewConnectionsAgainWhenHealedAfterACut() throws SQLException {
        // given
        Connection cutOff = connectThroughProxy("");
        proxy.cut();

        // when
        proxy.heal();

        // then
        try (Connection fresh = connectThroughProxy("")) {
            assertThat(selectOne(fresh)).isEqualTo(1);
        }
        assertThatThrownBy(() -> selectOne(cutOff)).isInstanceOf(SQLException.class);
        cutOff.close();
    }

    @Test
    void shouldHoldAQueryDuringABlackholeAndDeliverItWhenHealed() throws Exception {
        // given
        try (Connection open = connectThroughProxy("socketTimeout=30")) {
            proxy.blackhole();

            // when
            CompletableFuture<Integer> held = CompletableFuture.supplyAsync(() -> {
                try {
                    return selectOne(open);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThatThrownBy(() -> held.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
            proxy.heal();

            // then
            assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        }
    }

    private Connection connectThroughProxy(String parameters) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", server.user());
        properties.setProperty("password", server.password());
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + database + "?" + parameters, properties);
    }

    private static int selectOne(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT 1")) {
            result.next();
            return result.getInt(1);
        }
    }
}
