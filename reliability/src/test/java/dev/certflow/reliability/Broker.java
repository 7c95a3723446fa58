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

    Broker(Path dir, Path log, Map<String, String> extraArgs) throws IOException {
        port = freePort();
        registryPort = freePort();
        List<String> args = new ArrayList<>(List.of("broker", "--port", Integer.toString(port), "--registry-port", Integer.toString(registryPort),
                "--dir", dir.toString(), "--ops-port", "0"));
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

    String bootstrap() {
        return "127.0.0.1:" + port;
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
    public void close() throws InterruptedException {
        child.close();
    }
}
