package dev.certflow.reliability;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code certflow broker --dir DIR} as a child JVM on ports fixed for its whole life, so that after a
 * kill -9 it comes back where every worker expects it, with its records and (in {@code _schemas}) its
 * schemas. Shared by the trials of a run; each trial has its own topic prefix.
 */
final class Broker implements AutoCloseable {
    final int port;
    final int registryPort;
    final Child child;
    /** Null, or the proxy every client reaches the broker through (it advertises the proxy's address). */
    final FaultProxy proxy;

    Broker(Path dir, Path log, Map<String, String> extraArgs) throws IOException {
        this(dir, log, extraArgs, false);
    }

    /**
     * A broker that clients reach only through a {@link FaultProxy} in this JVM: {@code certflow broker
     * --advertised-listener} names the proxy, so a client bootstrapped anywhere connects through it and a
     * black-holed proxy cuts every client off while the broker itself runs on.
     */
    static Broker behindProxy(Path dir, Path log) throws IOException {
        return new Broker(dir, log, Map.of(), true);
    }

    private Broker(Path dir, Path log, Map<String, String> extraArgs, boolean proxied) throws IOException {
        port = freePort();
        registryPort = freePort();
        proxy = proxied ? new FaultProxy("127.0.0.1", port) : null;
        List<String> args = new ArrayList<>(List.of("broker", "--port", Integer.toString(port), "--registry-port", Integer.toString(registryPort),
                "--dir", dir.toString(), "--ops-port", "0"));
        if (proxy != null) {
            args.addAll(List.of("--advertised-listener", "127.0.0.1:" + proxy.port()));
        }
        extraArgs.forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
        child = new Child("broker", "320m", Map.of(), log, args.toArray(String[]::new));
    }

    Broker start() throws Exception {
        child.start();
        child.await("certflow broker ready");
        return this;
    }

    /** Where clients connect: the proxy when there is one. */
    String bootstrap() {
        return "127.0.0.1:" + (proxy != null ? proxy.port() : port);
    }

    String registryUrl() {
        return "http://127.0.0.1:" + registryPort;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        child.close();
        if (proxy != null) {
            proxy.close();
        }
    }
}
