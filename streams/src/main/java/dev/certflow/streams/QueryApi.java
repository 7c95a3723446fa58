package dev.certflow.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.runtime.ops.QueryStrings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;

/**
 * The HTTP/JSON query API, mounted under {@code /v1/} on the ops server:
 * <ul>
 *   <li>{@code GET /v1/certificates/expiring-soon?days=N&tenant=&source=} (days default 30; expiry ascending)</li>
 *   <li>{@code GET /v1/certificates/expiry-unknown}</li>
 *   <li>{@code GET /v1/renewals/failed}</li>
 *   <li>{@code GET /v1/certificates/{key}} (the key's string form, as on the topics)</li>
 * </ul>
 * Lists answer {@code {"count":n,"items":[...]}}; {@code local=true} restricts an answer to this
 * instance's partitions (what peers ask each other). 400 for bad parameters, 404 for an unknown
 * key, 503 while the answer cannot be complete (rebalancing, a peer unreachable).
 */
final class QueryApi implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(QueryApi.class);
    private static final String JSON = "application/json";
    private static final String CERTS = "/v1/certificates/";

    private final QueryService queries;

    QueryApi(QueryService queries) {
        this.queries = queries;
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
            if (path.equals("/v1/certificates/expiring-soon")) {
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
                list(ex, queries.expiringSoon(days, blankToNull(q.get("tenant")), blankToNull(q.get("source")), local));
            } else if (path.equals("/v1/certificates/expiry-unknown")) {
                list(ex, queries.expiryUnknown(local));
            } else if (path.equals("/v1/renewals/failed")) {
                list(ex, queries.failedRenewals(local));
            } else if (path.startsWith(CERTS) && path.length() > CERTS.length()) {
                JsonNode node = queries.certificate(path.substring(CERTS.length()), local);
                if (node == null) {
                    error(ex, 404, "no certificate with key " + path.substring(CERTS.length()));
                } else {
                    OpsServer.respond(ex, 200, JSON, AvroJson.MAPPER.writeValueAsString(node));
                }
            } else {
                error(ex, 404, "no such endpoint " + path);
            }
        } catch (QueryService.Unavailable e) {
            LOG.info("Query not answerable now: {}", e.getMessage());
            error(ex, 503, e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("Query failed: {}", e.toString());
            error(ex, 500, "internal error: " + e.getClass().getSimpleName());
        }
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
