package dev.belfry.cluster.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundledPostgresTest {

    @Test
    void shouldRunTheBundledPostgres15AsAnOrdinaryUserWhenBelfryPgBinSaysBundled() throws Exception {
        // given
        Path binDir = PostgresServer.findBinaries("bundled");

        // when
        PostgresServer server = PostgresServer.startNew(binDir);
        try {
            // then
            assertThat(binDir).endsWith(Path.of("belfry-postgres-bin-" + BundledPostgres.VERSION, "bin"));
            try (Connection connection = DriverManager.getConnection(server.jdbcUrl("postgres"), server.user(),
                    server.password())) {
                assertThat(queryString(connection, "SHOW server_version")).startsWith("15");
                // Asked while the connection is open: its backend process ends with it.
                long backend = Long.parseLong(queryString(connection, "SELECT pg_backend_pid()"));
                assertThat(ProcessHandle.of(backend).flatMap(process -> process.info().user()))
                        .hasValueSatisfying(user -> assertThat(user).isNotEqualTo("root"));
            }
        } finally {
            server.stopAndDelete();
        }
        assertThat(server.logFile().getParent()).doesNotExist();
    }

    @Test
    void shouldUnpackOnceForConcurrentCallersAndClearAHalfUnpackedLeftover(@TempDir Path tmp) throws Exception {
        // given
        Path leftover = Files.createDirectory(tmp.resolve("belfry-postgres-bin-" + BundledPostgres.VERSION
                + ".unpacking-123"));
        Files.writeString(leftover.resolve("half"), "from a JVM killed while unpacking");
        Callable<Path> unpack = () -> BundledPostgres.binaries(tmp).orElseThrow();
        ExecutorService callers = Executors.newFixedThreadPool(3);

        // when
        List<Path> binDirs;
        try {
            List<Future<Path>> futures = callers.invokeAll(List.of(unpack, unpack, unpack));
            binDirs = futures.stream().map(BundledPostgresTest::get).collect(Collectors.toList());
        } finally {
            callers.shutdownNow();
        }

        // then
        assertThat(binDirs).containsOnly(tmp.resolve("belfry-postgres-bin-" + BundledPostgres.VERSION + "/bin"));
        try (Stream<Path> entries = Files.list(tmp)) {
            assertThat(entries.map(entry -> entry.getFileName().toString())).containsExactlyInAnyOrder(
                    "belfry-postgres-bin-" + BundledPostgres.VERSION,
                    "belfry-postgres-bin-" + BundledPostgres.VERSION + ".lock");
        }
        Path binDir = binDirs.get(0);
        assertThat(List.of("postgres", "initdb", "pg_ctl")).allSatisfy(
                program -> assertThat(Files.getPosixFilePermissions(binDir.resolve(program)))
                        .contains(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE));
        assertThat(Files.getPosixFilePermissions(binDir.getParent())).contains(PosixFilePermission.OTHERS_EXECUTE);
    }

    private static Path get(Future<Path> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private static String queryString(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(sql)) {
            assertThat(result.next()).as("a row from %s", sql).isTrue();
            return result.getString(1);
        }
    }
}
