package dev.belfry.host.internal.state;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The host's identity, stable for a data directory across restarts: a UUID kept in {@code <data>/_system/host.id},
 * made at first start. The job graph names the host by it.
 */
public final class HostId {
    /** The file, under the data directory's {@code _system} folder. */
    public static final String FILE = "host.id";

    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /** Far more than a UUID and a newline; a larger file is not a host id, and is not read whole. */
    private static final int MAX_BYTES = 1024;
    private static final int QUOTED = 40;

    private HostId() {
    }

    /**
     * @param dataDir the data directory
     * @return the id, created (and written durably) if this is the directory's first start
     * @throws IOException if the file cannot be read or written, or holds no host id; the message names the file
     */
    public static String of(Path dataDir) throws IOException {
        Path file = Files.createDirectories(dataDir.resolve("_system")).resolve(FILE);
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return read(file);
        }
        String id = UUID.randomUUID().toString();
        SmallFiles.writeAtomically(file, id + "\n", true);
        return id;
    }

    // A damaged id is refused, not replaced: a new id would make the graph show a new host and cut the old one's run
    // history off, which the operator should decide.
    private static String read(Path file) throws IOException {
        String fix = ": restore it from a backup, or delete it to give this data directory a new host id (the graph"
                + " then shows a new host)";
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        if (!attrs.isRegularFile()) {
            throw new IOException("host id file " + file + " is not a regular file" + fix);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new IOException("cannot read host id file " + file + ": " + e, e);
        }
        String text = new String(bytes, 0, Math.min(bytes.length, MAX_BYTES), StandardCharsets.ISO_8859_1).strip();
        if (bytes.length <= MAX_BYTES && UUID_TEXT.matcher(text).matches()) {
            return text;
        }
        throw new IOException("host id file " + file + " does not hold a host id (a UUID such as "
                + "123e4567-e89b-42d3-a456-426614174000); it holds " + quote(bytes) + fix);
    }

    private static String quote(byte[] bytes) {
        if (bytes.length == 0) {
            return "nothing";
        }
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < Math.min(bytes.length, QUOTED); i++) {
            int b = bytes[i] & 0xff;
            if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
                sb.append((char) b);
            } else {
                sb.append(String.format("\\x%02x", b));
            }
        }
        return sb.append(bytes.length > QUOTED ? "\"..." : "\"").toString();
    }
}
