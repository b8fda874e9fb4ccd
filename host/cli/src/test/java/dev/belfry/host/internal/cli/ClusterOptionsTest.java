package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.graph.GraphConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The cluster database options of {@code belfry run} and {@code belfry cluster}: a password source that is missing,
 * doubled or unsafe, or an embedded graph in cluster mode, is refused in one line naming the option, before anything
 * starts (no data directory is created, no database is asked).
 */
class ClusterOptionsTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2027-01-04T12:00:00Z"), ZoneOffset.UTC);
    private static final String URL = "jdbc:postgresql://127.0.0.1:1/belfry";
    private static final String UNSET = "BELFRY_TEST_VARIABLE_THAT_IS_NEVER_SET";

    @TempDir
    Path tmp;

    private Path data;
    private Path passwordFile;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void setUp() throws IOException {
        data = tmp.resolve("data");
        passwordFile = Files.writeString(tmp.resolve("db-password"), "s3cret\n");
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
    }

    private int run(String... args) {
        List<String> all = new ArrayList<>(List.of("run", "--data", data.toString(), "--plugins",
                tmp.resolve("plugins").toString(), "--admin-port", "off"));
        all.addAll(List.of(args));
        return BelfryCli.run(CLOCK, new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
    }

    private void assertRefused(int exit, String message) {
        assertThat(exit).isEqualTo(BelfryCli.EXIT_USAGE);
        assertThat(err.toString()).isEqualTo("belfry: " + message + System.lineSeparator());
        assertThat(data).as("nothing started").doesNotExist();
    }

    @Test
    void shouldRefuseClusterModeWithoutAPasswordSource() {
        assertRefused(run("--cluster", URL, "--db-user", "belfry"), "--cluster needs the database password: give"
                + " --db-password-env VAR or --db-password-file FILE (never on the command line)");
    }

    @Test
    void shouldRefuseBothPasswordSources() {
        assertRefused(run("--cluster", URL, "--db-password-env", "HOME", "--db-password-file",
                passwordFile.toString()), "give the database password with either --db-password-env or"
                + " --db-password-file, not both");
    }

    @Test
    void shouldRefuseAPasswordFileOthersCanRead() throws IOException {
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-r--r--"));

        assertRefused(run("--cluster", URL, "--db-password-file", passwordFile.toString()), "--db-password-file: "
                + passwordFile + " is readable by group or others (rw-r--r--); chmod 600 it");
    }

    @Test
    void shouldRefuseAnEmptyPassword() throws IOException {
        Files.writeString(passwordFile, "\nsecond line is not the password\n");

        assertRefused(run("--cluster", URL, "--db-password-file", passwordFile.toString()), "--db-password-file: "
                + passwordFile + " holds no password (its first line is empty)");
    }

    @Test
    void shouldRefuseAPasswordVariableThatIsNotSet() {
        assertRefused(run("--cluster", URL, "--db-password-env", UNSET),
                "--db-password-env: environment variable " + UNSET + " is not set");
    }

    @Test
    void shouldRefuseAMissingPasswordFile() {
        Path missing = tmp.resolve("missing");

        assertRefused(run("--cluster", URL, "--db-password-file", missing.toString()),
                "--db-password-file: no such file: " + missing);
    }

    @Test
    void shouldRefuseDatabaseOptionsWithoutACluster() {
        assertRefused(run("--db-user", "belfry"), "--db-user is for cluster mode: give --cluster"
                + " jdbc:postgresql://HOST:PORT/DB too");
    }

    @Test
    void shouldRefuseAClusterThatIsNotPostgres() {
        assertRefused(run("--cluster", "jdbc:mysql://db/belfry", "--db-password-file", passwordFile.toString()),
                "--cluster: the cluster database URL is not a PostgreSQL JDBC URL: it must read"
                        + " jdbc:postgresql://HOST:PORT/DATABASE");
    }

    @Test
    void shouldRefuseTheEmbeddedGraphInClusterMode() {
        assertRefused(run("--cluster", URL, "--db-password-file", passwordFile.toString(), "--graph", "embedded"),
                "--graph embedded cannot be used in cluster mode (each host would mirror only its own shards); give"
                        + " --graph bolt://HOST:PORT for the cluster's one Neo4j, or --graph off");
    }

    @Test
    void shouldRefuseALeaseTimeUnderTheMinimum() {
        assertRefused(run("--cluster", URL, "--db-password-file", passwordFile.toString(), "--cluster-lease-time",
                "2s"), "--cluster-lease-time: cluster lease time PT2S is under 3 s");
    }

    @Test
    void shouldReadTheClusterSettingsFromTheConfigFileAndRefuseBothPasswordSourcesThere() throws IOException {
        Path config = Files.writeString(tmp.resolve("belfry.conf"), "cluster = " + URL + "\ndb-user = belfry\n"
                + "db-password-env = HOME\ndb-password-file = " + passwordFile + "\n");

        assertRefused(run("--config", config.toString()), "give the database password with either --db-password-env"
                + " or --db-password-file, not both");
    }

    @Test
    void shouldLetAPasswordSourceOnTheCommandLineReplaceTheConfigFiles() throws IOException {
        Path config = Files.writeString(tmp.resolve("belfry.conf"), "cluster = " + URL + "\n"
                + "db-password-env = " + UNSET + "\ncluster-lease-time = 1s\n");

        // the command line's password file wins over the file's variable; the file's lease time is then refused,
        // named by file, line and key as every other bad value in the file
        assertRefused(run("--config", config.toString(), "--db-password-file", passwordFile.toString()),
                config + ":3: cluster-lease-time: cluster lease time PT1S is under 3 s");
    }

    @Test
    void shouldNameTheSettingsFileLineOfAClusterSettingItRefuses() throws IOException {
        Path config = Files.writeString(tmp.resolve("belfry.conf"), "# cluster\ncluster = jdbc:mysql://db/belfry\n"
                + "db-password-file = " + tmp + "\n");

        assertRefused(run("--config", config.toString()), config + ":2: cluster: the cluster database URL is not a"
                + " PostgreSQL JDBC URL: it must read jdbc:postgresql://HOST:PORT/DATABASE");

        Files.writeString(config, "cluster = " + URL + "\ndb-password-file = " + tmp + "\n");
        err.getBuffer().setLength(0);
        assertRefused(run("--config", config.toString()), config + ":2: db-password-file: " + tmp
                + " is a directory, not a file");
    }

    @Test
    void shouldRefuseAUrlWithoutADatabaseOrWithADriverParameterThatLoadsCodeOrWritesFiles() {
        assertRefused(run("--cluster", "jdbc:postgresql://127.0.0.1:1/", "--db-password-file",
                passwordFile.toString()), "--cluster: the cluster database URL names no database: it must read"
                + " jdbc:postgresql://HOST:PORT/DATABASE");
        for (String parameter : List.of("socketFactory=x.Evil", "loggerFile=/tmp/log", "options=-c%20search_path=x")) {
            err.getBuffer().setLength(0);
            String name = parameter.substring(0, parameter.indexOf('='));
            assertRefused(run("--cluster", "jdbc:postgresql://127.0.0.1:1/belfry?ssl=false&" + parameter,
                    "--db-password-file", passwordFile.toString()), "--cluster: the cluster database URL sets " + name
                    + ", which Belfry sets itself or which would load code or write files: leave it out");
        }
    }

    @Test
    void shouldRefuseALeaseLongerThanAnHourNamingTheOption() {
        assertRefused(run("--cluster", URL, "--db-password-file", passwordFile.toString(), "--cluster-lease-time",
                "100000d"), "--cluster-lease-time: cluster lease time PT2400000H is over 1 hour (a crashed host's"
                + " jobs would wait that long for another host)");
    }

    @Test
    void shouldRefuseAPasswordFileOthersMayWrite() throws IOException {
        Path planted = Files.writeString(tmp.resolve("planted-password"), "chosen-by-someone-else\n");
        Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rw--w--w-"));

        assertRefused(run("--cluster", URL, "--db-password-file", planted.toString()), "--db-password-file: "
                + planted + " is writable by group or others (rw--w--w-): chmod go-w it");
    }

    @Test
    void shouldRefuseAPasswordFileInAFolderOthersMayWrite() throws IOException {
        Path open = Files.createDirectories(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path password = Files.writeString(open.resolve("db-password"), "pw\n");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));

        assertRefused(run("--cluster", URL, "--db-password-file", password.toString()), "--db-password-file: the"
                + " folder " + open + " of " + password + " is writable by group or others (rwxrwxrwx): chmod go-w it");
    }

    @Test
    void shouldRefuseAClusterSettingWithoutACluster() {
        assertRefused(run("--cluster-lease-time", "20s"), "--cluster-lease-time is a cluster mode setting: give"
                + " --cluster too (or the settings file's cluster key)");
    }

    @Test
    void shouldRefuseAPasswordFileThatIsADirectory() {
        assertRefused(run("--cluster", URL, "--db-password-file", tmp.toString()),
                "--db-password-file: " + tmp + " is a directory, not a file");
    }

    @Test
    void shouldRefuseAPasswordInTheDatabaseUrlWithoutRepeatingIt() throws IOException {
        String refusal = "--cluster: the cluster database URL must not hold a user or a password (it shows in process"
                + " lists and logs): give the user with --db-user and the password with --db-password-env or"
                + " --db-password-file";
        for (String url : List.of("jdbc:postgresql://127.0.0.1:1/db?password=sekrit",
                "jdbc:postgresql://127.0.0.1:1/db?ssl=true&user=u&password=sekrit",
                "jdbc:postgresql://u:sekrit@127.0.0.1:1/db")) {
            out.getBuffer().setLength(0);
            err.getBuffer().setLength(0);
            assertRefused(run("--cluster", url, "--db-password-file", passwordFile.toString()), refusal);
            assertThat(out.toString()).doesNotContain("sekrit");
        }
        for (String url : List.of("jdbc:postgresql://127.0.0.1:1/db?password=sekrit", "jdbc:postgres://u:sekrit@h/db")) {
            for (String[] command : List.of(new String[] {"cluster", "import", "--data", tmp.toString()},
                    new String[] {"cluster", "export", tmp.resolve("out.json").toString()})) {
                out.getBuffer().setLength(0);
                err.getBuffer().setLength(0);
                List<String> args = new ArrayList<>(List.of(command));
                args.addAll(List.of("--cluster", url, "--db-password-file", passwordFile.toString()));
                int exit = BelfryCli.run(CLOCK, new PrintWriter(out, true), new PrintWriter(err, true),
                        args.toArray(String[]::new));

                assertThat(exit).as("%s: %s", args, err).isEqualTo(BelfryCli.EXIT_USAGE);
                assertThat(err.toString()).startsWith("belfry: --cluster: the cluster database URL").hasLineCount(1);
                assertThat(out + err.toString()).doesNotContain("sekrit");
            }
        }
        assertThat(tmp.resolve("out.json")).doesNotExist();
    }

    @Test
    void shouldRefuseImportWithoutACluster() {
        int exit = BelfryCli.run(CLOCK, new PrintWriter(out, true), new PrintWriter(err, true), "cluster", "import",
                "--data", tmp.toString(), "--db-password-file", passwordFile.toString());

        assertThat(exit).isEqualTo(BelfryCli.EXIT_USAGE);
        assertThat(err.toString()).isEqualTo("belfry: give the cluster's database with --cluster"
                + " jdbc:postgresql://HOST:PORT/DB" + System.lineSeparator());
    }

    @Test
    void shouldRefuseExportWithoutAPasswordSource() {
        int exit = BelfryCli.run(CLOCK, new PrintWriter(out, true), new PrintWriter(err, true), "cluster", "export",
                tmp.resolve("out.json").toString(), "--cluster", URL);

        assertThat(exit).isEqualTo(BelfryCli.EXIT_USAGE);
        assertThat(err.toString()).isEqualTo("belfry: --cluster needs the database password: give --db-password-env"
                + " VAR or --db-password-file FILE (never on the command line)" + System.lineSeparator());
    }

    @Test
    void shouldKeepTheEmbeddedGraphAsTheDefaultOutsideClusterModeOnly() {
        RunCommand run = new RunCommand(CLOCK);
        new CommandLine(run).parseArgs("--data", data.toString());

        assertThat(run.graph(false).mode()).isEqualTo(GraphConfig.Mode.EMBEDDED);
        assertThat(run.graph(true).mode()).isEqualTo(GraphConfig.Mode.OFF);
    }
}
