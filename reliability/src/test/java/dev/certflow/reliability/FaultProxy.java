package dev.certflow.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on a loopback port in front of one server (the broker, PostgreSQL, an upstream API),
 * which a trial switches between passing bytes, delaying them, black-holing them (connections stay
 * open, nothing arrives either way: a frozen peer or a dropped route) and cutting every connection
 * (a restart as the client sees it). Hand-written: Toxiproxy needs its own server (a Go program), and
 * NetCrusher, the one Java proxy for this on Maven Central, has had no release since 2018.
 */
final class FaultProxy implements AutoCloseable {
    enum Mode { PASS, BLACKHOLE, CUT }

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile Mode mode = Mode.PASS;
    private volatile long delayMillis;
    private volatile boolean closed;

    FaultProxy(String host, int port) throws IOException {
        this(host, port, 0);
    }

    /** A proxy on {@code listenPort} (0 = a free one) in front of {@code host:port}. */
    FaultProxy(String host, int port, int listenPort) throws IOException {
        target = new InetSocketAddress(host, port);
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort));
        Thread acceptor = new Thread(this::accept, "fault-proxy-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    Mode mode() {
        return mode;
    }

    /** Pass bytes (after the delay, if one is set). */
    void pass() {
        mode = Mode.PASS;
    }

    /** Every byte waits this long before it is forwarded (0: none). */
    void delay(long millis) {
        delayMillis = millis;
    }

    /** Keep every connection open and new ones accepted, but forward nothing either way. */
    void blackhole() {
        mode = Mode.BLACKHOLE;
    }

    /** Close every connection now and refuse (accept and close) new ones until {@link #pass()}. */
    void cut() {
        mode = Mode.CUT;
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                if (mode == Mode.CUT) {
                    closeQuietly(client);
                    continue;
                }
                Socket upstream = new Socket();
                try {
                    upstream.connect(target, 5000);
                } catch (IOException refused) {
                    closeQuietly(client);
                    continue;
                }
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                if (!closed) {
                    continue;
                }
                return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    while (mode == Mode.BLACKHOLE && !closed) {
                        Thread.sleep(20); // held, not dropped: TCP would retransmit them once the route is back
                    }
                    if (mode == Mode.CUT || closed) {
                        break;
                    }
                    long delay = delayMillis;
                    if (delay > 0) {
                        Thread.sleep(delay);
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // one side closed or was cut
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
            }
        }, "fault-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Connections open now (both sides counted). */
    int connections() {
        return sockets.size();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        sockets.forEach(FaultProxy::closeQuietly);
    }
}
