package dev.belfry.host.internal.cli;

import dev.belfry.cluster.ClusterConfig;
import dev.belfry.host.internal.state.WriteProtection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Option;

/**
 * The cluster database options shared by {@code belfry run} and {@code belfry cluster}. The password is never taken
 * on the command line (it would show in process listings): it comes from an environment variable or from a file that
 * only its owner may read.
 */
final class ClusterOptions {
    @Option(names = "--cluster", paramLabel = "JDBC_URL",
            description = "jdbc:postgresql://HOST:PORT/DB: the cluster's database (PostgreSQL 14 or newer). For belfry"
                    + " run, cluster mode: the jobs are kept there with the cluster's other hosts (docs/cluster.md).")
    String url;

    @Option(names = "--db-user", paramLabel = "USER", description = "Database user (default belfry).")
    String user;

    @Option(names = "--db-password-env", paramLabel = "VAR",
            description = "Environment variable holding the database password.")
    String passwordEnv;

    @Option(names = "--db-password-file", paramLabel = "FILE",
            description = "File whose first line is the database password; readable by its owner only.")
    Path passwordFile;

    /** Where the database settings come from once the config file and the command line are merged. */
    record Settings(String url, String user, String passwordEnv, Path passwordFile) {
        /** @return whether any database setting is given */
        boolean any() {
            return url != null || user != null || passwordEnv != null || passwordFile != null;
        }

        /**
         * @return a builder with URL, user and password set
         * @throws BelfryCli.BadInputException naming the option, if a setting is missing, doubled or unusable
         */
        ClusterConfig.Builder builder() {
            return builder(key -> "--" + key);
        }

        /**
         * @param label how an error names a setting, given its key ({@code cluster}, {@code db-user}, ...): the
         *              option, or the settings file, line and key it came from
         * @return a builder with URL, user and password set
         * @throws BelfryCli.BadInputException naming the setting, if one is missing, doubled or unusable
         */
        ClusterConfig.Builder builder(UnaryOperator<String> label) {
            if (url == null) {
                throw new BelfryCli.BadInputException(
                        label.apply(user != null ? "db-user" : passwordEnv != null ? "db-password-env" : "db-password-file")
                                + " is for cluster mode: give --cluster jdbc:postgresql://HOST:PORT/DB too");
            }
            ClusterConfig.Builder b;
            try {
                b = ClusterConfig.builder(url);
            } catch (IllegalArgumentException e) {
                throw new BelfryCli.BadInputException(label.apply("cluster") + ": " + e.getMessage());
            }
            if (user != null) {
                if (user.isBlank()) {
                    throw new BelfryCli.BadInputException(label.apply("db-user") + ": the user name is empty");
                }
                b.user(user);
            }
            char[] password = password(passwordEnv, passwordFile, label);
            try {
                b.password(password);
            } finally {
                Arrays.fill(password, '\0');
            }
            return b;
        }
    }

    /** @return the command line's settings over {@code base} (the config file's): a password source given here wins */
    Settings over(Settings base) {
        boolean passwordHere = passwordEnv != null || passwordFile != null;
        return new Settings(url != null ? url : base.url(), user != null ? user : base.user(),
                passwordHere ? passwordEnv : base.passwordEnv(), passwordHere ? passwordFile : base.passwordFile());
    }

    /** @return the command line's settings alone */
    Settings settings() {
        return new Settings(url, user, passwordEnv, passwordFile);
    }

    /**
     * @return the password from exactly one of the two sources, never empty
     * @throws BelfryCli.BadInputException naming the option when both, neither, or an unusable one is given
     */
    static char[] password(String env, Path file, UnaryOperator<String> label) {
        if (env != null && file != null) {
            throw new BelfryCli.BadInputException("give the database password with either --db-password-env or"
                    + " --db-password-file, not both");
        }
        if (env == null && file == null) {
            throw new BelfryCli.BadInputException("--cluster needs the database password: give --db-password-env VAR"
                    + " or --db-password-file FILE (never on the command line)");
        }
        if (env != null) {
            String value = System.getenv(env);
            if (value == null) {
                throw new BelfryCli.BadInputException(label.apply("db-password-env") + ": environment variable "
                        + env + " is not set");
            }
            if (value.isEmpty()) {
                throw new BelfryCli.BadInputException(label.apply("db-password-env") + ": environment variable "
                        + env + " is empty");
            }
            return value.toCharArray();
        }
        return fromFile(file, label.apply("db-password-file"));
    }

    /** @return whether others may not rename or delete the folder's entries they do not own (/tmp's sticky bit) */
    private static boolean sticky(Path folder) {
        try {
            return (((Integer) Files.getAttribute(folder, "unix:mode")) & 01000) != 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    private static char[] fromFile(Path file, String option) {
        try {
            if (Files.isDirectory(file)) {
                throw new BelfryCli.BadInputException(option + ": " + file + " is a directory, not a file");
            }
            if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
                if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.OTHERS_READ)) {
                    throw new BelfryCli.BadInputException(option + ": " + file + " is readable by group or"
                            + " others (" + PosixFilePermissions.toString(mode) + "); chmod 600 it");
                }
            }
            if (!Files.isRegularFile(file)) {
                throw new BelfryCli.BadInputException(option + ": " + file + " is not a regular file");
            }
            // A password someone else chose (or may change) would log this host in wherever that user wants.
            Optional<String> unsafe = WriteProtection.problem(file);
            if (unsafe.isPresent()) {
                throw new BelfryCli.BadInputException(option + ": " + file + " " + unsafe.get());
            }
            // Nor may anyone else swap it: its folder counts as much as the file.
            Path folder = file.toAbsolutePath().getParent();
            Optional<String> unsafeFolder = folder == null ? Optional.empty() : WriteProtection.problem(folder);
            if (unsafeFolder.isPresent() && !sticky(folder)) {
                throw new BelfryCli.BadInputException(option + ": the folder " + folder + " of " + file + " "
                        + unsafeFolder.get());
            }
            String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            int end = text.indexOf('\n');
            String line = end < 0 ? text : text.substring(0, end);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty()) {
                throw new BelfryCli.BadInputException(option + ": " + file + " holds no password (its first"
                        + " line is empty)");
            }
            return line.toCharArray();
        } catch (NoSuchFileException e) {
            throw new BelfryCli.BadInputException(option + ": no such file: " + file);
        } catch (IOException e) {
            throw new BelfryCli.BadInputException(option + ": " + OfflineState.cannotRead(file, e));
        }
    }
}
