package dev.belfry.host.internal.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.belfry.host.internal.graph.GraphFaultProxy.Cut;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Logging;
import org.neo4j.driver.Session;
import org.neo4j.driver.Transaction;
import org.neo4j.driver.exceptions.Neo4jException;

/**
 * The fault proxy does what the connection-cut test relies on: it carries Bolt faithfully, sees every commit, and
 * its cuts land where they say (after a commit: in the database, though the client got an error; mid transaction:
 * not in the database). Explicit transactions, so the driver retries nothing behind the test's back.
 */
class GraphFaultProxyTest {
    private final GraphTestServer server = GraphTestServer.get();
    private GraphFaultProxy proxy;
    private Driver driver;

    @BeforeEach
    void connect() throws Exception {
        server.wipe();
        GraphEndpoint ep = server.endpoint();
        proxy = new GraphFaultProxy(ep.uri());
        driver = GraphDatabase.driver(proxy.uri(), AuthTokens.basic(ep.user(), ep.password()),
                Config.builder().withLogging(Logging.none()).withMaxTransactionRetryTime(0,
                        TimeUnit.MILLISECONDS).build());
    }

    @AfterEach
    void close() throws Exception {
        driver.close();
        proxy.close();
    }

    @Test
    void shouldCarryBoltAndCountEveryCommit() {
        try (Session s = driver.session()) {
            for (int i = 0; i < 5; i++) {
                int n = i;
                s.executeWrite(tx -> tx.run("CREATE (:_FaultProbe {n: $n})", Map.of("n", n)).consume());
            }
        }

        assertThat(probes()).isEqualTo(5);
        assertThat(proxy.commits()).isEqualTo(5);
        assertThat(proxy.cuts()).containsEntry(Cut.NOW, 0).containsEntry(Cut.MID_TRANSACTION, 0)
                .containsEntry(Cut.AFTER_COMMIT, 0);
    }

    @Test
    void shouldCommitButLeaveTheClientWithoutAnAnswerWhenCutAfterCommit() {
        proxy.arm(Cut.AFTER_COMMIT);

        try (Session s = driver.session()) {
            Transaction tx = s.beginTransaction();
            tx.run("CREATE (:_FaultProbe {n: 1})").consume();
            assertThatThrownBy(tx::commit).isInstanceOf(Neo4jException.class);
        }

        assertThat(proxy.armed()).isFalse();
        assertThat(proxy.cuts()).containsEntry(Cut.AFTER_COMMIT, 1);
        assertThat(probes()).as("committed all the same").isEqualTo(1);
    }

    @Test
    void shouldCommitNothingWhenCutMidTransaction() {
        proxy.arm(Cut.MID_TRANSACTION);

        try (Session s = driver.session()) {
            assertThatThrownBy(() -> {
                try (Transaction tx = s.beginTransaction()) {
                    tx.run("CREATE (:_FaultProbe {n: 1})").consume();
                    tx.commit();
                }
            }).isInstanceOf(Neo4jException.class);
        }

        assertThat(proxy.cuts()).containsEntry(Cut.MID_TRANSACTION, 1);
        assertThat(probes()).isZero();
        assertThat(proxy.commits()).isZero();
    }

    private long probes() {
        return server.query("MATCH (p:_FaultProbe) RETURN count(p) AS n").get(0).get("n").asLong();
    }
}
