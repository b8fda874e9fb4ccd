package dev.belfry.host.internal.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.host.StoreUnavailableException;
import dev.belfry.host.internal.BackgroundPriority;
import dev.belfry.host.internal.admin.ui.Dashboard;
import dev.belfry.host.internal.admin.ui.EventHub;
import dev.belfry.host.internal.admin.ui.UiRequest;
import dev.belfry.host.internal.admin.ui.UiResponse;
import dev.belfry.host.internal.state.IoErrors;
import dev.belfry.host.internal.state.SmallFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API: HTTP with JSON on 127.0.0.1 only, every request authenticated with a bearer token that is made
 * at start and written to {@code <data>/admin.token} (mode 0600); the URL goes to {@code <data>/admin.url} (0600
 * too: the CLI runs as the host's user), which is how the CLI finds a running host. Bad input gets a 4xx with a
 * one-line JSON error and changes nothing; a stack trace never leaves the server.
 *
 * <p>Requests are read by one thread on a selector, never by the threads that answer them: a client that connects
 * and sends nothing, or trickles its request a byte at a time, costs a buffer and no thread, and is cut once its
 * request has not arrived whole within {@link Limits#requestTimeout()}. Only a complete request with the right token
 * reaches the two answering threads. One request per connection ({@code Connection: close}).
 *
 * <p>Under {@code /ui} the dashboard answers instead ({@link Dashboard}): its pages authenticate by session cookie,
 * not bearer token, and its event stream keeps its connection open, fed through a bounded queue on this thread.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    /** The file holding the token. */
    public static final String TOKEN_FILE = "admin.token";
    /** The file holding the URL. */
    public static final String URL_FILE = "admin.url";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * How long the server stops accepting after an accept failed (typically the process is out of file descriptors):
     * long enough not to spin on a listener that stays ready, short enough that the API is back at once after.
     */
    static final Duration ACCEPT_BACKOFF = Duration.ofMillis(200);

    /**
     * How long and how much a client may take.
     *
     * @param requestTimeout  time from accepting a connection until its whole request (head and body) has arrived,
     *                        and again for the answer to be taken; a client over it is cut
     * @param maxConnections  connections held at once; a new one beyond it cuts the oldest one still sending its
     *                        request, so idle connections can never keep a real request out
     * @param maxHeadBytes    request line and headers
     * @param maxBodyBytes    request body (no route takes one)
     */
    public record Limits(Duration requestTimeout, int maxConnections, int maxHeadBytes, int maxBodyBytes) {
        /** The limits a host runs with. */
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(10), 256, 16 * 1024, 64 * 1024);

        /**
         * @throws IllegalArgumentException naming a value that is out of range
         */
        public Limits {
            Objects.requireNonNull(requestTimeout, "requestTimeout");
            if (requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("requestTimeout must be positive: " + requestTimeout);
            }
            if (maxConnections < 1 || maxHeadBytes < 64 || maxBodyBytes < 0) {
                throw new IllegalArgumentException("limits out of range: " + maxConnections + " connections, "
                        + maxHeadBytes + " head bytes, " + maxBodyBytes + " body bytes");
            }
        }
    }

    private final ServerSocketChannel listener;
    private final Selector selector;
    private final ExecutorService answering;
    private final Thread io;
    private final Queue<Runnable> fromWorkers = new ConcurrentLinkedQueue<>();
    private final Acceptor acceptor;
    /** When accepting resumes after a failed accept; meaningful only while {@link #acceptPaused}. */
    private long acceptResumesAt;
    private boolean acceptPaused;
    /** Set from a failed accept until one succeeds again, so that an outage is logged once, not every back-off. */
    private boolean acceptFailing;
    private final Limits limits;
    private final AdminApi api;
    private final Optional<Dashboard> dashboard;
    private final byte[] token;
    private final Path dataDir;
    private final URI url;
    private volatile boolean closed;

    /** Takes the next connection off the listener; a seam so that tests can make an accept fail. */
    @FunctionalInterface
    interface Acceptor {
        SocketChannel accept(ServerSocketChannel listener) throws IOException;
    }

    private AdminServer(ServerSocketChannel listener, Selector selector, Limits limits, AdminApi api,
                        Optional<Dashboard> dashboard, byte[] token, Path dataDir, URI url, Acceptor acceptor) {
        this.listener = listener;
        this.dashboard = dashboard;
        this.acceptor = acceptor;
        this.selector = selector;
        this.limits = limits;
        this.api = api;
        this.token = token;
        this.dataDir = dataDir;
        this.url = url;
        this.answering = Executors.newFixedThreadPool(2, r -> {
            // Answers (dashboard pages above all) take the cores the engine leaves: a page never delays a fire.
            Thread t = new Thread(() -> {
                BackgroundPriority.lowerCurrentThread();
                r.run();
            }, "belfry-admin");
            t.setDaemon(true);
            return t;
        });
        // The connections' reads and writes (the event streams' batches too) wait for a core as the answers do.
        this.io = new Thread(() -> {
            BackgroundPriority.lowerCurrentThread();
            loop();
        }, "belfry-admin-io");
        this.io.setDaemon(true);
    }

    /**
     * Starts the server with the default limits and writes the token and URL files.
     *
     * @param dataDir the data directory
     * @param port    the port on 127.0.0.1; 0 picks a free one
     * @param api     answers the requests
     * @return the running server
     * @throws IOException if the port cannot be bound or the files written
     */
    public static AdminServer start(Path dataDir, int port, AdminApi api) throws IOException {
        return start(dataDir, port, api, Limits.DEFAULT);
    }

    /**
     * Starts the server and writes the token and URL files.
     *
     * @param dataDir the data directory
     * @param port    the port on 127.0.0.1; 0 picks a free one
     * @param api     answers the requests
     * @param limits  how long and how much a client may take
     * @return the running server
     * @throws FileNotWritten if the token or URL file cannot be written (the port was free)
     * @throws IOException    if the port cannot be bound
     */
    public static AdminServer start(Path dataDir, int port, AdminApi api, Limits limits) throws IOException {
        return start(dataDir, port, api, Optional.empty(), limits, ServerSocketChannel::accept);
    }

    /**
     * Starts the server with the dashboard under {@code /ui} and writes the token and URL files.
     *
     * @param dataDir   the data directory
     * @param port      the port on 127.0.0.1; 0 picks a free one
     * @param api       answers the API's requests
     * @param dashboard answers the requests under {@code /ui}
     * @param limits    how long and how much a client may take
     * @return the running server
     * @throws FileNotWritten if the token or URL file cannot be written (the port was free)
     * @throws IOException    if the port cannot be bound
     */
    public static AdminServer start(Path dataDir, int port, AdminApi api, Dashboard dashboard, Limits limits)
            throws IOException {
        return start(dataDir, port, api, Optional.of(dashboard), limits, ServerSocketChannel::accept);
    }

    static AdminServer start(Path dataDir, int port, AdminApi api, Limits limits, Acceptor acceptor)
            throws IOException {
        return start(dataDir, port, api, Optional.empty(), limits, acceptor);
    }

    private static AdminServer start(Path dataDir, int port, AdminApi api, Optional<Dashboard> dashboard,
                                     Limits limits, Acceptor acceptor) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open();
        Selector selector;
        try {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
            listener.configureBlocking(false);
            selector = Selector.open();
            listener.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            listener.close();
            throw e;
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        int bound = ((InetSocketAddress) listener.getLocalAddress()).getPort();
        URI url = URI.create("http://127.0.0.1:" + bound);
        AdminServer admin = new AdminServer(listener, selector, limits, api, dashboard,
                token.getBytes(StandardCharsets.US_ASCII), dataDir, url, Objects.requireNonNull(acceptor, "acceptor"));
        Path writing = dataDir.resolve(TOKEN_FILE);
        try {
            SmallFiles.writeAtomically(writing, token + "\n", true);
            writing = dataDir.resolve(URL_FILE);
            SmallFiles.writeAtomically(writing, url + "\n", true);
        } catch (IOException e) {
            admin.close();
            throw new FileNotWritten(writing, e);
        } catch (RuntimeException e) {
            admin.close();
            throw e;
        }
        admin.io.start();
        log.info("admin API at {} (token in {})", url, dataDir.resolve(TOKEN_FILE));
        return admin;
    }

    /**
     * The token or URL file could not be written: a problem of the data directory, not of the port, and reported as
     * such.
     */
    public static final class FileNotWritten extends IOException {
        private static final long serialVersionUID = 1L;

        FileNotWritten(Path file, IOException cause) {
            super("cannot write " + file + ": " + IoErrors.describe(cause), cause);
        }
    }

    /**
     * Removes the URL and token files a host that died left behind, for a host that runs with the API off: the CLI
     * must not send a token to whatever now listens on the old port, and must see that there is no API to reach.
     *
     * @param dataDir the data directory
     */
    public static void removeStaleFiles(Path dataDir) {
        for (String name : List.of(URL_FILE, TOKEN_FILE)) {
            try {
                Files.deleteIfExists(dataDir.resolve(name));
            } catch (IOException e) {
                log.warn("cannot remove the stale {}: {}", dataDir.resolve(name), e.getMessage());
            }
        }
    }

    /** @return the server's URL */
    public URI url() {
        return url;
    }

    // ------------------------------------------------------------------ the selector thread

    private void loop() {
        try {
            while (!closed) {
                long now = System.nanoTime();
                long wait = cutExpired(now);
                if (acceptPaused) {
                    if (now - acceptResumesAt >= 0) {
                        acceptPaused = false;
                        listener.keyFor(selector).interestOps(SelectionKey.OP_ACCEPT);
                    } else {
                        wait = Math.min(wait, acceptResumesAt - now);
                    }
                }
                selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
                Runnable task;
                while ((task = fromWorkers.poll()) != null) {
                    task.run();
                }
                var ready = selector.selectedKeys().iterator();
                while (ready.hasNext()) {
                    SelectionKey key = ready.next();
                    ready.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else if (key.attachment() instanceof Connection c) {
                        c.ready();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                log.error("admin API stopped answering: {}", e.toString(), e);
            }
        } finally {
            for (SelectionKey key : selector.keys()) {
                closeQuietly(key);
            }
        }
    }

    /** Cuts connections past their deadline; returns how long until the next deadline, at most one second. */
    private long cutExpired(long now) {
        long next = TimeUnit.SECONDS.toNanos(1);
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof Connection c) {
                if (now - c.deadline >= 0) {
                    c.expire();
                } else {
                    next = Math.min(next, c.deadline - now);
                }
            }
        }
        return next;
    }

    /**
     * Takes every waiting connection. An accept that fails (no file descriptor left, say) must not end the server:
     * accepting pauses for {@link #ACCEPT_BACKOFF}, the clients wait in the backlog meanwhile, and the server goes on.
     */
    private void accept() {
        SocketChannel channel;
        while (true) {
            try {
                channel = acceptor.accept(listener);
            } catch (IOException e) {
                if (!acceptFailing) {
                    acceptFailing = true;
                    log.warn("admin API cannot accept a connection: {}; trying again every {} ms", e.toString(),
                            ACCEPT_BACKOFF.toMillis());
                }
                listener.keyFor(selector).interestOps(0);
                acceptPaused = true;
                acceptResumesAt = System.nanoTime() + ACCEPT_BACKOFF.toNanos();
                return;
            }
            if (channel == null) {
                return;
            }
            if (acceptFailing) {
                acceptFailing = false;
                log.info("admin API accepts connections again");
            }
            List<Connection> reading = new ArrayList<>();
            int open = 0;
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof Connection c && key.isValid()) {
                    open++;
                    if (c.stage == Stage.READING) {
                        reading.add(c);
                    }
                }
            }
            if (open >= limits.maxConnections()) {
                // A full house must not keep out the next real request: cut whoever has been sending longest.
                reading.stream().min((a, b) -> Long.compare(a.acceptedAt - b.acceptedAt, 0)).ifPresent(c -> {
                    log.debug("admin API: {} connections open; cutting the oldest unfinished request",
                            limits.maxConnections());
                    c.close();
                });
            }
            try {
                channel.configureBlocking(false);
                Connection c = new Connection(channel, System.nanoTime());
                c.key = channel.register(selector, SelectionKey.OP_READ, c);
            } catch (IOException e) {
                log.debug("admin API: dropped a connection that could not be set up: {}", e.toString());
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // dropped either way
                }
            }
        }
    }

    private enum Stage { READING, ANSWERING, WRITING, DRAINING, STREAMING }

    /** Unsent bytes an event stream may hold; a reader slower than that is cut and reconnects. */
    static final int MAX_STREAM_BACKLOG = 256 * 1024;

    /** A parsed request with what the answering thread must know of it. */
    private record Answer(byte[] bytes, Optional<Consumer<EventHub.Sink>> stream) {
    }

    /** One client connection, touched only by the selector thread. */
    private final class Connection {
        final SocketChannel channel;
        final long acceptedAt;
        SelectionKey key;
        Stage stage = Stage.READING;
        long deadline;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        int headLength = -1;
        long bodyLength;
        Head head;
        ByteBuffer answer;
        /** An event stream's unsent bytes, and their count as the producers see it. */
        final Queue<ByteBuffer> streamed = new java.util.ArrayDeque<>();
        final AtomicLong backlog = new AtomicLong();
        volatile boolean gone;
        Optional<Consumer<EventHub.Sink>> startStream = Optional.empty();

        Connection(SocketChannel channel, long acceptedAt) {
            this.channel = channel;
            this.acceptedAt = acceptedAt;
            this.deadline = acceptedAt + limits.requestTimeout().toNanos();
        }

        void ready() {
            try {
                if (key.isReadable()) {
                    if (stage == Stage.DRAINING || stage == Stage.STREAMING) {
                        drain();
                    } else if (stage == Stage.READING) {
                        read();
                    }
                }
                if (key.isValid() && key.isWritable() && stage == Stage.WRITING) {
                    write();
                } else if (key.isValid() && key.isWritable() && stage == Stage.STREAMING) {
                    writeStreamed();
                }
            } catch (IOException e) {
                close();
            }
        }

        private void read() throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(4096);
            int n = channel.read(buf);
            if (n < 0) {
                close();
                return;
            }
            received.write(buf.array(), 0, n);
            if (headLength < 0) {
                byte[] bytes = received.toByteArray();
                int end = headEnd(bytes);
                if (end < 0) {
                    if (bytes.length > limits.maxHeadBytes()) {
                        respond(431, error("request line and headers over " + limits.maxHeadBytes() + " bytes"));
                    }
                    return;
                }
                headLength = end;
                if (headLength > limits.maxHeadBytes()) {
                    respond(431, error("request line and headers over " + limits.maxHeadBytes() + " bytes"));
                    return;
                }
                Head parsed;
                try {
                    parsed = Head.parse(new String(bytes, 0, withoutTrailingLineEnds(bytes, end),
                            StandardCharsets.ISO_8859_1));
                } catch (BadRequest e) {
                    respond(e.status, error(e.getMessage()));
                    return;
                }
                if (!dashboardPath(parsed.uri) && !AdminApi.isProbe(parsed.method, parsed.uri)
                        && !authorized(parsed.headers.get("authorization"))) {
                    respond(401, error("missing or wrong bearer token (see " + TOKEN_FILE
                            + " in the host's data directory)"));
                    return;
                }
                if (parsed.chunked) {
                    respond(411, error("send the body with Content-Length, not chunked"));
                    return;
                }
                if (parsed.contentLength > limits.maxBodyBytes()) {
                    respond(413, error("request body over " + limits.maxBodyBytes() + " bytes"));
                    return;
                }
                head = parsed;
                bodyLength = parsed.contentLength;
            }
            if (received.size() - headLength >= bodyLength) {
                byte[] all = received.toByteArray();
                byte[] body = java.util.Arrays.copyOfRange(all, headLength, (int) (headLength + bodyLength));
                dispatch(head, body);
            }
        }

        private void dispatch(Head request, byte[] body) {
            stage = Stage.ANSWERING;
            key.interestOps(0);
            try {
                answering.execute(() -> {
                    Answer answer = dashboardPath(request.uri) ? answerUi(request, body)
                            : new Answer(answer(request, body), Optional.empty());
                    fromWorkers.add(() -> {
                        startStream = answer.stream();
                        send(answer.bytes());
                    });
                    selector.wakeup();
                });
            } catch (RejectedExecutionException e) {
                close(); // shutting down
            }
        }

        private void respond(int status, Object body) {
            send(render(status, body, status == 401));
        }

        private void send(byte[] bytes) {
            if (!key.isValid()) {
                return;
            }
            answer = ByteBuffer.wrap(bytes);
            stage = Stage.WRITING;
            deadline = System.nanoTime() + limits.requestTimeout().toNanos();
            key.interestOps(SelectionKey.OP_WRITE);
            try {
                write();
            } catch (IOException e) {
                close();
            }
        }

        private void write() throws IOException {
            channel.write(answer);
            if (answer.hasRemaining()) {
                return;
            }
            if (startStream.isPresent()) {
                stage = Stage.STREAMING;
                deadline = System.nanoTime() + Long.MAX_VALUE / 4; // open until either side ends it
                key.interestOps(SelectionKey.OP_READ);
                startStream.get().accept(new StreamSink(this));
                return;
            }
            // Closing with unread bytes in the receive buffer makes the kernel send a reset, which can destroy the
            // answer before the client reads it; read what the client still sends (briefly) and close after.
            channel.shutdownOutput();
            stage = Stage.DRAINING;
            deadline = System.nanoTime() + Math.min(limits.requestTimeout().toNanos(), TimeUnit.SECONDS.toNanos(1));
            key.interestOps(SelectionKey.OP_READ);
        }

        private void drain() throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(8192);
            int n;
            while ((n = channel.read(buf)) > 0) {
                buf.clear();
            }
            if (n < 0) {
                close();
            }
        }

        void expire() {
            if (stage == Stage.READING) {
                log.debug("admin API: cut a client that did not send its request within {}",
                        limits.requestTimeout());
                // One try at a polite answer; a client that does not take it is cut all the same.
                try {
                    channel.write(ByteBuffer.wrap(render(408, error("request not received within "
                            + limits.requestTimeout().toMillis() + " ms"), false)));
                } catch (IOException ignored) {
                    // cut below either way
                }
                close();
            } else if (stage != Stage.ANSWERING) {
                close();
            }
        }

        /** Runs on this thread: queues a stream's bytes and writes what the socket takes now. */
        void stream(byte[] bytes) {
            if (!key.isValid()) {
                return;
            }
            streamed.add(ByteBuffer.wrap(bytes));
            try {
                writeStreamed();
            } catch (IOException e) {
                close();
            }
        }

        private void writeStreamed() throws IOException {
            while (!streamed.isEmpty()) {
                ByteBuffer next = streamed.peek();
                int n = channel.write(next);
                backlog.addAndGet(-n);
                if (next.hasRemaining()) {
                    key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    return;
                }
                streamed.remove();
            }
            key.interestOps(SelectionKey.OP_READ);
        }

        void close() {
            gone = true;
            closeQuietly(key);
        }
    }

    /** An event stream's end of a connection: bounded, and safe to call from any thread. */
    private final class StreamSink implements EventHub.Sink {
        private final Connection connection;

        StreamSink(Connection connection) {
            this.connection = connection;
        }

        @Override
        public boolean send(byte[] bytes) {
            if (connection.gone || closed) {
                return false;
            }
            if (connection.backlog.addAndGet(bytes.length) > MAX_STREAM_BACKLOG) {
                log.debug("admin API: cut an event stream whose reader fell {} bytes behind", MAX_STREAM_BACKLOG);
                close();
                return false;
            }
            fromWorkers.add(() -> connection.stream(bytes));
            selector.wakeup();
            return true;
        }

        @Override
        public void close() {
            connection.gone = true;
            fromWorkers.add(connection::close);
            selector.wakeup();
        }
    }

    private boolean dashboardPath(URI uri) {
        String path = uri.getRawPath();
        return dashboard.isPresent() && (path.equals("/ui") || path.startsWith("/ui/"));
    }

    private Answer answerUi(Head request, byte[] body) {
        UiResponse response;
        try {
            response = dashboard.orElseThrow().handle(new UiRequest(request.method, request.uri, request.headers,
                    body, authorized(request.headers.get("authorization")), url));
        } catch (RuntimeException e) {
            log.error("dashboard request {} {} failed", request.method, request.uri.getRawPath(), e);
            return new Answer(render(500, "internal error: " + e.getClass().getSimpleName(), false),
                    Optional.empty());
        }
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(response.status()).append(' ')
                .append(reason(response.status())).append("\r\n");
        response.headers().forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        if (response.stream().isEmpty()) {
            head.append("Content-Length: ").append(response.body().length).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.UTF_8);
        byte[] all = java.util.Arrays.copyOf(h, h.length + response.body().length);
        System.arraycopy(response.body(), 0, all, h.length, response.body().length);
        return new Answer(all, response.stream());
    }

    private static void closeQuietly(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // nothing left to do with it
        }
    }

    // ------------------------------------------------------------------ answering threads

    private byte[] answer(Head request, byte[] body) {
        AdminApi.Response response;
        try {
            response = api.handle(request.method, request.uri, body);
        } catch (AdminApi.ApiException e) {
            response = new AdminApi.Response(e.status(), error(e.getMessage()));
        } catch (StoreUnavailableException e) {
            // The cluster's database is out of reach: the host says so in its health; not a fault of the request.
            response = new AdminApi.Response(503, error(e.getMessage().replaceAll("[\\r\\n]+", " ")));
        } catch (RuntimeException e) {
            log.error("admin request {} {} failed", request.method, request.uri, e);
            response = new AdminApi.Response(500, error("internal error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage().replaceAll("[\\r\\n]+", " "))));
        }
        try {
            return render(response.status(), response.body(), false);
        } catch (RuntimeException e) {
            log.error("admin answer to {} {} cannot be written", request.method, request.uri, e);
            return render(500, error("internal error: the answer cannot be written"), false);
        }
    }

    private static Map<String, String> error(String message) {
        return Map.of("error", message);
    }

    private static byte[] render(int status, Object body, boolean challenge) {
        byte[] bytes;
        String type;
        if (body instanceof String text) {
            bytes = text.getBytes(StandardCharsets.UTF_8);
            type = "text/plain; version=0.0.4; charset=utf-8";
        } else {
            try {
                bytes = JSON.writeValueAsBytes(body);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("answer is not JSON-ready: " + e.getOriginalMessage(), e);
            }
            type = "application/json; charset=utf-8";
        }
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status))
                .append("\r\nContent-Type: ").append(type)
                .append("\r\nContent-Length: ").append(bytes.length)
                .append("\r\nConnection: close\r\n");
        if (challenge) {
            head.append("WWW-Authenticate: Bearer realm=\"belfry\"\r\n");
        }
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + bytes.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(bytes, 0, all, h.length, bytes.length);
        return all;
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 303 -> "See Other";
            case 403 -> "Forbidden";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 421 -> "Misdirected Request";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            default -> "Status " + status;
        };
    }

    /**
     * The head's length without the line ends that close it, found in one backwards pass: a regular expression
     * anchored at the end backtracks quadratically over a run of bare CRs, which anyone could send before the token
     * is checked, on the one selector thread.
     */
    static int withoutTrailingLineEnds(byte[] bytes, int end) {
        int n = end;
        while (n > 0 && (bytes[n - 1] == '\r' || bytes[n - 1] == '\n')) {
            n--;
        }
        return n;
    }

    private boolean authorized(String header) {
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        // Constant-time comparison: the token must not leak through response timing.
        return MessageDigest.isEqual(token, header.substring("Bearer ".length()).strip()
                .getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * @return the length of the request head including the empty line that ends it, or -1 if it has not all arrived;
     *         like most servers this takes a bare LF for a line end, so a line ends with LF or CRLF
     */
    static int headEnd(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != '\n') {
                continue;
            }
            if (i + 1 < bytes.length && bytes[i + 1] == '\n') {
                return i + 2;
            }
            if (i + 2 < bytes.length && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') {
                return i + 3;
            }
        }
        return -1;
    }

    /** A request line and its headers (names in lower case; the first of a repeated header counts). */
    private record Head(String method, URI uri, Map<String, String> headers, long contentLength, boolean chunked) {
        static Head parse(String text) throws BadRequest {
            String[] lines = text.split("\r?\n", -1);
            String[] parts = lines[0].split(" ", -1);
            if (parts.length != 3 || !parts[2].startsWith("HTTP/1.") || parts[0].isEmpty()
                    || !parts[0].chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
                throw new BadRequest(400, "malformed request line");
            }
            URI uri;
            try {
                uri = new URI(parts[1]);
            } catch (URISyntaxException e) {
                throw new BadRequest(400, "malformed request target: " + e.getReason());
            }
            if (!parts[1].startsWith("/") || parts[1].startsWith("//") || uri.getRawPath() == null) {
                throw new BadRequest(400, "the request target must be a path such as /health");
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) {
                    throw new BadRequest(400, "malformed header line " + i);
                }
                headers.putIfAbsent(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
            long length = 0;
            String declared = headers.get("content-length");
            if (declared != null) {
                if (!declared.matches("\\d{1,18}")) {
                    throw new BadRequest(400, "malformed Content-Length");
                }
                length = Long.parseLong(declared);
            }
            String encoding = headers.get("transfer-encoding");
            boolean chunked = encoding != null && !encoding.equalsIgnoreCase("identity");
            return new Head(parts[0], uri, headers, length, chunked);
        }
    }

    /** A request the server refuses before any route sees it. */
    private static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** Stops the server and removes the URL file, so the CLI can tell the host is not running. */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        answering.shutdownNow();
        if (io.isAlive() && Thread.currentThread() != io) {
            try {
                io.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            listener.close();
            if (!io.isAlive()) {
                selector.close();
            }
        } catch (IOException e) {
            log.warn("closing the admin API's socket failed: {}", e.getMessage());
        }
        try {
            Files.deleteIfExists(dataDir.resolve(URL_FILE));
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", dataDir.resolve(URL_FILE), e.getMessage());
        }
    }
}
