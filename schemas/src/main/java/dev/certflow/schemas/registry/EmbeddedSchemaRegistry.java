package dev.certflow.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An in-memory schema registry served over HTTP: the subset of the Confluent Schema Registry REST
 * API (v1) that serializers, deserializers and common tools use, with the registry's error format.
 * It is the one-JVM mode's registry, so local topics can be read by any Confluent-compatible
 * consumer. Not for production: nothing is persisted.
 *
 * <ul>
 *   <li>{@code POST /subjects/{s}/versions} register, {@code POST /subjects/{s}} look up</li>
 *   <li>{@code GET /schemas/ids/{id}}, {@code GET /schemas/ids/{id}/schema}, {@code GET /schemas/types}</li>
 *   <li>{@code GET /subjects}, {@code GET /subjects/{s}/versions}, {@code GET /subjects/{s}/versions/{v|latest}}
 *       and {@code .../schema}</li>
 *   <li>{@code POST /compatibility/subjects/{s}/versions/{v|latest}}</li>
 *   <li>{@code GET /config}, {@code GET /config/{s}} (always BACKWARD)</li>
 * </ul>
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MockSchemaRegistry store;
    private final HttpServer server;
    private final ExecutorService executor;

    private EmbeddedSchemaRegistry(MockSchemaRegistry store, HttpServer server, ExecutorService executor) {
        this.store = store;
        this.server = server;
        this.executor = executor;
    }

    /** Starts on 127.0.0.1; port 0 picks a free one. */
    public static EmbeddedSchemaRegistry start(int port) throws IOException {
        return start(new MockSchemaRegistry(), port);
    }

    public static EmbeddedSchemaRegistry start(MockSchemaRegistry store, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "schema-registry-http");
            t.setDaemon(true);
            return t;
        });
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(store, server, executor);
        server.createContext("/", registry::handle);
        server.setExecutor(executor);
        server.start();
        LOG.info("Embedded schema registry listening on {}", registry.url());
        return registry;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public MockSchemaRegistry store() {
        return store;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String[] p = segments(exchange.getRequestURI().getRawPath());
            try {
                JsonNode answer = route(method, p, exchange.getRequestBody());
                send(exchange, 200, answer);
            } catch (SchemaRegistryException e) {
                ObjectNode error = JSON.createObjectNode();
                error.put("error_code", e.errorCode());
                error.put("message", e.getMessage());
                send(exchange, e.httpStatus(), error);
            } catch (RuntimeException e) {
                ObjectNode error = JSON.createObjectNode();
                error.put("error_code", SchemaRegistryException.STORE_ERROR);
                error.put("message", "Internal error: " + e.getMessage());
                send(exchange, 500, error);
            }
        }
    }

    private JsonNode route(String method, String[] p, InputStream body) throws IOException {
        if (p.length == 1 && p[0].equals("subjects") && method.equals("GET")) {
            ArrayNode out = JSON.createArrayNode();
            store.subjects().forEach(out::add);
            return out;
        }
        if (p.length >= 2 && p[0].equals("subjects")) {
            String subject = p[1];
            if (p.length == 2 && method.equals("POST")) {
                Schema schema = readSchema(body);
                int id = store.lookup(subject, schema);
                return registered(subject, store.versionOf(subject, id), id, schema);
            }
            if (p.length == 3 && p[2].equals("versions") && method.equals("POST")) {
                int id = store.register(subject, readSchema(body));
                ObjectNode out = JSON.createObjectNode();
                out.put("id", id);
                return out;
            }
            if (p.length == 3 && p[2].equals("versions") && method.equals("GET")) {
                ArrayNode out = JSON.createArrayNode();
                store.versions(subject).forEach(out::add);
                return out;
            }
            if ((p.length == 4 || (p.length == 5 && p[4].equals("schema"))) && p[2].equals("versions") && method.equals("GET")) {
                SchemaRegistryClient.RegisteredSchema v = store.version(subject, version(p[3]));
                if (p.length == 5) {
                    return JSON.readTree(v.schema().toString());
                }
                return registered(v.subject(), v.version(), v.id(), v.schema());
            }
        }
        if (p.length >= 3 && p[0].equals("schemas") && p[1].equals("ids") && method.equals("GET")) {
            int id = parseInt(p[2], SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema " + p[2] + " not found");
            Schema schema = store.getById(id);
            if (p.length == 4 && p[3].equals("schema")) {
                return JSON.readTree(schema.toString());
            }
            ObjectNode out = JSON.createObjectNode();
            out.put("schema", schema.toString());
            return out;
        }
        if (p.length == 2 && p[0].equals("schemas") && p[1].equals("types") && method.equals("GET")) {
            return JSON.createArrayNode().add("AVRO");
        }
        if (p.length == 5 && p[0].equals("compatibility") && p[1].equals("subjects") && p[3].equals("versions")
                && method.equals("POST")) {
            Schema schema = readSchema(body);
            store.version(p[2], version(p[4])); // 40401/40402 when there is nothing to compare with
            ObjectNode out = JSON.createObjectNode();
            out.put("is_compatible", store.isCompatible(p[2], schema));
            return out;
        }
        if (p.length >= 1 && p.length <= 2 && p[0].equals("config") && method.equals("GET")) {
            ObjectNode out = JSON.createObjectNode();
            out.put("compatibilityLevel", "BACKWARD");
            return out;
        }
        if (p.length == 0 && method.equals("GET")) {
            return JSON.createObjectNode();
        }
        throw new SchemaRegistryException(404, 404, "HTTP 404 Not Found");
    }

    private static ObjectNode registered(String subject, int version, int id, Schema schema) {
        ObjectNode out = JSON.createObjectNode();
        out.put("subject", subject);
        out.put("version", version);
        out.put("id", id);
        out.put("schema", schema.toString());
        return out;
    }

    private static int version(String text) {
        if (text.equals("latest") || text.equals("-1")) {
            return -1;
        }
        return parseInt(text, SchemaRegistryException.INVALID_VERSION,
                "The specified version '" + text + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }

    private static int parseInt(String text, int errorCode, String message) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new SchemaRegistryException(errorCode == SchemaRegistryException.INVALID_VERSION ? 422 : 404, errorCode, message);
        }
    }

    private static Schema readSchema(InputStream body) {
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (IOException e) {
            throw new SchemaRegistryException(400, 400, "Unrecognized request body: " + e.getMessage());
        }
        String type = request.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_SCHEMA, "Unsupported schema type " + type);
        }
        if (!request.hasNonNull("schema")) {
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_SCHEMA, "Empty schema");
        }
        try {
            return new Schema.Parser().parse(request.get("schema").asText());
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_SCHEMA, "Invalid schema: " + e.getMessage());
        }
    }

    private static String[] segments(String rawPath) {
        String trimmed = rawPath.replaceAll("^/+|/+$", "");
        if (trimmed.isEmpty()) {
            return new String[0];
        }
        String[] parts = trimmed.split("/");
        for (int i = 0; i < parts.length; i++) {
            parts[i] = URLDecoder.decode(parts[i], StandardCharsets.UTF_8);
        }
        return parts;
    }

    private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
