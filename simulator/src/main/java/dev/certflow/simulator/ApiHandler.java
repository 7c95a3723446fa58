package dev.certflow.simulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.certflow.runtime.ops.QueryStrings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Common part of the three simulated APIs: injected faults, JSON/HTML responses, query parsing.
 * Subclasses answer exactly as their vendor documents.
 */
abstract class ApiHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    static final ObjectMapper MAPPER = new ObjectMapper();

    final Fleet fleet;
    final SimClock clock;
    final SimulatorOptions options;
    final Faults faults;

    ApiHandler(Fleet fleet, SimClock clock, SimulatorOptions options, Faults faults) {
        this.fleet = fleet;
        this.clock = clock;
        this.options = options;
        this.faults = faults;
    }

    /** Answers the request unless {@link #preempt} or an injected fault already did. */
    abstract void serve(HttpExchange exchange) throws IOException;

    /**
     * The vendor's error body for an HTTP status (429 and 500 are injected faults); {@code echo} (see
     * {@link #echo}) goes where the vendor writes its message.
     */
    abstract Object errorBody(int status, String path, String echo);

    /** Answers as the vendor does when it refuses the credentials (an injected auth fault). */
    abstract void refuseCredentials(HttpExchange exchange, String echo) throws IOException;

    /**
     * What the request sent, credentials first, for an error message ({@link SimulatorOptions#echoRequests});
     * empty when off. Reads the request body, so only for answers that end the request.
     */
    String echo(HttpExchange exchange) throws IOException {
        if (!options.echoRequests) {
            return "";
        }
        StringBuilder sb = new StringBuilder("[you sent ");
        for (String header : List.of("X-Auth-Token", "X-API-TOKEN", "Authorization")) {
            String v = exchange.getRequestHeaders().getFirst(header);
            if (v != null) {
                sb.append(header).append(": ").append(v).append(' ');
            }
        }
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null) {
            sb.append(query).append(' ');
        }
        byte[] body = exchange.getRequestBody().readAllBytes();
        if (body.length > 0) {
            sb.append(new String(body, StandardCharsets.UTF_8)).append(' ');
        }
        return sb.append(exchange.getRequestMethod()).append(' ').append(exchange.getRequestURI().getRawPath()).append("] ").toString();
    }

    /** The vendor's content type. */
    String contentType() {
        return "application/json";
    }

    /** Scripted behaviour that comes before faults (an outage); true when it answered. */
    boolean preempt(HttpExchange exchange) throws IOException {
        return false;
    }

    @Override
    public final void handle(HttpExchange exchange) {
        String path = exchange.getRequestURI().getPath();
        try {
            if (preempt(exchange)) {
                return;
            }
            if (faults.slow()) {
                // simulated latency of a slow upstream; the client's timeout is what is being exercised
                Thread.sleep(options.slowDelay.toMillis());
            }
            switch (faults.next()) {
                case TOO_MANY_REQUESTS -> {
                    exchange.getResponseHeaders().set("Retry-After", Integer.toString(options.retryAfterSeconds));
                    sendJson(exchange, 429, errorBody(429, path, echo(exchange)));
                }
                case SERVER_ERROR -> sendJson(exchange, 500, errorBody(500, path, echo(exchange)));
                case HTML_ERROR -> sendHtml(exchange, 502, "502 Bad Gateway");
                case AUTH_ERROR -> refuseCredentials(exchange, echo(exchange));
                case NONE -> serve(exchange);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Simulated API failed to answer {} {}: {}", exchange.getRequestMethod(), path, e.toString());
            try {
                if (exchange.getResponseCode() == -1) {
                    sendJson(exchange, 500, errorBody(500, path, ""));
                }
            } catch (IOException | RuntimeException ignored) {
                // the client went away; nothing left to tell it
            }
        } finally {
            exchange.close();
        }
    }

    void sendJson(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = MAPPER.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", contentType() + "; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Streams a large JSON body so memory does not grow with the listing. */
    void streamJson(HttpExchange exchange, JsonWriter writer) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType() + "; charset=utf-8");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = new BufferedOutputStream(exchange.getResponseBody(), 1 << 16);
             JsonGenerator gen = MAPPER.getFactory().createGenerator(out)) {
            writer.write(gen);
        }
    }

    static void sendHtml(HttpExchange exchange, int status, String title) throws IOException {
        byte[] bytes = ("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title
                + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/html");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** A certificate of the fleet as a {@link Faults} listing names it. */
    static long id(int unit, int index) {
        return ((long) unit << 32) | index;
    }

    /** The unit's certificates listed at {@code now}, less those {@code omitted} (a shrunk listing), in listing order. */
    int[] listed(int unit, Instant now, Set<Long> omitted) {
        int[] all = fleet.presentIndexes(unit, now, 0, Integer.MAX_VALUE);
        return omitted.isEmpty() ? all : Arrays.stream(all).filter(i -> !omitted.contains(id(unit, i))).toArray();
    }

    /** Every certificate of the unit listed at {@code now}, as {@link #id}s (what a shrinking listing chooses from). */
    long[] present(int unit, Instant now) {
        return Arrays.stream(fleet.presentIndexes(unit, now, 0, Integer.MAX_VALUE)).mapToLong(i -> id(unit, i)).toArray();
    }

    static Map<String, String> query(HttpExchange exchange) {
        return QueryStrings.parse(exchange.getRequestURI().getRawQuery());
    }

    /** Parses an optional integer parameter; null when absent, throws NumberFormatException when not one. */
    static Integer intParam(Map<String, String> params, String name) {
        String v = params.get(name);
        return v == null ? null : Integer.valueOf(v.trim());
    }

    @FunctionalInterface
    interface JsonWriter {
        void write(JsonGenerator gen) throws IOException;
    }
}
