package dev.belfry.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

/** A database error as the one line an operator reads. */
class DbErrorsTest {

    @Test
    void shouldSayWhatTheInnermostCauseSays() {
        SQLException e = new SQLException("pool failed", new ConnectException("Connection refused"));

        assertThat(DbErrors.describe(e)).isEqualTo("Connection refused");
    }

    @Test
    void shouldPutThePoolsTimeoutInTheOperatorsWordsWithoutItsCounters() {
        SQLException e = new SQLTransientConnectionException("belfry-cluster - Connection is not available, request"
                + " timed out after 2000ms (total=0, active=0, idle=0, waiting=0)");

        assertThat(DbErrors.describe(e)).isEqualTo("no connection to the database within 2000 ms (it is down or out"
                + " of reach)");
    }
}
