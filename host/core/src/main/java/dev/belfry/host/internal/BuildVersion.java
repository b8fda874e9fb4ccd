package dev.belfry.host.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * This build's version, read from a resource the build writes from the Maven project version: the one source for
 * {@code belfry --version}, the host's start line and {@code belfry status}, so they cannot disagree.
 */
public final class BuildVersion {
    private static final String RESOURCE = "build-version.properties";

    private BuildVersion() {
    }

    /**
     * Reads the version the build wrote.
     *
     * @return the version, such as {@code 0.1.0} or {@code 0.1.0-SNAPSHOT}
     * @throws IllegalStateException if the resource is missing or was not filtered (a broken build)
     */
    public static String read() {
        Properties p = new Properties();
        try (InputStream in = BuildVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path next to "
                        + BuildVersion.class.getName());
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        String version = p.getProperty("version", "");
        if (version.isEmpty() || version.contains("${")) {
            throw new IllegalStateException(RESOURCE + " holds no version (\"" + version + "\"): built without "
                    + "resource filtering");
        }
        return version;
    }

    /**
     * The version without its pre-release tag: a development build of 0.1.0 ({@code 0.1.0-SNAPSHOT}) must accept
     * plugins that require {@code >=0.1.0}, which semantic versioning would otherwise rank above it.
     *
     * @param version a version as {@link #read()} returns it
     * @return the version up to its first {@code -} or {@code +}
     */
    public static String release(String version) {
        int cut = version.length();
        for (int i = 0; i < version.length(); i++) {
            char c = version.charAt(i);
            if (c == '-' || c == '+') {
                cut = i;
                break;
            }
        }
        return version.substring(0, cut);
    }
}
