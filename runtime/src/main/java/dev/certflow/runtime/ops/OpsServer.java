package dev.certflow.runtime.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The small HTTP endpoint of every long-running command: {@code /health} (the process is alive and
 * its workers have not died), {@code /ready} (it is doing its job: broker reachable, streams
 * RUNNING...), and {@code /metrics} in Prometheus text format. Modules register their checks and
 * extra routes (the streams query API) on the same server.
 */
public final class OpsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);

    private final PrometheusMeterRegistry registry;
    private final Map<String, BooleanSupplier> healthChecks = new ConcurrentHashMap<>();
    private final Map<String, BooleanSupplier> readyChecks = new ConcurrentHashMap<>();
    private final HttpServer server;
    private final ExecutorService executor;

    private OpsServer(PrometheusMeterRegistry registry, HttpServer server, ExecutorService executor) {
        this.registry = registry;
        this.server = server;
        this.executor = executor;
    }

    /** A Prometheus registry with the JVM binders, for commands and tests that want meters without HTTP. */
    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }

    /** Starts on host:port (port 0 picks a free one). */
    public static OpsServer start(String host, int port, PrometheusMeterRegistry registry) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "ops-http");
            t.setDaemon(true);
            return t;
        });
        OpsServer ops = new OpsServer(registry, server, executor);
        server.createContext("/health", ex -> ops.check(ex, ops.healthChecks));
        server.createContext("/ready", ex -> ops.check(ex, ops.readyChecks));
        server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        server.setExecutor(executor);
        server.start();
        LOG.info("Ops endpoint on http://{}:{} (/health, /ready, /metrics)", host, ops.port());
        return ops;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        String host = server.getAddress().getAddress().isAnyLocalAddress() ? "127.0.0.1" : server.getAddress().getHostString();
        return "http://" + host + ":" + port();
    }

    /** Adds a named liveness check; {@code /health} answers 503 while any is false. */
    public void addHealthCheck(String name, BooleanSupplier check) {
        healthChecks.put(name, check);
    }

    /** Adds a named readiness check; {@code /ready} answers 503 while any is false. */
    public void addReadyCheck(String name, BooleanSupplier check) {
        readyChecks.put(name, check);
    }

    /** Serves another path (for example the streams query API under {@code /v1}). */
    public void addRoute(String path, HttpHandler handler) {
        server.createContext(path, handler);
    }

    private void check(HttpExchange exchange, Map<String, BooleanSupplier> checks) throws IOException {
        StringBuilder body = new StringBuilder("{");
        boolean ok = true;
        for (Map.Entry<String, BooleanSupplier> e : new java.util.TreeMap<>(checks).entrySet()) {
            boolean up;
            try {
                up = e.getValue().getAsBoolean();
            } catch (RuntimeException ex) {
                up = false;
            }
            ok &= up;
            if (body.length() > 1) {
                body.append(',');
            }
            body.append('"').append(e.getKey()).append("\":\"").append(up ? "UP" : "DOWN").append('"');
        }
        body.append('}');
        String json = "{\"status\":\"" + (ok ? "UP" : "DOWN") + "\",\"checks\":" + body + "}";
        respond(exchange, ok ? 200 : 503, "application/json", json);
    }

    /** Writes a whole response and closes the exchange. */
    public static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        registry.close();
    }
}
