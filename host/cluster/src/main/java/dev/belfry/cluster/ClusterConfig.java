package dev.belfry.cluster;

import java.time.Duration;
import java.util.Objects;

/**
 * Where a cluster's shared store is and how its hosts keep their leases.
 *
 * <pre>{@code
 * ClusterConfig.builder("jdbc:postgresql://db:5432/belfry").user("belfry").password(secret).build()
 * }</pre>
 */
public final class ClusterConfig {
    private final String url;
    private final String user;
    private final char[] password;
    private final Duration leaseTime;
    private final Duration renewEvery;
    private final int poolSize;
    private final Duration operationTimeout;
    private final String address;
    private final Duration runRetention;

    private ClusterConfig(Builder b) {
        this.url = b.url;
        this.user = b.user;
        this.password = b.password.clone();
        this.leaseTime = b.leaseTime;
        this.renewEvery = b.renewEvery;
        this.poolSize = b.poolSize;
        this.operationTimeout = b.operationTimeout;
        this.address = b.address;
        this.runRetention = b.runRetention;
    }

    /**
     * @param url the database, as a pgjdbc URL: {@code jdbc:postgresql://HOST:PORT/DATABASE}
     * @return a builder
     * @throws IllegalArgumentException if the URL is not a PostgreSQL JDBC URL
     */
    public static Builder builder(String url) {
        return new Builder(url);
    }

    /** @return the database's JDBC URL */
    public String url() {
        return url;
    }

    /** @return the database's JDBC URL without its parameters, for messages */
    public String displayUrl() {
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query);
    }

    /** @return the database user */
    public String user() {
        return user;
    }

    /** @return a copy of the password */
    public char[] password() {
        return password.clone();
    }

    /** @return how long a shard's lease lasts without renewal */
    public Duration leaseTime() {
        return leaseTime;
    }

    /** @return how often a host renews its leases */
    public Duration renewEvery() {
        return renewEvery;
    }

    /** @return the most database connections a host opens */
    public int poolSize() {
        return poolSize;
    }

    /** @return how long an operation on another host's job waits for that host's answer */
    public Duration operationTimeout() {
        return operationTimeout;
    }

    /** @return what this host shows other hosts as its address (its admin URL, say); may be empty */
    public String address() {
        return address;
    }

    /** @return how long runs (and their claims) are kept in {@code belfry_runs} */
    public Duration runRetention() {
        return runRetention;
    }

    @Override
    public String toString() {
        return "ClusterConfig[" + displayUrl() + ", user " + user + ", lease " + leaseTime + "]";
    }

    /** The longest lease: a crashed host's shards wait this long at most. */
    private static final Duration MAX_LEASE = Duration.ofHours(1);
    /**
     * Driver parameters a URL may not set: those that load a class or write a file (a settings file someone else
     * wrote must not run code), and those Belfry sets itself for its leases' timing and the session's options.
     */
    private static final java.util.Set<String> REFUSED_PARAMETERS = java.util.Set.of("socketfactory",
            "socketfactoryarg", "sslfactory", "sslfactoryarg", "sslhostnameverifier", "sslpasswordcallback",
            "authenticationpluginclassname", "loggerfile", "loggerlevel", "options", "sockettimeout",
            "connecttimeout", "logintimeout", "tcpkeepalive");

    /** @return the first parameter of the URL that it may not set, as written, or null */
    private static String refusedParameter(String url) {
        int query = url.indexOf('?');
        if (query < 0) {
            return null;
        }
        for (String pair : url.substring(query + 1).split("&")) {
            String name = pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair;
            if (REFUSED_PARAMETERS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                return name;
            }
        }
        return null;
    }

    /** Builds a {@link ClusterConfig}. */
    public static final class Builder {
        private final String url;
        private String user = "belfry";
        private char[] password = new char[0];
        private Duration leaseTime = Duration.ofSeconds(10);
        private Duration renewEvery = Duration.ofSeconds(1);
        private int poolSize = 6;
        private Duration operationTimeout = Duration.ofSeconds(5);
        private String address = "";
        private Duration runRetention = Duration.ofDays(1);

        private Builder(String url) {
            Objects.requireNonNull(url, "url");
            // The messages never repeat the URL: a password may be in it.
            if (!url.startsWith("jdbc:postgresql://")) {
                throw new IllegalArgumentException("the cluster database URL is not a PostgreSQL JDBC URL: it must"
                        + " read jdbc:postgresql://HOST:PORT/DATABASE");
            }
            String path = url.substring("jdbc:postgresql://".length()).replaceFirst("\\?.*", "");
            if (path.indexOf('/') < 0 || path.substring(path.indexOf('/') + 1).isEmpty()) {
                throw new IllegalArgumentException("the cluster database URL names no database: it must read"
                        + " jdbc:postgresql://HOST:PORT/DATABASE");
            }
            String refused = refusedParameter(url);
            if (refused != null) {
                throw new IllegalArgumentException("the cluster database URL sets " + refused + ", which Belfry sets"
                        + " itself or which would load code or write files: leave it out");
            }
            String lower = url.toLowerCase(java.util.Locale.ROOT);
            int query = lower.indexOf('?');
            String authority = lower.substring("jdbc:postgresql://".length(), lower.indexOf('/',
                    "jdbc:postgresql://".length()) < 0 ? lower.length() : lower.indexOf('/', "jdbc:postgresql://"
                    .length()));
            if (authority.contains("@") || (query >= 0 && java.util.regex.Pattern.compile("[?&](password|user)=")
                    .matcher(lower).find())) {
                throw new IllegalArgumentException("the cluster database URL must not hold a user or a password (it"
                        + " shows in process lists and logs): give the user with --db-user and the password with"
                        + " --db-password-env or --db-password-file");
            }
            this.url = url;
        }

        /** @param user the database user (default {@code belfry}) @return this */
        public Builder user(String user) {
            this.user = Objects.requireNonNull(user, "user");
            return this;
        }

        /** @param password the database password; copied, and the caller may clear its array @return this */
        public Builder password(char[] password) {
            this.password = Objects.requireNonNull(password, "password").clone();
            return this;
        }

        /**
         * @param leaseTime how long a lease lasts unrenewed (default 10 s, at least 3 s): a crashed host's shards
         *                  are taken over this long after its last renewal
         * @return this
         */
        public Builder leaseTime(Duration leaseTime) {
            this.leaseTime = Objects.requireNonNull(leaseTime, "leaseTime");
            return this;
        }

        /** @param renewEvery how often leases are renewed (default 1 s, at most a third of the lease) @return this */
        public Builder renewEvery(Duration renewEvery) {
            this.renewEvery = Objects.requireNonNull(renewEvery, "renewEvery");
            return this;
        }

        /** @param poolSize the most connections a host opens (default 6, at least 3) @return this */
        public Builder poolSize(int poolSize) {
            this.poolSize = poolSize;
            return this;
        }

        /** @param timeout how long an operation on another host's job waits (default 5 s) @return this */
        public Builder operationTimeout(Duration timeout) {
            this.operationTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** @param address what other hosts show as this host's address @return this */
        public Builder address(String address) {
            this.address = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * @param retention how long runs are kept in the run history table (default 1 day, at least 1 hour): each
         *                  host deletes older ones of its shards every minute
         * @return this
         */
        public Builder runRetention(Duration retention) {
            this.runRetention = Objects.requireNonNull(retention, "retention");
            return this;
        }

        /**
         * @return the configuration
         * @throws IllegalArgumentException naming the setting that is out of range
         */
        public ClusterConfig build() {
            if (leaseTime.compareTo(Duration.ofSeconds(3)) < 0) {
                throw new IllegalArgumentException("cluster lease time " + leaseTime + " is under 3 s");
            }
            if (leaseTime.compareTo(MAX_LEASE) > 0) {
                throw new IllegalArgumentException("cluster lease time " + leaseTime + " is over 1 hour (a crashed"
                        + " host's jobs would wait that long for another host)");
            }
            if (renewEvery.isNegative() || renewEvery.isZero() || renewEvery.multipliedBy(3).compareTo(leaseTime) > 0) {
                throw new IllegalArgumentException("cluster renewal interval " + renewEvery + " must be positive and"
                        + " at most a third of the lease time " + leaseTime);
            }
            if (poolSize < 3) {
                throw new IllegalArgumentException("cluster pool size " + poolSize + " is under 3");
            }
            if (runRetention.compareTo(Duration.ofHours(1)) < 0) {
                throw new IllegalArgumentException("cluster run retention " + runRetention + " is under 1 hour");
            }
            if (operationTimeout.isNegative() || operationTimeout.isZero()) {
                throw new IllegalArgumentException("cluster operation timeout " + operationTimeout
                        + " must be positive");
            }
            return new ClusterConfig(this);
        }
    }
}
