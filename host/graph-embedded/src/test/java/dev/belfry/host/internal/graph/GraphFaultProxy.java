package dev.belfry.host.internal.graph;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A loopback TCP proxy between a Bolt client and a Neo4j server that cuts every connection it carries on demand: at
 * once, or at the next moment of a chosen kind. It tells those moments by following the client's Bolt messages
 * (the handshake, then chunks whose first two bytes are a struct marker and the message's signature): a cut "mid
 * transaction" drops the server's answer inside an explicit transaction that has sent a statement; a cut "after
 * commit" drops the server's answer to COMMIT, so the transaction is in the database and the client never learns it.
 */
final class GraphFaultProxy implements AutoCloseable {

    /** When a cut lands. */
    enum Cut {
        /** At once, wherever the connections are. */
        NOW,
        /** At the server's next answer inside a transaction that has sent a statement, before its COMMIT. */
        MID_TRANSACTION,
        /** Instead of the server's answer to a COMMIT: committed, but the client does not hear of it. */
        AFTER_COMMIT
    }

    private static final int BEGIN = 0x11;
    private static final int RUN = 0x10;
    private static final int COMMIT = 0x12;
    private static final int ROLLBACK = 0x13;
    private static final int RESET = 0x0F;
    private static final int HANDSHAKE = 20;
    /** The server's answer to a handshake that goes on with a version manifest (Bolt 5.7+). */
    private static final int MANIFEST_V1 = 0x000001FF;

    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Cut> armed = new AtomicReference<>();
    private final Map<Cut, AtomicInteger> cuts = new EnumMap<>(Cut.class);
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger connectionsCut = new AtomicInteger();
    private final AtomicInteger commits = new AtomicInteger();
    private final Thread acceptor;
    private volatile boolean closed;

    /**
     * Listens on 127.0.0.1 on a free port.
     *
     * @param bolt the server's Bolt URI
     * @throws IOException if it cannot listen
     */
    GraphFaultProxy(URI bolt) throws IOException {
        this.target = new InetSocketAddress(bolt.getHost(), bolt.getPort());
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        for (Cut c : Cut.values()) {
            cuts.put(c, new AtomicInteger());
        }
        this.acceptor = new Thread(this::accept, "graph-fault-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** @return the Bolt URI to give the client */
    URI uri() {
        return URI.create("bolt://127.0.0.1:" + listener.getLocalPort());
    }

    /** Cuts every connection now. */
    void cutNow() {
        cutAll(Cut.NOW);
    }

    /** The next moment of this kind cuts every connection; replaces an earlier request that has not landed. */
    void arm(Cut kind) {
        armed.set(kind);
    }

    /** @return whether a requested cut has not landed yet */
    boolean armed() {
        return armed.get() != null;
    }

    /** Withdraws a requested cut that has not landed. */
    void disarm() {
        armed.set(null);
    }

    /** @return cuts that landed, by kind */
    Map<Cut, Integer> cuts() {
        Map<Cut, Integer> out = new EnumMap<>(Cut.class);
        cuts.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** @return connections accepted so far */
    int connections() {
        return connections.get();
    }

    /** @return connections closed by cuts so far */
    int connectionsCut() {
        return connectionsCut.get();
    }

    /** @return COMMIT messages the clients sent through the proxy */
    int commits() {
        return commits.get();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        links.forEach(Link::close);
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                try {
                    server.connect(target, 5_000);
                } catch (IOException e) {
                    client.close(); // the server is away: the client sees the connection refused, nearly
                    continue;
                }
                connections.incrementAndGet();
                Link link = new Link(client, server);
                links.add(link);
                link.start();
            } catch (IOException e) {
                if (!closed) {
                    throw new IllegalStateException("proxy stopped accepting", e);
                }
            }
        }
    }

    private void cutAll(Cut kind) {
        cuts.get(kind).incrementAndGet();
        for (Link link : links) {
            link.close();
            connectionsCut.incrementAndGet();
        }
    }

    /** One proxied connection: two pumps and what the client's messages say about its transaction. */
    private final class Link {
        private final Socket client;
        private final Socket server;
        private volatile boolean manifest;
        private volatile boolean inTransaction;
        private volatile boolean statementSent;
        /** COMMITs forwarded whose answer has not been passed back yet. */
        private final AtomicInteger commitsUnanswered = new AtomicInteger();

        Link(Socket client, Socket server) throws SocketException {
            this.client = client;
            this.server = server;
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
        }

        void start() {
            Thread up = new Thread(this::clientToServer, "graph-fault-proxy-up");
            Thread down = new Thread(this::serverToClient, "graph-fault-proxy-down");
            up.setDaemon(true);
            down.setDaemon(true);
            up.start();
            down.start();
        }

        void close() {
            if (links.remove(this)) {
                for (Socket s : new Socket[] {client, server}) {
                    try {
                        s.setSoLinger(true, 0); // a reset, as when a network path dies
                        s.close();
                    } catch (IOException ignored) {
                        // closed already
                    }
                }
            }
        }

        private void clientToServer() {
            ClientMessages parser = new ClientMessages(this);
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = client.getInputStream(); OutputStream out = server.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    parser.feed(buf, n); // before forwarding: the server cannot answer what it has not seen
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // cut, or closed by either side
            } finally {
                close();
            }
        }

        private void serverToClient() {
            byte[] buf = new byte[16 * 1024];
            int handshake = 0;
            int version = 0;
            try (InputStream in = server.getInputStream(); OutputStream out = client.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    for (int i = 0; i < n && handshake < 4; i++, handshake++) {
                        version = version << 8 | (buf[i] & 0xFF);
                        if (handshake == 3) {
                            manifest = version == MANIFEST_V1;
                        }
                    }
                    // Only COMMITs sent before these bytes arrived are answered by them. Clearing a flag after the
                    // write instead would race: the client, answered, may already have sent its next COMMIT.
                    int commitsAnswered = commitsUnanswered.get();
                    if (cutsHere(commitsAnswered > 0)) {
                        return; // the answer is dropped with the connection
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    commitsUnanswered.addAndGet(-commitsAnswered);
                }
            } catch (IOException e) {
                // cut, or closed by either side
            } finally {
                close();
            }
        }

        /** Lands an armed cut if the server's answer now is the moment it waits for. */
        private boolean cutsHere(boolean answersCommit) {
            Cut want = armed.get();
            boolean now = want == Cut.AFTER_COMMIT && answersCommit
                    || want == Cut.MID_TRANSACTION && inTransaction && statementSent;
            if (now && armed.compareAndSet(want, null)) {
                cutAll(want);
                return true;
            }
            return false;
        }

        void message(int signature) {
            switch (signature) {
                case BEGIN -> {
                    inTransaction = true;
                    statementSent = false;
                }
                case RUN -> statementSent = inTransaction;
                case COMMIT -> {
                    commits.incrementAndGet();
                    inTransaction = false;
                    commitsUnanswered.incrementAndGet();
                }
                case ROLLBACK, RESET -> inTransaction = false;
                default -> {
                    // other messages do not move a transaction
                }
            }
        }
    }

    /**
     * Follows the client's side of a Bolt connection: the 20-byte handshake, the version and capabilities a client
     * sends back if the server answered with a manifest, then chunked messages (a 2-byte size and the data; a
     * zero size ends a message). Reports each message's signature, its second byte.
     */
    private static final class ClientMessages {
        private final Link link;
        private int handshake;
        private boolean manifestDone;
        private int manifestBytes;
        private int header = -1;     // first byte of a chunk header, -1 if none read yet
        private int chunkLeft;
        private int messageBytes;

        ClientMessages(Link link) {
            this.link = link;
        }

        void feed(byte[] buf, int n) {
            for (int i = 0; i < n; i++) {
                int b = buf[i] & 0xFF;
                if (handshake < HANDSHAKE) {
                    handshake++;
                } else if (link.manifest && !manifestDone) {
                    manifestBytes++; // 4 bytes of version, then a varint of capabilities
                    manifestDone = manifestBytes > 4 && (b & 0x80) == 0;
                } else if (chunkLeft > 0) {
                    if (messageBytes == 1) {
                        link.message(b);
                    }
                    messageBytes++;
                    chunkLeft--;
                } else if (header < 0) {
                    header = b;
                } else {
                    chunkLeft = header << 8 | b;
                    header = -1;
                    if (chunkLeft == 0) {
                        messageBytes = 0; // end of message (or a no-op)
                    }
                }
            }
        }
    }
}
