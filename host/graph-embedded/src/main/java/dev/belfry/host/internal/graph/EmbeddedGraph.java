package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.BackgroundPriority;
import dev.belfry.host.internal.state.OwnerOnly;
import dev.belfry.host.internal.state.SmallFiles;
import inet.ipaddr.IPAddressString;
import java.io.IOException;
import java.net.BindException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Neo4j server: a real Neo4j 5 in the host's process, store under {@code <data>/graph}, Bolt on
 * 127.0.0.1 only, authentication on. The mirror reaches it through the Java driver exactly as it would a remote
 * server, and standard Neo4j tools can connect to it with the credentials in {@code <data>/graph/credentials}.
 *
 * <p>Files it keeps in its folder: {@value #BOLT_URL_FILE} (the address in use, rewritten at every start and
 * removed at a clean stop),
 * {@value #CREDENTIALS_FILE} ({@code user=} and {@code password=} lines, generated at first start unless a password
 * is configured) and {@value #PASSWORD_SET_FILE}. The folder and everything in it, Neo4j's store included, is
 * narrowed to the owner (0700 folders, 0600 files) at every start and stop.
 *
 * <p>No client ever meets the default {@code neo4j}/{@code neo4j} login: on the store's first start the server runs
 * once with Bolt off, the password is set, and only then does it start with Bolt on.
 */
public final class EmbeddedGraph implements EmbeddedServer {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedGraph.class);
    /** The file holding the Bolt URI of the running server. */
    public static final String BOLT_URL_FILE = "bolt.url";
    /** The file holding the user and password. */
    public static final String CREDENTIALS_FILE = "credentials";
    /** The user the host connects as. */
    public static final String USER = "neo4j";

    /** Present once the store's password was set with Bolt off; its absence means the next start does that first. */
    static final String PASSWORD_SET_FILE = "password.set";

    /**
     * How long a Bolt connection may stay open without logging in (Neo4j's default is 30 s). Neo4j Community has no
     * limit on the number of connections, so this is what bounds a flood of connections that never log in: each
     * holds a file descriptor of the host's process until it is cut. Belfry's clients log in within milliseconds.
     */
    static final Duration AUTH_TIMEOUT = Duration.ofSeconds(10);

    private final DatabaseManagementService dbms;
    private final GraphEndpoint endpoint;
    private final Path graphDir;

    private EmbeddedGraph(DatabaseManagementService dbms, GraphEndpoint endpoint, Path graphDir) {
        this.dbms = dbms;
        this.endpoint = endpoint;
        this.graphDir = graphDir;
    }

    /**
     * Starts the server (this takes seconds: call it off the host's start-up path).
     *
     * @param graphDir           the server's folder, {@code <data>/graph}
     * @param boltPort           the Bolt port on 127.0.0.1; 0 picks a free one
     * @param configuredPassword a password to use instead of the generated one
     * @return the running server
     * @throws IOException           if its files cannot be written
     * @throws IllegalStateException if Neo4j fails to start; when another process holds the port, the message says
     *                               {@code cannot listen on 127.0.0.1:PORT: address in use}
     */
    public static EmbeddedGraph start(Path graphDir, int boltPort, Optional<String> configuredPassword)
            throws IOException {
        return start(graphDir, boltPort, configuredPassword, AUTH_TIMEOUT);
    }

    /** As {@link #start(Path, int, Optional)}, cutting connections that have not logged in after {@code authTimeout}. */
    static EmbeddedGraph start(Path graphDir, int boltPort, Optional<String> configuredPassword, Duration authTimeout)
            throws IOException {
        // Started from a thread of its own at a lower CPU priority, which every thread Neo4j makes inherits; the
        // caller's thread keeps its own.
        CompletableFuture<EmbeddedGraph> started = new CompletableFuture<>();
        Thread starter = new Thread(() -> {
            BackgroundPriority.lowerCurrentThread();
            try {
                started.complete(startHere(graphDir, boltPort, configuredPassword, authTimeout));
            } catch (Throwable e) {
                started.completeExceptionally(e);
            }
        }, "belfry-neo4j-start");
        starter.setDaemon(true);
        starter.start();
        try {
            return started.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private static EmbeddedGraph startHere(Path graphDir, int boltPort, Optional<String> configuredPassword,
                                           Duration authTimeout) throws IOException {
        OwnerOnly.createDirectories(graphDir);
        String password = configuredPassword.isPresent() ? configuredPassword.get() : credentials(graphDir);
        if (configuredPassword.isPresent()) {
            writeCredentials(graphDir, password);
        }
        boolean generated = configuredPassword.isEmpty();
        Path sealed = graphDir.resolve(PASSWORD_SET_FILE);
        if (!Files.exists(sealed)) {
            // A new store's only user is neo4j/neo4j: set the password with Bolt off, so no client ever meets the
            // default. Also for a first start that did not finish, and for a store whose password an older Belfry
            // set with Bolt already open.
            log.info("embedded Neo4j: first start of the store in {}; setting its password before Bolt opens", graphDir);
            DatabaseManagementService closed = builder(graphDir, boltPort, generated, false, authTimeout).build();
            try {
                setPassword(closed, password);
                createSchema(closed);
            } finally {
                closed.shutdown();
            }
            SmallFiles.writeAtomically(sealed, "the password was set before Bolt first opened\n", true);
        }
        DatabaseManagementService dbms;
        try {
            dbms = builder(graphDir, boltPort, generated, true, authTimeout).build();
        } catch (RuntimeException e) {
            if (causedByBind(e)) {
                // Neo4j's own message names only the store folder; say what is wrong and how to get past it.
                throw new IllegalStateException("embedded Neo4j cannot listen on 127.0.0.1:" + boltPort
                        + ": address in use (another process holds the port; give the host another one with"
                        + " --graph-port N, or 0 for any free port)", e);
            }
            throw e;
        }
        try {
            setPassword(dbms, password); // the configured password, or the credentials file, may have changed
            warnAboutOtherUsers(dbms);
            GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
            var address = db.getDependencyResolver().resolveDependency(ConnectorPortRegister.class)
                    .getLocalAddress(ConnectorType.BOLT);
            URI uri = URI.create("bolt://127.0.0.1:" + address.getPort());
            SmallFiles.writeAtomically(graphDir.resolve(BOLT_URL_FILE), uri + "\n", true);
            narrow(graphDir);
            log.info("embedded Neo4j listening on {} (store {}, credentials in {})", uri, graphDir,
                    graphDir.resolve(CREDENTIALS_FILE));
            return new EmbeddedGraph(dbms, new GraphEndpoint(uri, USER, password), graphDir);
        } catch (RuntimeException | IOException e) {
            dbms.shutdown();
            throw e;
        }
    }

    private static boolean causedByBind(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static DatabaseManagementServiceBuilder builder(Path graphDir, int boltPort, boolean generatedPassword,
                                                            boolean bolt, Duration authTimeout) {
        DatabaseManagementServiceBuilder b = new DatabaseManagementServiceBuilder(graphDir)
                .setConfig(BoltConnector.enabled, bolt)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", boltPort))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", boltPort))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(BoltConnectorInternalSettings.unsupported_bolt_unauth_connection_timeout, authTimeout)
                // Modest by default: the graph mirrors job state, it is not a data warehouse.
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(64))
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "100M size")
                // Every Bolt login, belfry query's read-only one too, may run LOAD CSV: it must not read the host
                // user's files (admin.token, ~/.ssh) nor make requests on the host's behalf. The mirror loads nothing.
                .setConfig(GraphDatabaseSettings.allow_file_urls, false)
                .setConfig(GraphDatabaseInternalSettings.cypher_ip_blocklist,
                        List.of(new IPAddressString("0.0.0.0/0"), new IPAddressString("::/0")));
        if (generatedPassword) {
            // 192 random bits cannot be guessed, so locking the user after failed logins protects nothing and lets
            // any local process lock the operator (and a reconnecting mirror) out. A password an operator chose keeps
            // Neo4j's lock-out.
            b.setConfig(GraphDatabaseSettings.auth_max_failed_attempts, 0);
        }
        return b;
    }

    /**
     * Creates the mirror's constraints (and so their index files) before the store's files are narrowed to the owner;
     * the mirror's own IF NOT EXISTS statements then find them.
     */
    private static void createSchema(DatabaseManagementService dbms) {
        var db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        for (String statement : GraphWriter.SCHEMA) {
            db.executeTransactionally(statement);
        }
    }

    /** A user Belfry did not create may be someone's way in (an older Belfry left the default login open briefly). */
    private static void warnAboutOtherUsers(DatabaseManagementService dbms) {
        List<String> others = dbms.database("system").executeTransactionally("SHOW USERS YIELD user", Map.of(),
                result -> result.stream().map(row -> String.valueOf(row.get("user"))).filter(u -> !USER.equals(u))
                        .sorted().toList());
        if (!others.isEmpty()) {
            log.warn("embedded Neo4j has users Belfry did not create: {}; if you did not add them, drop them"
                    + " (DROP USER name, on the system database)", others);
        }
    }

    /**
     * Sets the password through the system database, which the embedded API reaches without authentication;
     * CHANGE NOT REQUIRED so drivers can connect straight away. On a restart the store already has it, and Neo4j
     * refuses to "change" a password to itself: that refusal means the password is already right.
     */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        try {
            dbms.database("system").executeTransactionally(
                    "ALTER USER " + USER + " SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }
    }

    /** @return how to reach this server */
    public GraphEndpoint endpoint() {
        return endpoint;
    }

    /**
     * Reads the credentials a host wrote into a graph folder.
     *
     * @param graphDir the folder
     * @return the endpoint from {@value #BOLT_URL_FILE} and {@value #CREDENTIALS_FILE}, if both exist
     * @throws IOException if they exist but cannot be read
     */
    public static Optional<GraphEndpoint> readEndpoint(Path graphDir) throws IOException {
        Path url = graphDir.resolve(BOLT_URL_FILE);
        Path creds = graphDir.resolve(CREDENTIALS_FILE);
        if (!Files.exists(url) || !Files.exists(creds)) {
            return Optional.empty();
        }
        Properties p = readCredentials(creds);
        return Optional.of(new GraphEndpoint(URI.create(Files.readString(url).strip()),
                p.getProperty("user", USER), p.getProperty("password", "")));
    }

    private static String credentials(Path graphDir) throws IOException {
        Path file = graphDir.resolve(CREDENTIALS_FILE);
        if (Files.exists(file)) {
            String password = readCredentials(file).getProperty("password");
            if (password != null && !password.isEmpty()) {
                return password;
            }
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        writeCredentials(graphDir, password);
        return password;
    }

    private static Properties readCredentials(Path file) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        return p;
    }

    private static void writeCredentials(Path graphDir, String password) throws IOException {
        SmallFiles.writeAtomically(graphDir.resolve(CREDENTIALS_FILE),
                "# Neo4j credentials of the embedded graph server\nuser=" + USER + "\npassword=" + password + "\n", true);
    }

    /** Stops the server. */
    @Override
    public void close() {
        dbms.shutdown();
        try {
            Files.deleteIfExists(graphDir.resolve(BOLT_URL_FILE)); // the port is free for anyone once we stop
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", graphDir.resolve(BOLT_URL_FILE), e.toString());
        }
        narrow(graphDir); // files the server created while it ran (rotated logs, new log segments)
        log.info("embedded Neo4j stopped");
    }

    /** Best-effort: a store whose modes cannot change (another owner, a read-only mount) still serves. */
    private static void narrow(Path graphDir) {
        try {
            OwnerOnly.narrow(graphDir);
        } catch (IOException e) {
            log.warn("cannot narrow the modes of the files in {} to the owner: {}", graphDir, e.toString());
        }
    }
}
