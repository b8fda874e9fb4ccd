package dev.belfry.host.internal.cli;

import dev.belfry.host.internal.state.WriteProtection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code belfry run --config FILE}: lines of {@code key = value}; a line whose first non-blank character is
 * {@code #} is a comment. Every error names the
 * file, the line and the key. Durations are written {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h},
 * {@code 30d} or ISO-8601 ({@code PT30S}).
 */
final class HostConfigFile {
    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");

    private static final Map<String, BiConsumer<RunSettings, String>> KEYS = Map.ofEntries(
            Map.entry("data-dir", (b, v) -> b.host.dataDir(Path.of(v))),
            Map.entry("plugins-dir", (b, v) -> b.host.pluginsDir(Path.of(v))),
            Map.entry("max-concurrent-runs", (b, v) -> b.host.maxConcurrentRuns(positiveInt(v))),
            Map.entry("misfire-threshold", (b, v) -> b.host.misfireThreshold(duration(v))),
            Map.entry("commit-interval", (b, v) -> b.host.commitInterval(duration(v))),
            Map.entry("shutdown-grace", (b, v) -> b.host.shutdownGrace(duration(v))),
            Map.entry("plugin-stop-grace", (b, v) -> b.host.pluginStopGrace(duration(v))),
            Map.entry("orphan-retention", (b, v) -> b.host.orphanRetention(duration(v))),
            Map.entry("plugin-scan-interval", (b, v) -> b.host.pluginScanInterval(duration(v))),
            Map.entry("run-history", (b, v) -> b.host.runHistory(wholeNumber(v))),
            Map.entry("admin-port", (b, v) -> b.adminPort = adminPort(v)),
            Map.entry("metrics-job-labels", (b, v) -> b.metricsJobLabels = jobLabelLimit(v)),
            Map.entry("require-trusted-plugins", (b, v) -> b.host.requireTrustedPlugins(bool(v))),
            Map.entry("cluster", (b, v) -> b.cluster = new ClusterOptions.Settings(v, b.cluster.user(),
                    b.cluster.passwordEnv(), b.cluster.passwordFile())),
            Map.entry("db-user", (b, v) -> b.cluster = new ClusterOptions.Settings(b.cluster.url(), v,
                    b.cluster.passwordEnv(), b.cluster.passwordFile())),
            Map.entry("db-password-env", (b, v) -> b.cluster = new ClusterOptions.Settings(b.cluster.url(),
                    b.cluster.user(), v, b.cluster.passwordFile())),
            Map.entry("db-password-file", (b, v) -> b.cluster = new ClusterOptions.Settings(b.cluster.url(),
                    b.cluster.user(), b.cluster.passwordEnv(), Path.of(v))),
            Map.entry("cluster-lease-time", (b, v) -> b.clusterLeaseTime = java.util.Optional.of(duration(v))),
            Map.entry("cluster-address", (b, v) -> b.clusterAddress = java.util.Optional.of(v)));

    private HostConfigFile() {
    }

    /**
     * Applies the file's settings to the builder.
     *
     * @throws BelfryCli.BadInputException naming file, line and key on any error
     */
    static void apply(Path file, RunSettings builder) {
        List<String> lines;
        try {
            // Whoever can change the settings chooses the database this host sends its password to, and its plugins.
            Optional<String> unsafe = WriteProtection.problem(file);
            if (unsafe.isPresent()) {
                throw new BelfryCli.BadInputException("--config: " + file + " " + unsafe.get());
            }
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new BelfryCli.BadInputException("--config: no such file: " + file);
        } catch (IOException e) {
            throw new BelfryCli.BadInputException("--config: cannot read " + file + ": " + e.getMessage());
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + ":" + (i + 1) + ": ";
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new BelfryCli.BadInputException(where + "expected key = value, found \"" + line + "\"");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            BiConsumer<RunSettings, String> setter = KEYS.get(key);
            if (setter == null) {
                throw new BelfryCli.BadInputException(where + "unknown key \"" + key + "\" (known: "
                        + String.join(", ", new java.util.TreeSet<>(KEYS.keySet())) + ")");
            }
            if (value.isEmpty()) {
                // An empty path would silently mean the current directory; no key has a useful empty value.
                throw new BelfryCli.BadInputException(where + key + ": no value (delete the line to keep the"
                        + " default)");
            }
            try {
                setter.accept(builder, value);
            } catch (IllegalArgumentException e) {
                throw new BelfryCli.BadInputException(where + key + ": " + e.getMessage());
            }
            // Settings checked only once all are known (the cluster's) still name the line that gave them.
            builder.fromFile.put(key, where + key);
        }
    }

    static boolean bool(String text) {
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        throw new IllegalArgumentException("expected true or false, found \"" + text + "\"");
    }

    static Duration duration(String text) {
        Matcher m = SIMPLE_DURATION.matcher(text.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a duration (write e.g. 50ms, 30s, 10m, 1h,"
                    + " 30d or PT30S)");
        }
    }

    /**
     * @param text {@code off}, or a port from 0 (any free port) to 65535
     * @return the admin port, or {@link RunSettings#ADMIN_OFF}
     * @throws IllegalArgumentException quoting the text if it is neither
     */
    static int adminPort(String text) {
        if ("off".equalsIgnoreCase(text.strip())) {
            return RunSettings.ADMIN_OFF;
        }
        if (text.strip().matches("\\d{1,5}")) {
            int port = Integer.parseInt(text.strip());
            if (port <= 65_535) {
                return port;
            }
        }
        throw new IllegalArgumentException("\"" + text + "\" is not a port number (0 to 65535; 0 picks a free one)"
                + " or off");
    }

    private static int jobLabelLimit(String text) {
        if (!text.strip().matches("-?\\d+")) {
            throw new IllegalArgumentException("\"" + text + "\" is not a whole number");
        }
        if (text.strip().startsWith("-")) {
            throw new IllegalArgumentException("\"" + text + "\" must be 0 or more");
        }
        if (new java.math.BigInteger(text.strip()).compareTo(java.math.BigInteger.valueOf(999_999_999)) > 0) {
            throw new IllegalArgumentException("\"" + text + "\" is more than a host can label (at most 999999999)");
        }
        return Integer.parseInt(text.strip());
    }

    /** The range is the setting's to check, with its own message. */
    private static int wholeNumber(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a whole number");
        }
    }

    private static int positiveInt(String text) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("\"" + text + "\" is not a whole number of at least 1");
    }
}
