package dev.belfry.host.internal.graph;

import dev.belfry.host.admin.AdminModule;
import dev.belfry.host.graph.GraphModule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.testing.Eventually;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.driver.AuthToken;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Logging;
import org.neo4j.driver.Session;
import org.neo4j.driver.SessionConfig;

/**
 * A host's first start with the embedded graph, as a hostile local user and as {@code ls -l} see it: no login with
 * the default or an empty password gets in at any moment, the server ends up with Belfry's user only, and every
 * folder and file under the data directory is the owner's alone.
 */
class EmbeddedGraphFirstStartTest {
    private static final Path EXAMPLES = Path.of(System.getProperty("belfry.examplePlugins", "target/example-plugins"));
    private static final Duration PATIENCE = Duration.ofSeconds(120);

    @TempDir
    Path tmp;

    @Test
    void shouldLetNoDefaultLoginInAndLeaveOnlyOwnerReadableFilesWhenTheGraphStartsForTheFirstTime() throws Exception {
        // given a fresh data directory (Belfry creates it) and a client hammering the port from before the start
        Path data = tmp.resolve("data");
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        Files.copy(EXAMPLES.resolve("hello-jobs.jar"), plugins.resolve("hello-jobs.jar"));
        int port = freePort();
        URI uri = URI.create("bolt://127.0.0.1:" + port);
        Hammer hammer = new Hammer(uri);
        Thread attacker = new Thread(hammer, "default-login-hammer");
        attacker.start();
        Host host = null;
        try {
            // when the host starts with the embedded graph and the mirror has written the jobs
            host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins).module(AdminModule.onPort(0))
                    .module(GraphModule.of(GraphConfig.embedded().withBoltPort(port))).build());
            Path graphDir = data.resolve("graph");
            Eventually.await(PATIENCE, () -> Files.exists(graphDir.resolve(EmbeddedGraph.BOLT_URL_FILE)),
                    () -> "the embedded graph's bolt.url");
            GraphEndpoint ep = EmbeddedGraph.readEndpoint(graphDir).orElseThrow();
            try (Driver belfry = GraphDatabase.driver(ep.uri(), AuthTokens.basic(ep.user(), ep.password()),
                    Config.builder().withLogging(Logging.none()).build())) {
                Eventually.await(PATIENCE, () -> jobsInGraph(belfry) == 3, () -> "hello-jobs' jobs in the graph");
                hammer.stop();
                attacker.join(30_000);

                // then the hammer never got in, though it tried throughout, and neo4j is the only user
                assertThat(hammer.attempts.get()).isGreaterThan(10);
                assertThat(hammer.successes).isEmpty();
                try (Session system = belfry.session(SessionConfig.forDatabase("system"))) {
                    List<String> users = system.run("SHOW USERS YIELD user RETURN user ORDER BY user").list()
                            .stream().map(r -> r.get("user").asString()).toList();
                    assertThat(users).containsExactly(EmbeddedGraph.USER);
                }
            }

            // and nothing under the data directory is open to other users, the admin API's address included
            Map<String, String> modes = modes(data);
            assertThat(modes).containsKeys("", "_system", "graph", "graph/credentials", "graph/bolt.url");
            assertThat(modes.keySet().stream().filter(p -> p.startsWith("graph/data/")).count())
                    .as("the Neo4j store's files").isGreaterThan(20);
            Map<String, String> open = new TreeMap<>();
            modes.forEach((path, mode) -> {
                boolean dir = Files.isDirectory(data.resolve(path));
                if (!mode.equals(dir ? "rwx------" : "rw-------")) {
                    open.put(path, mode);
                }
            });
            assertThat(open).as("folders not 0700 and files not 0600").isEmpty();
        } finally {
            hammer.stop();
            attacker.join(30_000);
            if (host != null) {
                host.close();
            }
        }
    }

    private static long jobsInGraph(Driver driver) {
        try (Session s = driver.session()) {
            return s.run("MATCH (j:_BackgroundJob) RETURN count(j) AS n").single().get("n").asLong();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Every path under {@code root} (relative, "" for root itself, symbolic links skipped) and its mode. */
    private static Map<String, String> modes(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path p : tree.toList()) {
                if (!Files.isSymbolicLink(p) && Files.exists(p)) {
                    out.put(root.relativize(p).toString(),
                            PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
                }
            }
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Tries neo4j/neo4j and an empty password over and over; on success it does what the attacker did. */
    private static final class Hammer implements Runnable {
        private final URI uri;
        private final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong attempts = new AtomicLong();
        final List<String> successes = new CopyOnWriteArrayList<>();

        Hammer(URI uri) {
            this.uri = uri;
        }

        void stop() {
            stop.set(true);
        }

        @Override
        public void run() {
            Config config = Config.builder().withLogging(Logging.none())
                    .withConnectionTimeout(1, TimeUnit.SECONDS).build();
            List<AuthToken> logins = new ArrayList<>(List.of(AuthTokens.basic("neo4j", "neo4j"),
                    AuthTokens.basic("neo4j", "")));
            List<Driver> drivers = logins.stream().map(t -> GraphDatabase.driver(uri, t, config)).toList();
            try {
                while (!stop.get()) {
                    for (int i = 0; i < drivers.size(); i++) {
                        attempts.incrementAndGet();
                        try {
                            drivers.get(i).verifyConnectivity();
                        } catch (RuntimeException refusedOrNotListening) {
                            continue; // what should happen every time
                        }
                        successes.add(i == 0 ? "neo4j/neo4j" : "neo4j/(empty)");
                        try (Session s = drivers.get(i).session(SessionConfig.forDatabase("system"))) {
                            s.run("CREATE USER intruder" + i + " IF NOT EXISTS SET PASSWORD 'intruder-password'"
                                    + " CHANGE NOT REQUIRED").consume();
                        } catch (RuntimeException refused) {
                            // a login that must change its password first may do nothing else
                        }
                    }
                }
            } finally {
                drivers.forEach(Driver::close);
            }
        }
    }
}
