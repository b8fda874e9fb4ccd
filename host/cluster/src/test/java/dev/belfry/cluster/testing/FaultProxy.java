package dev.belfry.cluster.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of a server (PostgreSQL in the cluster tests) that cuts a client off on demand.
 *
 * <p>Point a client at {@link #port()} instead of the server's port. {@link #cut()} breaks every connection and
 * resets new ones; {@link #blackhole()} is a silent partition: connections stay open and new ones are accepted,
 * but no byte passes, so clients hang until their own timeouts. {@link #heal()} forwards again: connections held
 * by a blackhole resume (as after a partition that healed before TCP gave up), connections broken by a cut stay
 * broken.
 *
 * <p>Two daemon threads per connection, at most {@value #MAX_CONNECTIONS} connections (more are reset).
 */
public final class FaultProxy implements AutoCloseable {
    /** The most connections forwarded at once; the proxy resets connections beyond it. */
    public static final int MAX_CONNECTIONS = 256;
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private enum Mode { FORWARD, CUT, BLACKHOLE }

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicInteger threadNumber = new AtomicInteger();
    private final Object lock = new Object();
    private Mode mode = Mode.FORWARD;
    private boolean closed;

    private FaultProxy(InetSocketAddress target, ServerSocket server) {
        this.target = target;
        this.server = server;
    }

    /**
     * Starts a proxy on a free port of 127.0.0.1 that forwards to the target.
     *
     * @param targetHost the server's host, e.g. {@code 127.0.0.1}
     * @param targetPort the server's port
     * @return the running proxy, forwarding
     * @throws UncheckedIOException when no port can be bound
     */
    public static FaultProxy start(String targetHost, int targetPort) {
        ServerSocket server;
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        FaultProxy proxy = new FaultProxy(new InetSocketAddress(targetHost, targetPort), server);
        proxy.daemon("fault-proxy-" + server.getLocalPort() + "-accept", proxy::acceptLoop).start();
        return proxy;
    }

    /**
     * The port clients connect to.
     *
     * @return the proxy's port on 127.0.0.1
     */
    public int port() {
        return server.getLocalPort();
    }

    /**
     * Breaks every current connection (the client sees a reset) and resets new ones until {@link #heal()}.
     */
    public void cut() {
        synchronized (lock) {
            mode = Mode.CUT;
            lock.notifyAll();
        }
        links.forEach(Link::kill);
    }

    /**
     * Stops every byte in both directions, for current and new connections, without closing any, until
     * {@link #heal()} or {@link #cut()}.
     */
    public void blackhole() {
        synchronized (lock) {
            mode = Mode.BLACKHOLE;
            lock.notifyAll();
        }
    }

    /**
     * Forwards again: new connections work, connections held by {@link #blackhole()} resume, connections broken by
     * {@link #cut()} stay broken.
     */
    public void heal() {
        synchronized (lock) {
            mode = Mode.FORWARD;
            lock.notifyAll();
        }
    }

    /**
     * Stops accepting and breaks every connection.
     */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            server.close();
        } catch (IOException e) {
            // The accept thread ends on the closed socket either way.
        }
        links.forEach(Link::kill);
    }

    private void acceptLoop() {
        while (true) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            Link link = new Link(client);
            if (links.size() >= MAX_CONNECTIONS || isCut()) {
                link.kill();
                continue;
            }
            links.add(link);
            daemon("fault-proxy-" + port() + "-up-" + threadNumber.incrementAndGet(), () -> connect(link)).start();
        }
    }

    // A connection accepted during a blackhole does not reach the server until the proxy heals.
    private void connect(Link link) {
        try {
            if (!awaitPassable(link)) {
                link.kill();
                return;
            }
            Socket upstream = new Socket();
            link.upstream = upstream;
            if (link.dead) {
                // A cut between the wait and now: kill() may have missed this socket.
                upstream.close();
                return;
            }
            upstream.connect(target, CONNECT_TIMEOUT_MILLIS);
            upstream.setTcpNoDelay(true);
            link.client.setTcpNoDelay(true);
            InputStream fromClient = link.client.getInputStream();
            OutputStream toClient = link.client.getOutputStream();
            InputStream fromServer = upstream.getInputStream();
            OutputStream toServer = upstream.getOutputStream();
            daemon("fault-proxy-" + port() + "-down-" + threadNumber.incrementAndGet(),
                    () -> pump(link, fromServer, toClient)).start();
            pump(link, fromClient, toServer);
        } catch (IOException e) {
            link.kill();
        }
    }

    private void pump(Link link, InputStream in, OutputStream out) {
        byte[] buffer = new byte[16 * 1024];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (!awaitPassable(link)) {
                    break;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // The other side or a cut closed the connection; the link goes below.
        }
        link.kill();
    }

    // Holds the caller while the proxy is a blackhole; true when bytes may pass.
    private boolean awaitPassable(Link link) {
        synchronized (lock) {
            while (mode == Mode.BLACKHOLE && !closed && !link.dead) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return mode == Mode.FORWARD && !closed && !link.dead;
        }
    }

    private boolean isCut() {
        synchronized (lock) {
            return mode == Mode.CUT || closed;
        }
    }

    private Thread daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    private final class Link {
        final Socket client;
        volatile Socket upstream;
        volatile boolean dead;

        Link(Socket client) {
            this.client = client;
        }

        void kill() {
            synchronized (lock) {
                dead = true;
                lock.notifyAll();
            }
            links.remove(this);
            try {
                // Linger 0: the client sees a reset at once, as when a network path breaks, not an orderly close.
                client.setSoLinger(true, 0);
            } catch (IOException e) {
                // Already closed.
            }
            closeQuietly(client);
            closeQuietly(upstream);
        }

        private void closeQuietly(Socket socket) {
            if (socket == null) {
                return;
            }
            try {
                socket.close();
            } catch (IOException e) {
                // Nothing left to release.
            }
        }
    }
}
