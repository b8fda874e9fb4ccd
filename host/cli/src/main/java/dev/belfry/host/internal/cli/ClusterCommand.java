package dev.belfry.host.internal.cli;

import dev.belfry.cluster.ClusterConfig;
import dev.belfry.cluster.internal.ClusterTransfer;
import dev.belfry.host.internal.state.DataDirLock;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JournalFormatException;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarFormatException;
import dev.belfry.sidecar.SidecarStore;
import dev.belfry.sidecar.SidecarUnusableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code belfry cluster}: moving job state between a single host's data directory and a cluster's database
 * (docs/operations.md, "Cluster mode").
 */
@Command(name = "cluster", description = "Move job state into and out of a cluster's database.",
        mixinStandardHelpOptions = true, subcommands = {ClusterCommand.Import.class, ClusterCommand.Export.class})
final class ClusterCommand {
    /** Seconds to wait for the database to answer a connection or a statement. */
    private static final int TIMEOUT_SECONDS = 30;

    /**
     * @return the cluster's database settings, checked before anything is read or connected to
     * @throws BelfryCli.BadInputException if an option is missing or unusable
     */
    static ClusterConfig config(ClusterOptions options) {
        if (options.url == null) {
            throw new BelfryCli.BadInputException("give the cluster's database with --cluster"
                    + " jdbc:postgresql://HOST:PORT/DB");
        }
        return options.settings().builder().build();
    }

    /**
     * @return a connection to the cluster's database, for one command
     * @throws AdminClient.OperationFailed if the database cannot be reached
     */
    static Connection connect(ClusterConfig config, String command) {
        Properties p = new Properties();
        p.setProperty("user", config.user());
        char[] password = config.password();
        p.setProperty("password", new String(password));
        Arrays.fill(password, '\0');
        p.setProperty("connectTimeout", Integer.toString(TIMEOUT_SECONDS));
        p.setProperty("socketTimeout", Integer.toString(TIMEOUT_SECONDS * 10));
        p.setProperty("ApplicationName", "belfry " + command);
        try {
            return DriverManager.getConnection(config.url(), p);
        } catch (SQLException e) {
            throw new AdminClient.OperationFailed("cannot connect to the cluster database " + config.displayUrl() + ": "
                    + e.getMessage());
        }
    }

    /** {@code belfry cluster import}: a stopped single host's jobs into the cluster's database. */
    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Load what a start on --data DIR would load (the state file, else its backup, with the"
                    + " journal replayed) into the cluster's database, in one transaction. The host of DIR must be"
                    + " stopped; a job the cluster already has is refused unless --replace is given.",
                    "Each job goes to the shard of its name. The cluster must be stopped too: the import is"
                            + " refused while any of its hosts runs, since a running host's writes would replace"
                            + " the imported state."})
    static final class Import implements Callable<Integer> {
        private final Clock clock;
        @Spec
        CommandSpec spec;

        @Option(names = "--data", paramLabel = "DIR", required = true, description = "The single host's data"
                + " directory.")
        Path data;

        @Mixin
        ClusterOptions cluster;

        @Option(names = "--replace", description = "Replace jobs the cluster already has.")
        boolean replace;

        Import(Clock clock) {
            this.clock = clock;
        }

        @Override
        public Integer call() {
            if (!Files.isDirectory(data)) {
                throw new BelfryCli.BadInputException("no such directory: " + data);
            }
            ClusterConfig config = config(cluster);
            String db = config.displayUrl();
            try (DataDirLock lock = lock(data)) {
                OfflineState.Loaded loaded;
                try {
                    loaded = OfflineState.ofDataDir(data, clock);
                } catch (SidecarFormatException | JournalFormatException | SidecarUnusableException e) {
                    spec.commandLine().getErr().println(BelfryCli.oneLine("belfry: " + e.getMessage()));
                    return BelfryCli.EXIT_FAILED;
                }
                if (loaded.from().isEmpty() && loaded.recovery().records() == 0) {
                    // A cluster host's data directory, or a mistyped one: importing nothing would still create the
                    // schema and report success.
                    throw new BelfryCli.BadInputException(data + " holds no single host's state (no "
                            + SidecarStore.DIRECTORY + "/" + SidecarStore.FILE_NAME + ", backup or journal):"
                            + " nothing imported");
                }
                List<JobRecord> jobs = loaded.state().jobs();
                try (Connection c = connect(config, "cluster import")) {
                    ClusterTransfer.importJobs(c, jobs, replace);
                }
                spec.commandLine().getOut().println("imported " + jobs.size() + " job(s) from "
                        + loaded.from().map(Path::toString).orElse(data + " (no state file)")
                        + (loaded.recovery().records() > 0 ? " with " + loaded.recovery().records()
                        + " journal record(s) replayed" : "") + " into " + db);
                return 0;
            } catch (ClusterTransfer.ClusterRunning | ClusterTransfer.AlreadyInCluster e) {
                throw new AdminClient.OperationFailed("nothing imported: " + e.getMessage());
            } catch (SQLException e) {
                throw new AdminClient.OperationFailed("nothing imported into " + db + ": " + e.getMessage());
            } catch (IOException e) {
                throw new AdminClient.OperationFailed("cannot release the lock of " + data + ": " + e.getMessage());
            }
        }

        /** Held while the state is read and written, so that no host starts on the directory meanwhile. */
        private static DataDirLock lock(Path data) {
            try {
                return DataDirLock.acquire(data);
            } catch (IllegalStateException e) {
                throw new AdminClient.OperationFailed(e.getMessage()); // a host runs on it: nothing is read
            } catch (IOException e) {
                throw new AdminClient.OperationFailed("cannot lock " + data + ": " + e.getMessage());
            }
        }
    }

    /** {@code belfry cluster export}: the cluster's jobs as one sidecar document. */
    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Write the cluster's jobs to FILE as one sidecar document that needs no journal: a"
                    + " backup, taken safely while the hosts run (each job as its last committed write left it),"
                    + " or a single host's state (see belfry sidecar export for how to restore one).",
                    "FILE is written owner-only (0600) and atomically (a temporary file in its folder, then a"
                            + " rename)."})
    static final class Export implements Callable<Integer> {
        private final Clock clock;
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "Where to write the sidecar.")
        Path file;

        @Mixin
        ClusterOptions cluster;

        @Option(names = "--force", description = "Replace FILE if it exists.")
        boolean force;

        Export(Clock clock) {
            this.clock = clock;
        }

        @Override
        public Integer call() {
            SidecarCommand.Export.checkTarget(file, force);
            ClusterConfig config = config(cluster);
            List<JobRecord> jobs;
            try (Connection c = connect(config, "cluster export")) {
                jobs = ClusterTransfer.exportJobs(c);
            } catch (SQLException e) {
                throw new AdminClient.OperationFailed("cannot read the cluster's jobs from " + config.displayUrl() + ": "
                        + e.getMessage());
            }
            SidecarDocument doc = SidecarDocument.of(clock.instant(), jobs);
            SidecarCommand.Export.write(file, force, doc, spec.commandLine().getErr());
            spec.commandLine().getOut().println("wrote " + file + ": " + jobs.size() + " job(s) from "
                    + config.displayUrl());
            return 0;
        }
    }
}
