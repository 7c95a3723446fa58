package dev.certflow.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.runtime.ops.QueryStrings;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The HTTP/JSON query API, mounted under {@code /v1/} on the ops server:
 * <ul>
 *   <li>every list takes {@code owner=NAME} ({@code owner=-}: the unowned); each item has an {@code owner}</li>
 *   <li>{@code GET /v1/certificates/expiring-soon?days=N&tenant=&source=} (days default 30; expiry ascending)</li>
 *   <li>{@code GET /v1/certificates/expiry-unknown}</li>
 *   <li>{@code GET /v1/certificates/renewal-overdue} (longest overdue first)</li>
 *   <li>{@code GET /v1/renewals/failed}</li>
 *   <li>{@code GET /v1/certificates/{key}} (the key's string form as on the topics, or URL-encoded as one segment)</li>
 * </ul>
 * Lists answer {@code {"count":n,"items":[...]}}; {@code local=true} restricts an answer to this
 * instance's partitions (what peers ask each other). 400 for bad parameters, 404 for an unknown
 * key, 503 with {@code Retry-After} while the answer cannot be complete (starting, rebalancing, a
 * peer unreachable); every error has a JSON body {@code {"error": "..."}}.
 */
final class QueryApi implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(QueryApi.class);
    private static final String JSON = "application/json";
    private static final String CERTS = "/v1/certificates/";
    static final long RETRY_AFTER_SECONDS = 2;

    private final QueryService queries;
    private final FleetQueries fleet;

    QueryApi(QueryService queries) {
        this(queries, new FleetQueries.Info("certflow-streams", java.util.List.of(7, 1), true, false, false, false));
    }

    QueryApi(QueryService queries, FleetQueries.Info info) {
        this.queries = queries;
        this.fleet = new FleetQueries(queries, info);
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try {
            if (!"GET".equals(ex.getRequestMethod())) {
                error(ex, 405, "only GET is supported");
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            Map<String, String> q = QueryStrings.parse(ex.getRequestURI().getRawQuery());
            boolean local = "true".equals(q.get("local"));
            if (path.equals("/v1/info")) {
                json(ex, fleet.info());
            } else if (path.equals("/v1/summary")) {
                json(ex, fleet.summary(blankToNull(q.get("tenant")), blankToNull(q.get("source")), owner(q), local));
            } else if (path.equals("/v1/timeline")) {
                String by = q.getOrDefault("by", "tenant");
                if (!java.util.List.of("tenant", "source", "owner", "fleet").contains(by)) {
                    error(ex, 400, "parameter 'by' must be tenant, source, owner or fleet, got '" + by + "'");
                    return;
                }
                json(ex, fleet.timeline(intParam(q, "days", 90, 1, 3650), intParam(q, "bin", 7, 1, 366), by, local));
            } else if (path.equals("/v1/certificates")) {
                json(ex, fleet.certificates(page(q), local));
            } else if (path.equals("/v1/alerts")) {
                String kind = blankToNull(q.get("kind"));
                if (kind != null) {
                    try {
                        kind = dev.certflow.events.AlertKind.valueOf(kind.toUpperCase(java.util.Locale.ROOT)).name();
                    } catch (IllegalArgumentException e) {
                        throw new BadRequest("parameter 'kind' must be one of " + java.util.Arrays.toString(dev.certflow.events.AlertKind.values())
                                + ", got '" + kind + "'");
                    }
                }
                json(ex, fleet.alerts(kind, owner(q), blankToNull(q.get("after")), intParam(q, "size", 100, 1, FleetQueries.MAX_PAGE), local));
            } else if (path.equals("/v1/sources")) {
                list(ex, fleet.sources(local));
            } else if (path.equals("/v1/certificates/expiring-soon")) {
                int days;
                try {
                    days = Integer.parseInt(q.getOrDefault("days", "30"));
                } catch (NumberFormatException e) {
                    error(ex, 400, "parameter 'days' must be a whole number, got '" + q.get("days") + "'");
                    return;
                }
                if (days < 0 || days > 3650) {
                    error(ex, 400, "parameter 'days' must be 0 to 3650, got " + days);
                    return;
                }
                list(ex, q, queries.expiringSoon(days, blankToNull(q.get("tenant")), blankToNull(q.get("source")), local));
            } else if (path.equals("/v1/certificates/expiry-unknown")) {
                list(ex, q, queries.expiryUnknown(local));
            } else if (path.equals("/v1/certificates/renewal-overdue")) {
                list(ex, q, queries.renewalOverdue(local));
            } else if (path.equals("/v1/renewals/failed")) {
                list(ex, q, queries.failedRenewals(local));
            } else if (path.startsWith(CERTS) && path.length() > CERTS.length()) {
                String key;
                try {
                    key = certificateKey(path.substring(CERTS.length()));
                } catch (IllegalArgumentException e) {
                    error(ex, 400, e.getMessage());
                    return;
                }
                JsonNode node = queries.certificate(key, local);
                if (node == null) {
                    error(ex, 404, "no certificate with key " + key);
                } else {
                    OpsServer.respond(ex, 200, JSON, AvroJson.MAPPER.writeValueAsString(node));
                }
            } else {
                error(ex, 404, "no such endpoint " + path);
            }
        } catch (BadRequest e) {
            error(ex, 400, e.getMessage());
        } catch (QueryService.Unavailable | InvalidStateStoreException e) {
            // starting, rebalancing or restoring (a store read can also throw mid-answer): worth a retry soon
            LOG.info("Query not answerable now: {}", e.getMessage());
            ex.getResponseHeaders().set("Retry-After", Long.toString(RETRY_AFTER_SECONDS));
            error(ex, 503, e instanceof QueryService.Unavailable ? e.getMessage() : "state stores not queryable now: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("Query failed: {}", e.toString());
            error(ex, 500, "internal error: " + e.getClass().getSimpleName());
        }
    }

    /**
     * The certificate key of a request path: the key's string form as it is (raw slashes between its
     * parts, as on the topics), or the whole string form URL-encoded as one path segment (slashes as
     * %2F), which is decoded once. Either way the result is parsed and formatted again, so any valid
     * percent-encoding of the parts finds the key.
     */
    static String certificateKey(String rawPathRest) {
        String text = rawPathRest;
        if (!rawPathRest.contains("/")) {
            try {
                // a path, not a form: '+' is a plus sign
                text = URLDecoder.decode(rawPathRest.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("certificate key '" + rawPathRest + "' is not valid URL encoding: " + e.getMessage());
            }
        }
        try {
            return CertificateKeys.format(CertificateKeys.parse(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (give the key's string form, or all of it URL-encoded)");
        }
    }

    /** A parameter the caller got wrong: 400 with the message. */
    static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }

    /** {@code owner}: a team name as the owners rules give it, or {@code -} for the unowned; null when not given. */
    static String owner(Map<String, String> q) {
        String o = blankToNull(q.get("owner"));
        if (o == null) {
            return null;
        }
        o = o.trim();
        if (!o.equals(FleetIndex.UNOWNED) && !o.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new BadRequest("parameter 'owner' must be a team name (letters, digits, '.', '_', '-') or '-' for the unowned, got '"
                    + Alerts.abbreviate(o, 80) + "'");
        }
        return o;
    }

    private static int intParam(Map<String, String> q, String name, int dflt, int min, int max) {
        String v = q.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new BadRequest("parameter '" + name + "' must be a whole number, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new BadRequest("parameter '" + name + "' must be " + min + " to " + max + ", got " + n);
        }
        return n;
    }

    private static Long instantParam(Map<String, String> q, String name) {
        String v = blankToNull(q.get(name));
        if (v == null) {
            return null;
        }
        try {
            return java.time.Instant.parse(v.trim()).toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            throw new BadRequest("parameter '" + name + "' must be an ISO-8601 instant such as 2027-01-31T00:00:00Z, got '" + v + "'");
        }
    }

    /** The parameters of {@code GET /v1/certificates}. */
    static FleetQueries.Page page(Map<String, String> q) {
        FleetIndex.State state = null;
        String s = blankToNull(q.get("state"));
        if (s != null) {
            state = FleetIndex.State.ofLabel(s.trim().toLowerCase(java.util.Locale.ROOT));
            if (state == null) {
                throw new BadRequest("parameter 'state' must be one of " + java.util.Arrays.stream(FleetIndex.State.values()).map(x -> x.label).toList()
                        + ", got '" + s + "'");
            }
        }
        dev.certflow.events.RenewalStatus renewal = null;
        String r = blankToNull(q.get("renewal"));
        if (r != null) {
            try {
                renewal = dev.certflow.events.RenewalStatus.valueOf(r.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new BadRequest("parameter 'renewal' must be one of " + java.util.Arrays.toString(dev.certflow.events.RenewalStatus.values())
                        + ", got '" + r + "'");
            }
        }
        String kind = blankToNull(q.get("kind"));
        if (kind != null) {
            try {
                kind = dev.certflow.events.SourceKind.valueOf(kind.trim().toUpperCase(java.util.Locale.ROOT)).name().toLowerCase(java.util.Locale.ROOT);
            } catch (IllegalArgumentException e) {
                throw new BadRequest("parameter 'kind' must be one of leegality, smoxy, yeastar, got '" + kind + "'");
            }
        }
        String owner = owner(q);
        String sort = q.getOrDefault("sort", "expiry");
        if (!java.util.List.of("expiry", "name", "tenant", "source", "owner").contains(sort)) {
            throw new BadRequest("parameter 'sort' must be expiry, name, tenant, source or owner, got '" + sort + "'");
        }
        String order = q.getOrDefault("order", "asc");
        if (!order.equals("asc") && !order.equals("desc")) {
            throw new BadRequest("parameter 'order' must be asc or desc, got '" + order + "'");
        }
        byte[] after;
        try {
            after = FleetQueries.cursor(q.get("after"));
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        String search = blankToNull(q.get("q"));
        if (search != null && search.length() > 253) {
            throw new BadRequest("parameter 'q' is longer than a DNS name can be (253 characters)");
        }
        return new FleetQueries.Page(state, renewal, blankToNull(q.get("tenant")), blankToNull(q.get("source")), owner, kind,
                search == null ? null : search.trim(), instantParam(q, "expiresFrom"), instantParam(q, "expiresBefore"), sort,
                order.equals("desc"), after, intParam(q, "size", 50, 1, FleetQueries.MAX_PAGE));
    }

    private static void json(HttpExchange ex, JsonNode body) throws IOException {
        OpsServer.respond(ex, 200, JSON, AvroJson.MAPPER.writeValueAsString(body));
    }

    /** A list answer; {@code owner=NAME} keeps that owner's items, {@code owner=-} the unowned ones. */
    private static void list(HttpExchange ex, Map<String, String> q, ArrayNode all) throws IOException {
        ArrayNode items = AvroJson.MAPPER.createArrayNode();
        all.forEach(n -> {
            if (WriteApi.ownerMatches(q.get("owner"), n.path("owner"))) {
                items.add(n);
            }
        });
        list(ex, items);
    }

    private static void list(HttpExchange ex, ArrayNode items) throws IOException {
        ObjectNode body = AvroJson.MAPPER.createObjectNode();
        body.put("count", items.size());
        body.set("items", items);
        OpsServer.respond(ex, 200, JSON, AvroJson.MAPPER.writeValueAsString(body));
    }

    private static void error(HttpExchange ex, int status, String message) throws IOException {
        ObjectNode body = AvroJson.MAPPER.createObjectNode();
        body.put("error", message);
        OpsServer.respond(ex, status, JSON, AvroJson.MAPPER.writeValueAsString(body));
    }


    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
