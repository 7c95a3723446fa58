package dev.certflow.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.certflow.schemas.registry.MockSchemaRegistry;
import dev.certflow.schemas.registry.SchemaRegistryClient;
import dev.certflow.schemas.registry.SchemaRegistryException;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 *   <li>{@code GET /schemas/ids/{id}}, {@code .../schema}, {@code .../versions}, {@code .../subjects},
 *       {@code GET /schemas/types}</li>
 *   <li>{@code GET /subjects[?deleted=true]}, {@code GET /subjects/{s}/versions[?deleted=true]},
 *       {@code GET /subjects/{s}/versions/{v|latest}} and {@code .../schema}</li>
 *   <li>{@code DELETE /subjects/{s}[?permanent=true]}, {@code DELETE /subjects/{s}/versions/{v}[?permanent=true]}
 *       (soft delete first, as Confluent's)</li>
 *   <li>{@code POST /compatibility/subjects/{s}/versions/{v|latest}}</li>
 *   <li>{@code GET|PUT /config}, {@code GET|PUT|DELETE /config/{s}} ({@code ?defaultToGlobal=true}); BACKWARD
 *       unless set</li>
 * </ul>
 * Answers are {@code application/vnd.schemaregistry.v1+json}, or {@code application/json} when that
 * is all the Accept header lists.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    private static final String V1_JSON = "application/vnd.schemaregistry.v1+json";
    private static final String DEFAULT_JSON = "application/vnd.schemaregistry+json";
    private static final String JSON_TYPE = "application/json";
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
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            String contentType = contentType(exchange.getRequestHeaders().get("Accept"));
            if (contentType == null) {
                ObjectNode error = JSON.createObjectNode();
                error.put("error_code", 406);
                error.put("message", "HTTP 406 Not Acceptable: answers are " + V1_JSON + ", " + DEFAULT_JSON + " or " + JSON_TYPE);
                send(exchange, 406, V1_JSON, error);
                return;
            }
            try {
                JsonNode answer = route(method, p, query, exchange.getRequestBody());
                send(exchange, 200, contentType, answer);
            } catch (SchemaRegistryException e) {
                ObjectNode error = JSON.createObjectNode();
                error.put("error_code", e.errorCode());
                error.put("message", e.getMessage());
                send(exchange, e.httpStatus(), contentType, error);
            } catch (RuntimeException e) {
                ObjectNode error = JSON.createObjectNode();
                error.put("error_code", SchemaRegistryException.STORE_ERROR);
                error.put("message", "Internal error: " + e.getMessage());
                send(exchange, 500, contentType, error);
            }
        }
    }

    private JsonNode route(String method, String[] p, Map<String, String> query, InputStream body) throws IOException {
        boolean deleted = "true".equalsIgnoreCase(query.get("deleted"));
        boolean permanent = "true".equalsIgnoreCase(query.get("permanent"));
        if (p.length == 1 && p[0].equals("subjects") && method.equals("GET")) {
            return ints(null, store.subjects(deleted));
        }
        if (p.length >= 2 && p[0].equals("subjects")) {
            String subject = p[1];
            if (p.length == 2 && method.equals("POST")) {
                SchemaRegistryClient.RegisteredSchema found = store.lookupVersion(subject, readSchema(body));
                return registered(found.subject(), found.version(), found.id(), found.schema());
            }
            if (p.length == 2 && method.equals("DELETE")) {
                return ints(store.deleteSubject(subject, permanent), null);
            }
            if (p.length == 3 && p[2].equals("versions") && method.equals("POST")) {
                int id = store.register(subject, readSchema(body));
                ObjectNode out = JSON.createObjectNode();
                out.put("id", id);
                return out;
            }
            if (p.length == 3 && p[2].equals("versions") && method.equals("GET")) {
                return ints(store.versions(subject, deleted), null);
            }
            if (p.length == 4 && p[2].equals("versions") && method.equals("DELETE")) {
                return JSON.getNodeFactory().numberNode(store.deleteVersion(subject, version(p[3]), permanent));
            }
            if ((p.length == 4 || (p.length == 5 && p[4].equals("schema"))) && p[2].equals("versions") && method.equals("GET")) {
                SchemaRegistryClient.RegisteredSchema v = store.version(subject, version(p[3]));
                if (p.length == 5) {
                    return JSON.readTree(v.schema().toString());
                }
                return registered(v.subject(), v.version(), v.id(), v.schema());
            }
        }
        if (p.length >= 3 && p.length <= 4 && p[0].equals("schemas") && p[1].equals("ids") && method.equals("GET")) {
            int id = parseInt(p[2], SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema " + p[2] + " not found");
            Schema schema = store.getById(id);
            if (p.length == 3) {
                ObjectNode out = JSON.createObjectNode();
                out.put("schema", schema.toString());
                return out;
            }
            switch (p[3]) {
                case "schema":
                    return JSON.readTree(schema.toString());
                case "versions": {
                    ArrayNode out = JSON.createArrayNode();
                    store.versionsOfId(id).forEach(v -> out.addObject().put("subject", v.subject()).put("version", v.version()));
                    return out;
                }
                case "subjects":
                    return ints(null, store.versionsOfId(id).stream().map(SchemaRegistryClient.RegisteredSchema::subject).distinct().toList());
                default:
                    break;
            }
        }
        if (p.length == 2 && p[0].equals("schemas") && p[1].equals("types") && method.equals("GET")) {
            return JSON.createArrayNode().add("AVRO");
        }
        if (p.length == 5 && p[0].equals("compatibility") && p[1].equals("subjects") && p[3].equals("versions")
                && method.equals("POST")) {
            Schema schema = readSchema(body);
            int version = version(p[4]);
            ObjectNode out = JSON.createObjectNode();
            if (version == -1) {
                store.version(p[2], -1); // 40401 when there is nothing to compare with, as Confluent answers
                out.put("is_compatible", store.isCompatible(p[2], schema));
            } else {
                out.put("is_compatible", store.isCompatible(p[2], version, schema));
            }
            return out;
        }
        if (p.length >= 1 && p.length <= 2 && p[0].equals("config")) {
            return config(method, p.length == 2 ? p[1] : null, query, body);
        }
        if (p.length == 0 && method.equals("GET")) {
            return JSON.createObjectNode();
        }
        throw new SchemaRegistryException(404, 404, "HTTP 404 Not Found");
    }

    /** GET/PUT {@code /config} and GET/PUT/DELETE {@code /config/{subject}}, as the Confluent API answers them. */
    private JsonNode config(String method, String subject, Map<String, String> query, InputStream body) {
        ObjectNode out = JSON.createObjectNode();
        switch (method) {
            case "GET" -> {
                MockSchemaRegistry.Compatibility level = subject == null ? store.globalCompatibility() : store.subjectCompatibility(subject);
                if (level == null && "true".equalsIgnoreCase(query.get("defaultToGlobal"))) {
                    level = store.globalCompatibility();
                }
                if (level == null) {
                    throw new SchemaRegistryException(404, SchemaRegistryException.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
                            "Subject '" + subject + "' does not have subject-level compatibility configured");
                }
                out.put("compatibilityLevel", level.name());
            }
            case "PUT" -> {
                JsonNode request = readJson(body);
                MockSchemaRegistry.Compatibility level = MockSchemaRegistry.Compatibility.parse(request.path("compatibility").asText(null));
                if (subject == null) {
                    store.globalCompatibility(level);
                } else {
                    store.subjectCompatibility(subject, level);
                }
                out.put("compatibility", level.name());
            }
            case "DELETE" -> {
                if (subject == null) {
                    throw new SchemaRegistryException(405, 405, "HTTP 405 Method Not Allowed");
                }
                out.put("compatibilityLevel", store.deleteSubjectCompatibility(subject).name());
            }
            default -> throw new SchemaRegistryException(405, 405, "HTTP 405 Method Not Allowed");
        }
        return out;
    }

    private static ArrayNode ints(List<Integer> numbers, List<String> strings) {
        ArrayNode out = JSON.createArrayNode();
        if (numbers != null) {
            numbers.forEach(out::add);
        }
        if (strings != null) {
            strings.forEach(out::add);
        }
        return out;
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
        String message = "The specified version '" + text + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"";
        int version = parseInt(text, SchemaRegistryException.INVALID_VERSION, message);
        if (version < 1) {
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_VERSION, message);
        }
        return version;
    }

    private static int parseInt(String text, int errorCode, String message) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new SchemaRegistryException(errorCode == SchemaRegistryException.INVALID_VERSION ? 422 : 404, errorCode, message);
        }
    }

    private static JsonNode readJson(InputStream body) {
        try {
            JsonNode request = JSON.readTree(body);
            if (request == null || !request.isObject()) {
                throw new SchemaRegistryException(422, 422, "Unrecognized request body: expected a JSON object");
            }
            return request;
        } catch (IOException e) {
            throw new SchemaRegistryException(400, 50005, "Unrecognized request body: " + e.getMessage());
        }
    }

    private static Schema readSchema(InputStream body) {
        JsonNode request = readJson(body);
        String type = request.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_SCHEMA, "Unsupported schema type " + type);
        }
        if (!request.hasNonNull("schema")) {
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_SCHEMA, "Empty schema");
        }
        try {
            return new Schema.Parser().parse(request.get("schema").asText());
        } catch (AvroRuntimeException e) {
            // SchemaParseException, and AvroTypeException for a default that does not fit its field's type
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

    private static Map<String, String> query(String rawQuery) {
        Map<String, String> out = new HashMap<>();
        if (rawQuery != null) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                out.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /**
     * The answer's media type for an Accept header, preferring the registry's own as Confluent's
     * server does: no header or a wildcard gets {@code application/vnd.schemaregistry.v1+json};
     * null when nothing acceptable was asked for.
     */
    static String contentType(List<String> acceptHeaders) {
        List<String> accepted = new ArrayList<>();
        for (String header : acceptHeaders == null ? List.<String>of() : acceptHeaders) {
            for (String part : header.split(",")) {
                String[] typeAndParams = part.split(";");
                boolean refused = false;
                for (int i = 1; i < typeAndParams.length; i++) {
                    refused |= typeAndParams[i].trim().matches("q=0(\\.0*)?");
                }
                if (!refused && !typeAndParams[0].isBlank()) {
                    accepted.add(typeAndParams[0].trim().toLowerCase(java.util.Locale.ROOT));
                }
            }
        }
        if (accepted.isEmpty() || accepted.contains(V1_JSON) || accepted.contains("*/*") || accepted.contains("application/*")) {
            return V1_JSON;
        }
        if (accepted.contains(DEFAULT_JSON)) {
            return DEFAULT_JSON;
        }
        return accepted.contains(JSON_TYPE) ? JSON_TYPE : null;
    }

    private static void send(HttpExchange exchange, int status, String contentType, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
