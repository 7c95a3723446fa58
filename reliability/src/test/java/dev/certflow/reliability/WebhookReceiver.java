package dev.certflow.reliability;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sink's webhook channel's receiver: counts every delivery by its {@code Idempotency-Key}
 * (alertId:status:firedAt, one per transition), and answers 503 while {@link #down} is set, as a
 * receiver that is down would.
 */
final class WebhookReceiver implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, Integer> deliveries = new ConcurrentHashMap<>();
    private final AtomicInteger refused = new AtomicInteger();
    volatile boolean down;

    WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "webhook-receiver");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            if (down) {
                refused.incrementAndGet();
                exchange.sendResponseHeaders(503, -1);
            } else {
                String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
                deliveries.merge(key == null ? "(none)" : key, 1, Integer::sum);
                exchange.sendResponseHeaders(204, -1);
            }
            exchange.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** Deliveries accepted, by Idempotency-Key. */
    Map<String, Integer> deliveries() {
        return Map.copyOf(deliveries);
    }

    int refused() {
        return refused.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
