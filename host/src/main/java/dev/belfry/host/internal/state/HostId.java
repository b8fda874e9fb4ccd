package dev.belfry.host.internal.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * The host's identity, stable for a data directory across restarts: a UUID kept in {@code <data>/_system/host.id},
 * made at first start. The job graph names the host by it.
 */
public final class HostId {
    /** The file, under the data directory's {@code _system} folder. */
    public static final String FILE = "host.id";

    private HostId() {
    }

    /**
     * @param dataDir the data directory
     * @return the id, created if this is the directory's first start
     * @throws IOException if the file cannot be read or written
     */
    public static String of(Path dataDir) throws IOException {
        Path file = Files.createDirectories(dataDir.resolve("_system")).resolve(FILE);
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (id.matches("[0-9a-f-]{36}")) {
                return id;
            }
        }
        String id = UUID.randomUUID().toString();
        SmallFiles.writeAtomically(file, id + "\n", true);
        return id;
    }
}
