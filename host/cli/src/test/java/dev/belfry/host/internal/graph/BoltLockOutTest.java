package dev.belfry.host.internal.graph;

import static dev.belfry.host.internal.graph.TestJobs.job;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.internal.cli.BelfryCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Logging;
import org.neo4j.driver.Session;
import org.neo4j.driver.exceptions.SecurityException;

/**
 * An embedded server with a password the operator chose keeps Neo4j's lock-out after failed logins: someone trying
 * wrong passwords locks {@code belfry query} out for a while, which it says plainly, and the mirror, already
 * connected, goes on writing.
 */
class BoltLockOutTest {
    private static final String PASSWORD = "an-operator-chosen-password";

    @TempDir
    Path dir;

    @Test
    void shouldSayTheUserIsTemporarilyLockedAndKeepTheConnectedMirrorWritingWhenSomeoneTriesWrongPasswords()
            throws IOException {
        // given a server with a configured password and a mirror connected to it
        try (EmbeddedGraph graph = EmbeddedGraph.start(dir.resolve("graph"), 0, Optional.of(PASSWORD))) {
            GraphEndpoint ep = graph.endpoint();
            TestJobs.Sidecar sidecar = new TestJobs.Sidecar();
            sidecar.put(job("before.lock", 1));
            try (Neo4jMirror mirror = new Neo4jMirror(() -> Optional.of(ep), sidecar::snapshot, "lock-host",
                    Instant.parse("2026-12-01T00:00:00Z"), 5, Clock.systemUTC())) {
                mirror.start();
                Poll.until(() -> assertThat(mirror.status().lastSyncAt()).isPresent());
                long rowsBefore = mirror.status().rowsWritten();
                // an operator's connection opened before the lock, like the mirror's: it is reused, not re-opened
                Driver observer = GraphDatabase.driver(ep.uri(), AuthTokens.basic(ep.user(), PASSWORD),
                        Config.builder().withLogging(Logging.none()).withMaxConnectionPoolSize(1).build());
                assertThat(jobCount(observer, "before.lock")).isEqualTo(1);

                // when someone tries wrong passwords for the same user
                for (int i = 0; i < 4; i++) {
                    try (Driver wrong = GraphDatabase.driver(ep.uri(), AuthTokens.basic(ep.user(), "guess-" + i),
                            Config.builder().withLogging(Logging.none()).build())) {
                        wrong.verifyConnectivity();
                    } catch (SecurityException refused) {
                        // refused, and after three of them the user is locked
                    }
                }
                Path passwordFile = Files.writeString(dir.resolve("password"), PASSWORD + "\n");
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int code = BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true),
                        "query", "RETURN 1", "--graph", ep.uri().toString(),
                        "--graph-password-file", passwordFile.toString());

                // then the query, with the right password, is refused with why, and the mirror still writes
                assertThat(code).isEqualTo(1);
                assertThat(err.toString().lines()).singleElement().asString()
                        .contains("has temporarily locked user neo4j after too many failed logins")
                        .contains("try again");
                sidecar.put(job("after.lock", 1));
                mirror.jobChanged(job("after.lock", 1));
                Poll.until(() -> assertThat(mirror.status().rowsWritten()).isGreaterThan(rowsBefore));
                assertThat(mirror.status().connected()).isTrue();
                assertThat(mirror.status().lastError()).isEmpty();
                Poll.until(() -> assertThat(jobCount(observer, "after.lock")).isEqualTo(1));
                observer.close();
            }
        }
    }

    private static long jobCount(Driver driver, String qname) {
        try (Session s = driver.session()) {
            return s.run("MATCH (j:_BackgroundJob {qname: $q}) RETURN count(j) AS n", java.util.Map.of("q", qname))
                    .single().get("n").asLong();
        }
    }
}
