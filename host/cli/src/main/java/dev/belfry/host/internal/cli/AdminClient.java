package dev.belfry.host.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.host.internal.admin.AdminServer;
import dev.belfry.host.internal.state.DataDirLock;
import dev.belfry.host.internal.state.IoErrors;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;

/**
 * Talks to a running host's admin API, found through its data directory ({@code admin.url}, {@code admin.token}).
 */
final class AdminClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final Path dataDir;

    private AdminClient(URI base, String token, Path dataDir) {
        this.base = base;
        this.token = token;
        this.dataDir = dataDir;
    }

    /** @throws HostNotRunning if the data directory names no running host */
    static AdminClient forDataDir(Path dataDir) {
        return forDataDir(dataDir, AdminServer.TOKEN_FILE);
    }

    /**
     * A client that authenticates with another token file of the data directory than the admin token (the
     * dashboard's viewer token), so that someone given only that file can use what it grants.
     *
     * @throws HostNotRunning if the data directory names no running host
     */
    static AdminClient forDataDir(Path dataDir, String tokenFile) {
        Path url = dataDir.resolve(AdminServer.URL_FILE);
        Path token = dataDir.resolve(tokenFile);
        refuseUnreadable(token);
        refuseUnsafe(dataDir, token);
        // The token goes only to an address the host holding the directory wrote: after a kill -9 the old admin.url
        // names a port anyone may listen on by now.
        if (!Files.exists(token) || !DataDirLock.writtenByRunningHost(dataDir, url)) {
            throw unreachable(dataDir);
        }
        try {
            return new AdminClient(URI.create(Files.readString(url).strip()), Files.readString(token).strip(), dataDir);
        } catch (IOException | IllegalArgumentException e) {
            throw new BelfryCli.BadInputException("cannot read the admin address in " + dataDir + ": " + e.getMessage());
        }
    }

    /**
     * A host's files are its user's alone: another user cannot see them, and without this check would be told no host
     * runs.
     *
     * @throws OperationFailed naming the file, if it exists (or may) but this user may not read it
     */
    private static void refuseUnreadable(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isRegularFile() && !Files.isReadable(file)) {
                throw new AccessDeniedException(file.toString());
            }
        } catch (NoSuchFileException e) {
            // no host wrote it: said below
        } catch (AccessDeniedException e) {
            throw new OperationFailed("cannot read " + IoErrors.describe(e) + "; run this as the user who runs the"
                    + " host");
        } catch (IOException e) {
            throw new OperationFailed("cannot read " + IoErrors.describe(e));
        }
    }

    JsonNode get(String path) {
        return send("GET", path);
    }

    JsonNode post(String path) {
        return send("POST", path);
    }

    private JsonNode send(String method, String path) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw unreachable(dataDir);
        } catch (IOException e) {
            throw new OperationFailed("the host at " + base + " did not answer: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationFailed("interrupted");
        }
        String body = response.body();
        int status = response.statusCode();
        if (status == 200) {
            if (path.startsWith("/metrics")) {
                return JSON.getNodeFactory().textNode(body);
            }
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new OperationFailed("the host sent an unreadable answer: " + e.getMessage());
            }
        }
        String error = body;
        try {
            error = JSON.readTree(body).path("error").asText(body);
        } catch (IOException ignored) {
            // not JSON: show it as it is
        }
        if (status == 400 || status == 404) {
            throw new BelfryCli.BadInputException(error);
        }
        throw new OperationFailed(error);
    }

    /**
     * Refuses a data directory whose address files someone other than its owner could have written, or whose secret
     * files are links: see {@link DataDirLock#checkForClient}.
     *
     * @throws OperationFailed naming the file or folder, its owner and mode
     */
    static void refuseUnsafe(Path dataDir, Path... secrets) {
        try {
            DataDirLock.checkForClient(dataDir, secrets).ifPresent(problem -> {
                throw new OperationFailed(problem);
            });
        } catch (IOException e) {
            throw new OperationFailed("cannot check the owner of " + dataDir + ": " + e.getMessage());
        }
    }

    /**
     * A field the CLI needs from the host's answer.
     *
     * @param answer the answer
     * @param what   the request it answers, for the message
     * @param path   the field's names from the top, as in {@code engine.jobs}
     * @return the field
     * @throws OperationFailed naming the field when the answer lacks it (another program answered, or another version)
     */
    static JsonNode need(JsonNode answer, String what, String path) {
        JsonNode node = answer;
        for (String name : path.split("\\.")) {
            node = node == null ? null : node.get(name);
        }
        if (node == null || node.isNull()) {
            throw new OperationFailed("the host's answer to " + what + " has no " + path
                    + " (is it a Belfry host of the same version?)");
        }
        return node;
    }

    /**
     * The API cannot be reached: either no host runs on the directory, or one does (it holds the directory's lock)
     * with its admin API off; telling the two apart saves the operator from starting a second host.
     */
    private static RuntimeException unreachable(Path dataDir) {
        return DataDirLock.isHeld(dataDir) ? new OperationFailed("a host is running on " + dataDir
                + " with its admin API off; start it with --admin-port PORT (0 picks a free one) to use this command")
                : new HostNotRunning(dataDir);
    }

    /** The data directory names no running host: exit code 3, with how to start one. */
    static final class HostNotRunning extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HostNotRunning(Path dataDir) {
            super("no Belfry host is running on data directory " + dataDir + "; start one with: belfry run --data "
                    + dataDir);
        }
    }

    /** The host refused or failed the operation: exit code 1. */
    static final class OperationFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OperationFailed(String message) {
            super(message);
        }
    }
}
