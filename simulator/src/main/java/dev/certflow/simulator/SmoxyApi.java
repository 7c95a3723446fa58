package dev.certflow.simulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * smoxy (seed 001 and the README): Hydra/JSON-LD collections at the server root, as the SaaS serves them.
 * <ul>
 *   <li>{@code GET /api/organizations/{org}/certificates} (itemsPerPage default 30, max 100)</li>
 *   <li>{@code GET /api/organizations/{org}/certificates/{id}} (one certificate)</li>
 *   <li>{@code GET /api/organizations/{org}/certificates/{id}/attempts} (newest first, default 25, max 100;
 *       {@code status} filter)</li>
 *   <li>{@code GET /api/organizations/{org}/certificates/{id}/attempts/{attemptId}} (adds {@code steps[]})</li>
 * </ul>
 * Auth: {@code X-API-TOKEN: token} or {@code Authorization: Bearer token}; a token only opens its own
 * organisation. Organisation {@code org-3} answers with {@code hydra:}-prefixed keys. Members carry
 * fake {@code certificateData}, {@code chainData} and {@code privateKeyData} (containing
 * {@link Fleet#PRIVATE_KEY_MARKER}) exactly where the vendor puts them.
 */
final class SmoxyApi extends ApiHandler {
    static final String PREFIX = "/api/organizations/";
    static final String HYDRA_ORG = "org-3";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxxx");

    SmoxyApi(Fleet fleet, SimClock clock, SimulatorOptions options, Faults faults) {
        super(fleet, clock, options, faults);
    }

    @Override
    String contentType() {
        return "application/ld+json";
    }

    @Override
    void serve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String[] parts = path.substring(PREFIX.length()).split("/", -1);
        FleetUnit org = null;
        for (FleetUnit u : fleet.units()) {
            if (u.kind().equals("smoxy") && u.tenant().equals(parts[0])) {
                org = u;
            }
        }
        if (org == null || parts.length < 2 || !parts[1].equals("certificates") || parts.length > 5
                || (parts.length >= 4 && !parts[3].equals("attempts"))) {
            sendJson(exchange, 404, hydraError(404, "Not Found"));
            return;
        }
        if (!"GET".equals(exchange.getRequestMethod())) {
            sendJson(exchange, 405, hydraError(405, "No route found for \"" + exchange.getRequestMethod()
                    + " " + path + "\": Method Not Allowed (Allow: GET)"));
            return;
        }
        if (!authorised(exchange, org)) {
            return;
        }
        Instant now = clock.instant();
        Map<String, String> params = query(exchange);
        String prefix = org.tenant().equals(HYDRA_ORG) ? "hydra:" : "";
        String collectionPath = PREFIX + org.tenant() + "/certificates";
        if (parts.length == 2) {
            Paging paging = paging(exchange, params, 30);
            if (paging == null) {
                return;
            }
            String listing = "smoxy/" + org.tenant();
            FleetUnit listed = org;
            java.util.Set<Long> omitted = paging.page() == 1 ? faults.beginListing(listing, () -> present(listed.index(), now))
                    : faults.omitted(listing);
            // a page served twice: the page before this one, under this one's view (so view.next goes on)
            long from = paging.page() > 1 && faults.repeatPage() ? paging.offset() - paging.itemsPerPage() : paging.offset();
            int total;
            int[] indexes;
            if (omitted.isEmpty()) {
                total = fleet.presentCount(org.index(), now);
                indexes = fleet.presentIndexes(org.index(), now, from, paging.itemsPerPage());
            } else {
                int[] all = listed(org.index(), now, omitted);
                total = all.length;
                indexes = Arrays.copyOfRange(all, (int) Math.min(from, all.length), (int) Math.min(from + paging.itemsPerPage(), all.length));
            }
            FleetUnit unit = org;
            streamJson(exchange, gen -> {
                collectionStart(gen, "Certificate", collectionPath, prefix, total);
                gen.writeArrayFieldStart(prefix + "member");
                for (int index : indexes) {
                    writeCertificate(gen, fleet.certificate(unit.index(), index), now);
                }
                gen.writeEndArray();
                writeView(gen, collectionPath, prefix, paging, total);
                gen.writeEndObject();
            });
            return;
        }
        FleetCertificate cert = fleet.bySourceId(org.index(), parts[2]);
        if (cert == null || !cert.presentAt(now)) {
            sendJson(exchange, 404, hydraError(404, "Not Found"));
            return;
        }
        if (parts.length == 3) {
            streamJson(exchange, gen -> writeCertificate(gen, cert, now));
            return;
        }
        List<Fleet.SmoxyAttempt> attempts = fleet.smoxyAttempts(cert, now);
        String attemptsPath = collectionPath + "/" + cert.sourceId() + "/attempts";
        if (parts.length == 5) {
            for (Fleet.SmoxyAttempt a : attempts) {
                if (a.id().equals(parts[4])) {
                    streamJson(exchange, gen -> writeAttempt(gen, attemptsPath, a, true));
                    return;
                }
            }
            sendJson(exchange, 404, hydraError(404, "Not Found"));
            return;
        }
        attempts = faults.disorder(attempts);
        String status = params.get("status");
        if (status != null) {
            attempts = new ArrayList<>(attempts);
            attempts.removeIf(a -> !a.status().equals(status));
        }
        Paging paging = paging(exchange, params, 25);
        if (paging == null) {
            return;
        }
        List<Fleet.SmoxyAttempt> all = attempts;
        streamJson(exchange, gen -> {
            collectionStart(gen, "CertificateAttempt", attemptsPath, prefix, all.size());
            gen.writeObjectFieldStart(prefix + "search");
            gen.writeStringField("@type", "hydra:IriTemplate");
            gen.writeStringField(prefix + "template", attemptsPath + "{?status}");
            gen.writeStringField(prefix + "variableRepresentation", "BasicRepresentation");
            gen.writeArrayFieldStart(prefix + "mapping");
            gen.writeStartObject();
            gen.writeStringField("@type", "IriTemplateMapping");
            gen.writeStringField("variable", "status");
            gen.writeStringField("property", "status");
            gen.writeBooleanField("required", false);
            gen.writeEndObject();
            gen.writeEndArray();
            gen.writeEndObject();
            gen.writeArrayFieldStart(prefix + "member");
            long end = Math.min(all.size(), paging.offset() + paging.itemsPerPage());
            for (long i = paging.offset(); i < end; i++) {
                writeAttempt(gen, attemptsPath, all.get((int) i), false);
            }
            gen.writeEndArray();
            writeView(gen, attemptsPath, prefix, paging, all.size());
            gen.writeEndObject();
        });
    }

    private boolean authorised(HttpExchange exchange, FleetUnit org) throws IOException {
        String apiToken = exchange.getRequestHeaders().getFirst("X-API-TOKEN");
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        String presented = apiToken;
        boolean bearer = false;
        if (presented == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            presented = authorization.substring(7).trim();
            bearer = true;
        }
        if (presented == null || presented.isEmpty()) {
            sendJson(exchange, 401, jwtError("JWT Token not found"));
            return false;
        }
        if (presented.equals(org.token())) {
            return true;
        }
        for (FleetUnit u : fleet.units()) {
            if (u.kind().equals("smoxy") && presented.equals(u.token())) {
                sendJson(exchange, 403, hydraError(403, "Access Denied."));
                return false;
            }
        }
        sendJson(exchange, 401, jwtError(bearer ? "Invalid JWT Token" : "Invalid API token."));
        return false;
    }

    private Paging paging(HttpExchange exchange, Map<String, String> params, int defaultItems) throws IOException {
        int page;
        int items;
        try {
            Integer p = intParam(params, "page");
            Integer i = intParam(params, "itemsPerPage");
            page = p == null ? 1 : p;
            items = i == null ? defaultItems : i;
        } catch (NumberFormatException e) {
            sendJson(exchange, 400, hydraError(400, "Page and itemsPerPage must be integers."));
            return null;
        }
        if (page < 1) {
            sendJson(exchange, 400, hydraError(400, "Page should not be less than 1"));
            return null;
        }
        if (items < 0) {
            sendJson(exchange, 400, hydraError(400, "Limit should not be less than 0"));
            return null;
        }
        return new Paging(page, Math.min(items, 100), params.containsKey("itemsPerPage"));
    }

    private static void collectionStart(JsonGenerator gen, String type, String path, String prefix, long total)
            throws IOException {
        gen.writeStartObject();
        gen.writeStringField("@context", "/api/contexts/" + type);
        gen.writeStringField("@id", path);
        gen.writeStringField("@type", "hydra:Collection");
        gen.writeNumberField(prefix + "totalItems", total);
    }

    private static void writeView(JsonGenerator gen, String path, String prefix, Paging paging, long total)
            throws IOException {
        long last = paging.itemsPerPage() == 0 ? 1 : Math.max(1, (total + paging.itemsPerPage() - 1) / paging.itemsPerPage());
        gen.writeObjectFieldStart(prefix + "view");
        gen.writeStringField("@id", pageIri(path, paging, paging.page()));
        gen.writeStringField("@type", "hydra:PartialCollectionView");
        gen.writeStringField(prefix + "first", pageIri(path, paging, 1));
        gen.writeStringField(prefix + "last", pageIri(path, paging, last));
        if (paging.page() > 1) {
            gen.writeStringField(prefix + "previous", pageIri(path, paging, paging.page() - 1));
        }
        if (paging.page() < last) {
            gen.writeStringField(prefix + "next", pageIri(path, paging, paging.page() + 1));
        }
        gen.writeEndObject();
    }

    private static String pageIri(String path, Paging paging, long page) {
        return path + "?" + (paging.explicitItems() ? "itemsPerPage=" + paging.itemsPerPage() + "&" : "") + "page=" + page;
    }

    private void writeCertificate(JsonGenerator gen, FleetCertificate c, Instant now) throws IOException {
        String orgPath = PREFIX + c.tenant() + "/certificates/" + c.sourceId();
        Generation current = c.generationAt(now);
        Instant expiry = current.notAfter();
        boolean custom = fleet.smoxyCustom(c);
        gen.writeStartObject();
        gen.writeStringField("@context", "/api/contexts/Certificate");
        gen.writeStringField("@id", orgPath);
        gen.writeStringField("@type", "Certificate");
        gen.writeStringField("id", c.sourceId());
        gen.writeStringField("domainName", c.domain());
        gen.writeStringField("type", custom ? "custom" : "auto_managed");
        gen.writeStringField("status", expiry == null ? "pending" : expiry.isAfter(now) ? "active" : "expired");
        if (expiry == null) {
            gen.writeNullField("certificateData");
            gen.writeNullField("privateKeyData");
            gen.writeNullField("chainData");
            gen.writeNullField("expiresAt");
        } else {
            String serial = Long.toHexString(Fleet.mix(c.hash() ^ expiry.getEpochSecond()));
            gen.writeStringField("certificateData", pem("CERTIFICATE", "SIMULATED CERTIFICATE " + c.domain() + " " + serial));
            gen.writeStringField("privateKeyData", "-----BEGIN PRIVATE KEY-----\n" + Fleet.PRIVATE_KEY_MARKER + "-"
                    + serial + "\n-----END PRIVATE KEY-----");
            gen.writeStringField("chainData", pem("CERTIFICATE", "SIMULATED INTERMEDIATE R11"));
            gen.writeStringField("expiresAt", TIME.format(expiry.atOffset(ZoneOffset.UTC)));
        }
        gen.writeStringField("issuer", custom ? "Sectigo RSA Domain Validation Secure Server CA" : "Let's Encrypt");
        if (expiry == null) {
            gen.writeNullField("fingerprint");
        } else {
            gen.writeStringField("fingerprint", fingerprint(c.hash() ^ expiry.getEpochSecond()));
        }
        gen.writeArrayFieldStart("sans");
        List<String> names = current.sans();
        for (int i = 0; i < names.size(); i++) {
            String sanId = Fleet.uuid(Fleet.mix(c.hash() + 17 + i), Fleet.mix(c.hash() + 31 + i),
                    (int) Fleet.mix(c.hash() + 43 + i)).toString();
            gen.writeStartObject();
            gen.writeStringField("@context", "/api/contexts/CertificateSan");
            gen.writeStringField("@id", "/api/certificate_sans/" + sanId);
            gen.writeStringField("@type", "CertificateSan");
            gen.writeStringField("id", sanId);
            gen.writeStringField("name", names.get(i));
            gen.writeStringField("dnsStatus", expiry == null ? "pending" : "valid");
            gen.writeStringField("sslStatus", expiry == null ? "pending" : "covered");
            gen.writeEndObject();
        }
        gen.writeEndArray();
        List<Fleet.SmoxyAttempt> attempts = fleet.smoxyAttempts(c, now);
        if (attempts.isEmpty()) {
            gen.writeNullField("lastAttempt");
        } else {
            Fleet.SmoxyAttempt last = attempts.get(0);
            gen.writeObjectFieldStart("lastAttempt");
            gen.writeStringField("@id", orgPath + "/attempts/" + last.id());
            gen.writeStringField("@type", "CertificateAttempt");
            gen.writeStringField("id", last.id());
            gen.writeStringField("type", last.type());
            gen.writeEndObject();
        }
        gen.writeEndObject();
    }

    private static void writeAttempt(JsonGenerator gen, String attemptsPath, Fleet.SmoxyAttempt a, boolean steps)
            throws IOException {
        gen.writeStartObject();
        gen.writeStringField("@context", "/api/contexts/CertificateAttempt");
        gen.writeStringField("@id", attemptsPath + "/" + a.id());
        gen.writeStringField("@type", "CertificateAttempt");
        gen.writeStringField("id", a.id());
        gen.writeStringField("type", a.type());
        gen.writeStringField("status", a.status());
        gen.writeStringField("startedAt", TIME.format(a.startedAt().atOffset(ZoneOffset.UTC)));
        gen.writeStringField("finishedAt", TIME.format(a.finishedAt().atOffset(ZoneOffset.UTC)));
        writeNullable(gen, "errorCode", a.errorCode());
        writeNullable(gen, "errorMessage", a.errorMessage());
        gen.writeArrayFieldStart("sansSnapshot");
        gen.writeStartArray();
        for (String san : a.sans()) {
            gen.writeString(san);
        }
        gen.writeEndArray();
        gen.writeEndArray();
        if (a.issuedExpiresAt() == null) {
            gen.writeNullField("issuedExpiresAt");
        } else {
            gen.writeStringField("issuedExpiresAt", TIME.format(a.issuedExpiresAt().atOffset(ZoneOffset.UTC)));
        }
        if (steps) {
            gen.writeArrayFieldStart("steps");
            String[] names = a.type().equals("upload") ? new String[]{"validate", "store"}
                    : new String[]{"order", "dns_challenge", "finalize", "deploy"};
            boolean failed = a.status().equals("failed");
            for (int i = 0; i < names.length; i++) {
                gen.writeStartObject();
                gen.writeStringField("name", names[i]);
                gen.writeStringField("status", failed && i == 1 ? "failed" : failed && i > 1 ? "skipped" : "succeeded");
                gen.writeEndObject();
            }
            gen.writeEndArray();
        }
        gen.writeEndObject();
    }

    private static void writeNullable(JsonGenerator gen, String field, String value) throws IOException {
        if (value == null) {
            gen.writeNullField(field);
        } else {
            gen.writeStringField(field, value);
        }
    }

    private static String pem(String type, String content) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getEncoder().encodeToString(content.getBytes(StandardCharsets.UTF_8))
                + "\n-----END " + type + "-----";
    }

    private static String fingerprint(long seed) {
        StringBuilder sb = new StringBuilder("sha256:");
        long h = seed;
        for (int i = 0; i < 32; i++) {
            if (i % 8 == 0) {
                h = Fleet.mix(h + i);
            }
            sb.append(String.format("%02x", (h >>> ((i % 8) * 8)) & 0xFF));
            if (i < 31) {
                sb.append(':');
            }
        }
        return sb.toString();
    }

    @Override
    Object errorBody(int status, String path, String echo) {
        if (status == 429) {
            return hydraError(429, echo + "Rate limit exceeded, retry later.");
        }
        return hydraError(status, echo + "Internal Server Error");
    }

    @Override
    void refuseCredentials(HttpExchange exchange, String echo) throws IOException {
        sendJson(exchange, 401, jwtError(echo + "Invalid API token."));
    }

    static Map<String, Object> hydraError(int status, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("@context", "/api/contexts/Error");
        body.put("@id", "/api/errors/" + status);
        body.put("@type", "hydra:Error");
        body.put("title", "An error occurred");
        body.put("detail", detail);
        body.put("status", status);
        body.put("type", "/errors/" + status);
        body.put("hydra:title", "An error occurred");
        body.put("hydra:description", detail);
        return body;
    }

    static Map<String, Object> jwtError(String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", 401);
        body.put("message", message);
        return body;
    }

    private record Paging(int page, int itemsPerPage, boolean explicitItems) {
        long offset() {
            return (long) (page - 1) * itemsPerPage;
        }
    }
}
