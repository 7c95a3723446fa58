package dev.certflow.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Silence;
import dev.certflow.events.SilenceMatchOp;
import dev.certflow.events.SilenceMatcher;
import dev.certflow.runtime.config.Durations;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.runtime.ops.QueryStrings;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The query API's alert endpoints, mounted at {@code /v1/alerts} and {@code /v1/silences}:
 * <ul>
 *   <li>{@code GET /v1/alerts} is the query API's (given as {@code reads})</li>
 *   <li>{@code POST /v1/alerts/{id}/ack} acknowledges the alert's incident (body optional:
 *       {@code {"acknowledgedBy": "...", "comment": "..."}}); 404 when no such alert is firing</li>
 *   <li>{@code GET /v1/silences[?active=true]} every silence, from the global store each instance keeps</li>
 *   <li>{@code POST /v1/silences} {@code {"matchers":[{"name":"kind","value":"EXPIRING","op":"EQUAL"}],
 *       "startsAt":"...", "endsAt":"..." or "duration":"2h", "createdBy":"...", "comment":"..."}}: 201 with the silence</li>
 *   <li>{@code DELETE /v1/silences/{id}} expires it now (written again with {@code endsAt} = now)</li>
 * </ul>
 * Writes need the write token ({@link ApiAuth}); each is written to its compacted topic before the
 * answer, so a 201 means every instance and the sink will see it.
 */
final class WriteApi implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(WriteApi.class);
    private static final String JSON = "application/json";
    private static final int MAX_BODY = 64 * 1024;
    private static final Pattern MATCHER_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Set<String> SILENCE_FIELDS = Set.of("matchers", "startsAt", "endsAt", "duration", "createdBy", "comment");
    private static final Set<String> ACK_FIELDS = Set.of("acknowledgedBy", "comment");

    /** Where accepted writes go: the compacted topics (synchronously, so the answer follows the write). */
    interface Publisher {
        void silence(Silence silence) throws Exception;

        void acknowledgement(Acknowledgement ack) throws Exception;
    }

    /** A request the API refuses with 400, naming the field. */
    static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    private final QueryService queries;
    private final ApiAuth auth;
    private final Publisher publisher;
    private final HttpHandler reads;

    /** @param reads answers {@code GET /v1/alerts} (the paged list of the query API) */
    WriteApi(QueryService queries, ApiAuth auth, Publisher publisher, HttpHandler reads) {
        this.queries = queries;
        this.auth = auth;
        this.publisher = publisher;
        this.reads = reads;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        if (path.equals("/v1/alerts") && "GET".equals(method)) {
            reads.handle(ex);
            return;
        }
        try {
            boolean write = !"GET".equals(method);
            if (write ? !auth.mayWrite(ex) : !auth.mayRead(ex)) {
                return;
            }
            if (write && publisher == null) {
                error(ex, 503, "this instance does not accept writes (it has no producer)");
                return;
            }
            Map<String, String> q = QueryStrings.parse(ex.getRequestURI().getRawQuery());
            if (path.startsWith("/v1/alerts/") && path.endsWith("/ack") && "POST".equals(method)) {
                ack(ex, path.substring("/v1/alerts/".length(), path.length() - "/ack".length()));
            } else if (path.equals("/v1/silences") && "GET".equals(method)) {
                long now = queries.now();
                boolean activeOnly = "true".equals(q.get("active"));
                ArrayNode items = AvroJson.MAPPER.createArrayNode();
                for (Silence s : queries.silences()) {
                    if (!activeOnly || active(s, now)) {
                        items.add(json(s, now));
                    }
                }
                list(ex, items);
            } else if (path.equals("/v1/silences") && "POST".equals(method)) {
                Silence s = newSilence(body(ex, SILENCE_FIELDS), queries.now());
                publisher.silence(s);
                LOG.info("Silence {} created by {} until {}", s.getSilenceId(), s.getCreatedBy(), s.getEndsAt());
                OpsServer.respond(ex, 201, JSON, AvroJson.MAPPER.writeValueAsString(json(s, queries.now())));
            } else if (path.startsWith("/v1/silences/") && "DELETE".equals(method)) {
                expire(ex, path.substring("/v1/silences/".length()));
            } else if (path.equals("/v1/silences") || path.startsWith("/v1/silences/") || path.startsWith("/v1/alerts")) {
                error(ex, 405, method + " is not supported on " + path);
            } else {
                error(ex, 404, "no such endpoint " + path);
            }
        } catch (BadRequest e) {
            error(ex, 400, e.getMessage());
        } catch (QueryService.Unavailable | InvalidStateStoreException e) {
            LOG.info("Alert API request not answerable now: {}", e.getMessage());
            ex.getResponseHeaders().set("Retry-After", Long.toString(QueryApi.RETRY_AFTER_SECONDS));
            error(ex, 503, "not answerable now: " + e.getMessage());
        } catch (Exception e) {
            LOG.warn("{} {} failed: {}", method, path, e.getClass().getSimpleName());
            error(ex, 500, "internal error: " + e.getClass().getSimpleName());
        }
    }

    static boolean ownerMatches(String wanted, JsonNode owner) {
        if (wanted == null || wanted.isEmpty()) {
            return true;
        }
        boolean unowned = owner == null || owner.isNull() || owner.isMissingNode();
        return "-".equals(wanted) ? unowned : !unowned && wanted.equals(owner.asText());
    }

    private void ack(HttpExchange ex, String alertId) throws Exception {
        if (alertId.isEmpty() || alertId.contains("/")) {
            throw new BadRequest("path must be /v1/alerts/{alertId}/ack");
        }
        ObjectNode body = body(ex, ACK_FIELDS);
        JsonNode alert = null;
        for (JsonNode a : queries.activeAlerts(false)) {
            if (alertId.equals(a.path("alertId").asText())) {
                alert = a;
            }
        }
        if (alert == null) {
            error(ex, 404, "no firing alert with id " + alertId);
            return;
        }
        String incident = alert.path("incidentId").isTextual() ? alert.path("incidentId").asText() : Alerts.ownIncident(alertId);
        Acknowledgement ack = Acknowledgement.newBuilder()
                .setIncidentId(incident)
                .setAlertId(alertId)
                .setAcknowledgedBy(text(body, "acknowledgedBy", false))
                .setAcknowledgedAt(Instant.ofEpochMilli(queries.now()))
                .setComment(text(body, "comment", false))
                .build();
        publisher.acknowledgement(ack);
        LOG.info("Incident {} acknowledged (alert {}) by {}", incident, alertId, ack.getAcknowledgedBy());
        OpsServer.respond(ex, 201, JSON, AvroJson.MAPPER.writeValueAsString(AvroJson.of(ack)));
    }

    private void expire(HttpExchange ex, String id) throws Exception {
        Silence s = id.isEmpty() ? null : queries.silence(id);
        if (s == null) {
            error(ex, 404, "no silence with id " + id);
            return;
        }
        long now = queries.now();
        if (s.getEndsAt().toEpochMilli() <= now) {
            OpsServer.respond(ex, 200, JSON, AvroJson.MAPPER.writeValueAsString(json(s, now)));
            return;
        }
        Instant at = Instant.ofEpochMilli(now);
        Silence expired = Silence.newBuilder(s)
                .setStartsAt(s.getStartsAt().isAfter(at) ? at : s.getStartsAt())
                .setEndsAt(at)
                .setUpdatedAt(at)
                .build();
        publisher.silence(expired);
        LOG.info("Silence {} expired", id);
        OpsServer.respond(ex, 200, JSON, AvroJson.MAPPER.writeValueAsString(json(expired, now)));
    }

    /** Parses and checks a new silence; every refusal names the field. */
    static Silence newSilence(ObjectNode body, long now) {
        JsonNode ms = body.path("matchers");
        if (!ms.isArray() || ms.isEmpty()) {
            throw new BadRequest("field 'matchers' must be a non-empty array of {name, value, op}");
        }
        List<SilenceMatcher> matchers = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            String at = "matchers[" + i + "]";
            if (!m.isObject()) {
                throw new BadRequest("field '" + at + "' must be an object {name, value, op}");
            }
            for (Iterator<String> it = m.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!Set.of("name", "value", "op").contains(f)) {
                    throw new BadRequest("unknown field '" + at + "." + f + "' (known: name, value, op)");
                }
            }
            String name = m.path("name").asText("");
            if (!MATCHER_NAME.matcher(name).matches()) {
                throw new BadRequest("field '" + at + ".name' must be a label name such as kind, severity, owner, tenant, source, "
                        + "source_kind, certificate_key, got '" + abbreviate(name) + "'");
            }
            if (!m.path("value").isTextual()) {
                throw new BadRequest("field '" + at + ".value' must be a string");
            }
            String value = m.path("value").asText();
            SilenceMatchOp op;
            String opText = m.path("op").isMissingNode() || m.path("op").isNull() ? "EQUAL" : m.path("op").asText();
            try {
                op = SilenceMatchOp.valueOf(opText.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new BadRequest("field '" + at + ".op' must be EQUAL, NOT_EQUAL, REGEX or NOT_REGEX, got '" + abbreviate(opText) + "'");
            }
            if (op == SilenceMatchOp.REGEX || op == SilenceMatchOp.NOT_REGEX) {
                try {
                    Pattern.compile(value);
                } catch (PatternSyntaxException e) {
                    throw new BadRequest("field '" + at + ".value' is not a valid regular expression: " + e.getDescription());
                }
            }
            matchers.add(SilenceMatcher.newBuilder().setName(name).setValue(value).setOp(op).build());
        }
        Instant startsAt = body.hasNonNull("startsAt") ? instant(body, "startsAt") : Instant.ofEpochMilli(now);
        Instant endsAt;
        if (body.hasNonNull("endsAt") && body.hasNonNull("duration")) {
            throw new BadRequest("give field 'endsAt' or field 'duration', not both");
        } else if (body.hasNonNull("endsAt")) {
            endsAt = instant(body, "endsAt");
        } else if (body.hasNonNull("duration")) {
            Duration d;
            try {
                d = Durations.parse(body.path("duration").asText());
            } catch (IllegalArgumentException e) {
                throw new BadRequest("field 'duration': " + e.getMessage());
            }
            if (d.isNegative() || d.isZero()) {
                throw new BadRequest("field 'duration' must be positive");
            }
            endsAt = startsAt.plus(d);
        } else {
            throw new BadRequest("field 'endsAt' or field 'duration' is required");
        }
        if (!endsAt.isAfter(startsAt)) {
            throw new BadRequest("field 'endsAt' (" + endsAt + ") must be after startsAt (" + startsAt + ")");
        }
        if (endsAt.toEpochMilli() <= now) {
            throw new BadRequest("field 'endsAt' (" + endsAt + ") is in the past");
        }
        String createdBy = text(body, "createdBy", true);
        Instant at = Instant.ofEpochMilli(now);
        return Silence.newBuilder()
                .setSilenceId(UUID.randomUUID().toString())
                .setMatchers(matchers)
                .setStartsAt(startsAt)
                .setEndsAt(endsAt)
                .setCreatedBy(createdBy)
                .setComment(text(body, "comment", false))
                .setCreatedAt(at)
                .setUpdatedAt(at)
                .build();
    }

    static boolean active(Silence s, long now) {
        return s.getStartsAt().toEpochMilli() <= now && now < s.getEndsAt().toEpochMilli();
    }

    private static ObjectNode json(Silence s, long now) {
        ObjectNode n = AvroJson.of(s);
        n.put("state", now < s.getStartsAt().toEpochMilli() ? "pending" : active(s, now) ? "active" : "expired");
        return n;
    }

    private static Instant instant(ObjectNode body, String field) {
        String text = body.path(field).asText();
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new BadRequest("field '" + field + "' must be an ISO-8601 UTC instant such as 2026-01-01T09:00:00Z, got '" + abbreviate(text) + "'");
        }
    }

    private static String text(ObjectNode body, String field, boolean required) {
        JsonNode v = body.path(field);
        if (v.isMissingNode() || v.isNull()) {
            if (required) {
                throw new BadRequest("field '" + field + "' is required");
            }
            return "";
        }
        if (!v.isTextual()) {
            throw new BadRequest("field '" + field + "' must be a string");
        }
        if (required && v.asText().isBlank()) {
            throw new BadRequest("field '" + field + "' must not be empty");
        }
        if (v.asText().length() > 1000) {
            throw new BadRequest("field '" + field + "' is longer than 1000 characters");
        }
        return v.asText();
    }

    /** The JSON object body (empty body = {}); unknown fields are refused by name. */
    private static ObjectNode body(HttpExchange ex, Set<String> known) throws IOException {
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY + 1);
        }
        if (bytes.length > MAX_BODY) {
            throw new BadRequest("request body is larger than " + MAX_BODY + " bytes");
        }
        if (bytes.length == 0) {
            return AvroJson.MAPPER.createObjectNode();
        }
        JsonNode node;
        try {
            node = AvroJson.MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new BadRequest("request body is not valid JSON: " + e.getClass().getSimpleName());
        }
        if (node == null || node.isMissingNode()) {
            return AvroJson.MAPPER.createObjectNode();
        }
        if (!node.isObject()) {
            throw new BadRequest("request body must be a JSON object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw new BadRequest("unknown field '" + abbreviate(f) + "' (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
            }
        }
        return (ObjectNode) node;
    }

    private static String abbreviate(String s) {
        return Alerts.abbreviate(s, 80);
    }

    private static void list(HttpExchange ex, ArrayNode items) throws IOException {
        ObjectNode body = AvroJson.MAPPER.createObjectNode();
        body.put("count", items.size());
        body.set("items", items);
        OpsServer.respond(ex, 200, JSON, AvroJson.MAPPER.writeValueAsString(body));
    }

    static void error(HttpExchange ex, int status, String message) throws IOException {
        ObjectNode body = AvroJson.MAPPER.createObjectNode();
        body.put("error", message);
        OpsServer.respond(ex, status, JSON, AvroJson.MAPPER.writeValueAsString(body));
    }
}
