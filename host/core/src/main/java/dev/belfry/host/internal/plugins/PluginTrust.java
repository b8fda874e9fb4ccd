package dev.belfry.host.internal.plugins;

import dev.belfry.host.internal.state.SmallFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Optional pinning of plugin jars: with {@code require-trusted-plugins = true} only a jar whose SHA-256 is listed in
 * {@code <data>/_system/trusted-plugins.sha256} loads ({@code belfry plugins trust FILE...} adds to the list). The
 * list is read again whenever its content or mode changes, so pinning a jar (or a {@code chmod 600} of the list) lets
 * it load on the next scan without a restart.
 */
public final class PluginTrust {
    /** The pin file, under the data directory. */
    public static final String FILE = "_system/trusted-plugins.sha256";
    /** Lines as sha256sum writes them: the hash, two spaces, a name (kept only for the reader). */
    private static final Pattern LINE = Pattern.compile("([0-9a-f]{64}) [ *](.*)");
    private static final int MAX_FILE_BYTES = 1 << 20;

    private final Path pinFile;
    private Object seenVersion;
    private Map<String, String> pins = Map.of();
    private String unreadable;

    private PluginTrust(Path pinFile) {
        this.pinFile = pinFile;
    }

    /** @return no pinning: every jar may load (the default) */
    public static PluginTrust off() {
        return new PluginTrust(null);
    }

    /**
     * @param dataDir the host's data directory
     * @return pinning against that directory's pin file; a missing file pins nothing, so nothing loads
     */
    public static PluginTrust required(Path dataDir) {
        return new PluginTrust(pinFile(dataDir));
    }

    /**
     * @param dataDir a data directory
     * @return its pin file
     */
    public static Path pinFile(Path dataDir) {
        return dataDir.resolve(FILE);
    }

    /** @return whether only pinned jars load */
    public boolean isRequired() {
        return pinFile != null;
    }

    /**
     * Reads the pin file again if it changed since the last call.
     *
     * @return true if it changed (refusals for want of a pin should then be reconsidered)
     */
    synchronized boolean refresh() {
        if (pinFile == null) {
            return false;
        }
        Object version = versionOf(pinFile);
        if (Objects.equals(version, seenVersion)) {
            return false;
        }
        seenVersion = version;
        try {
            pins = read(pinFile);
            unreadable = null;
        } catch (NoSuchFileException e) {
            pins = Map.of(); // nothing pinned yet
            unreadable = null;
        } catch (IOException | IllegalArgumentException e) {
            // Fail closed: a pin file that cannot be read trusts nothing.
            pins = Map.of();
            unreadable = pinFile.getFileName() + " cannot be used: " + e.getMessage();
        }
        return true;
    }

    /**
     * Checks a plugin file before anything of it is read or loaded.
     *
     * @param plugin a jar or exploded folder in the plugins folder
     * @return why it may not load, or empty if it may
     */
    synchronized Optional<String> refusal(Path plugin) {
        if (pinFile == null) {
            return Optional.empty();
        }
        if (seenVersion == null) {
            refresh();
        }
        if (Files.isDirectory(plugin)) {
            return Optional.of("not trusted: require-trusted-plugins is on and an exploded plugin folder cannot be"
                    + " pinned; deploy it as a jar and pin that");
        }
        String hash;
        try {
            hash = sha256(plugin);
        } catch (IOException e) {
            return Optional.of("not trusted: cannot hash the file: " + e.getMessage());
        }
        if (unreadable != null) {
            return Optional.of("not trusted: SHA-256 " + hash + "; " + unreadable);
        }
        if (!pins.containsKey(hash)) {
            return Optional.of("not trusted: SHA-256 " + hash + " is not pinned (require-trusted-plugins is on;"
                    + " pin it with: belfry plugins trust --data " + shellWord(pinFile.getParent().getParent())
                    + " " + shellWord(plugin) + ")");
        }
        return Optional.empty();
    }

    /**
     * Pins jars: adds their SHA-256 to the data directory's pin file (created owner-only, 0600), keeping the pins
     * already there.
     *
     * @param dataDir the host's data directory
     * @param jars    the jars to pin
     * @return one line per jar, {@code <sha256>  <file name>}
     * @throws IOException              if a jar or the pin file cannot be read, or the pin file cannot be written
     * @throws IllegalArgumentException if a jar is not a regular file or is over the plugin jar size limit, or the pin
     *                                  file is malformed
     */
    public static List<String> pin(Path dataDir, List<Path> jars) throws IOException {
        Map<String, String> hashes = new LinkedHashMap<>();
        for (Path jar : jars) {
            if (!Files.exists(jar)) {
                throw new NoSuchFileException(jar.toString());
            }
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException(jar + ": not a regular file (only jars can be pinned)");
            }
            long size = Files.size(jar);
            if (size > PluginSupervisor.MAX_JAR_BYTES) {
                throw new IllegalArgumentException(jar + ": " + size + " bytes, over the "
                        + PluginSupervisor.MAX_JAR_TEXT + " limit for a plugin jar (it would never load)");
            }
            requireJar(jar);
            hashes.put(sha256(jar), String.valueOf(jar.getFileName()));
        }
        Path file = pinFile(dataDir);
        Path system = file.getParent();
        if (!Files.isDirectory(system) && system.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createDirectories(system,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        // Two `belfry plugins trust` at once must not lose each other's pins: read, merge and write under a lock.
        Path lockFile = system.resolve(".trusted-plugins.lock");
        boolean posix = system.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (posix && !Files.exists(lockFile)) {
            try {
                Files.createFile(lockFile,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another pinning process made it first
            }
        }
        if (Files.isSymbolicLink(lockFile) || Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(lockFile + " is " + (Files.isSymbolicLink(lockFile)
                    ? "a symbolic link" : "not a regular file") + "; remove it (a link there is never followed)");
        }
        // NOFOLLOW_LINKS: a link planted after the check fails the open instead of being written through.
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
             FileLock ignored = channel.lock()) {
            Map<String, String> all;
            try {
                all = new LinkedHashMap<>(read(file));
            } catch (NoSuchFileException e) {
                all = new LinkedHashMap<>();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
            all.putAll(hashes);
            StringBuilder text = new StringBuilder("# Plugin jars allowed to load when require-trusted-plugins = true;"
                    + " written by belfry plugins trust.\n");
            all.forEach((hash, name) -> text.append(hash).append("  ").append(name).append('\n'));
            SmallFiles.writeAtomically(file, text.toString(), true);
        }
        List<String> out = new ArrayList<>();
        hashes.forEach((hash, name) -> out.add(hash + "  " + name));
        return out;
    }

    /** A pin is a promise that a plugin may load; pinning a file that can never be a plugin is a mistake. */
    private static void requireJar(Path file) {
        try (JarFile jar = new JarFile(file.toFile(), false)) {
            if (jar.getManifest() == null) {
                throw new IllegalArgumentException(file + ": not a plugin jar (it has no META-INF/MANIFEST.MF;"
                        + " only jars can be pinned)");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a plugin jar (not a zip archive: " + e.getMessage()
                    + "; only jars can be pinned)", e);
        }
    }

    /** A path as one shell word, so that the command in a hint can be pasted as it is. */
    private static String shellWord(Path path) {
        String text = path.toAbsolutePath().normalize().toString();
        return text.matches("[A-Za-z0-9_@%+=:,./-]+") ? text : "'" + text.replace("'", "'\\''") + "'";
    }

    private static Map<String, String> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            if (Files.exists(file)) {
                throw new IllegalArgumentException("not a regular file");
            }
            throw new NoSuchFileException(file.toString());
        }
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            // Whoever can write the pins decides what loads: only the owner may.
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new IllegalArgumentException("it is writable by others than its owner (mode "
                        + PosixFilePermissions.toString(mode) + "; chmod 600 it)");
            }
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("larger than 1 MiB");
        }
        Map<String, String> out = new LinkedHashMap<>();
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\\R");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException("line " + (i + 1) + " is not \"<sha256 in hex>  <file name>\"");
            }
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    /**
     * Size, modification time, file key and mode: enough to notice an edit, a replacement by rename, and a chmod
     * (which changes no modification time, yet decides whether the file may be used at all).
     */
    private static Object versionOf(Path file) {
        try {
            if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class);
                return List.of(a.size(), a.lastModifiedTime().toMillis(), String.valueOf(a.fileKey()),
                        PosixFilePermissions.toString(a.permissions()));
            }
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(a.size(), a.lastModifiedTime().toMillis(), String.valueOf(a.fileKey()));
        } catch (IOException | UncheckedIOException e) {
            return "absent";
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
