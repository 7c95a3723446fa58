package dev.certflow.simulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Yeastar P-Series OpenAPI (seed 002 and the README), one PBX per base {@code /yeastar/{pbx}}:
 * <ul>
 *   <li>{@code POST {base}/openapi/v1.0/get_token} with JSON {@code {"username","password"}}</li>
 *   <li>{@code POST {base}/openapi/v1.0/refresh_token} with JSON {@code {"refresh_token"}} (renews both tokens)</li>
 *   <li>{@code GET {base}/openapi/v1.0/certificate/list?access_token=&page=&page_size=&order_by=&type=}</li>
 * </ul>
 * A {@code User-Agent} header is required on every request. Failures are HTTP 200 with a non-zero
 * {@code errcode} (codes are the simulator's choice, see {@link #ERR_TOKEN} and siblings). Token
 * lifetimes run on real time ({@link SimClock#realElapsed()}). The scripted outage answers 503 with an
 * HTML page, then drops connections without answering.
 */
final class YeastarApi extends ApiHandler {
    static final String PREFIX = "/yeastar/";
    static final String API = "/openapi/v1.0/";
    static final int ERR_FAILURE = 10001;
    static final int ERR_PARAMETER = 10002;
    static final int ERR_USER_AGENT = 10003;
    /** Access token missing, unknown or expired. */
    static final int ERR_TOKEN = 10004;
    static final int ERR_REFRESH = 10005;
    static final int ERR_RATE = 10007;
    static final int ERR_NOT_FOUND = 10008;
    static final int ERR_LOGIN = 20004;
    static final int APPLY_TIP_CODE = 2003;
    static final int DEFAULT_PAGE_SIZE = 20;
    static final DateTimeFormatter EXPIRATION = DateTimeFormatter.ofPattern("yyyy/MM/dd hh:mm:ss a", Locale.US);
    private static final String[] DNS_PROVIDERS = {"cloudflare", "alidns", "godaddy", "route53"};
    /** How long an application or renewal shows {@code issuing} before it finishes. */
    static final Duration ISSUING = Duration.ofHours(1);

    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    private final AtomicLong tokenCounter = new AtomicLong();

    private record Token(int unit, long expiresAtNanos, boolean refresh) {
    }

    YeastarApi(Fleet fleet, SimClock clock, SimulatorOptions options, Faults faults) {
        super(fleet, clock, options, faults);
    }

    private FleetUnit pbx(HttpExchange exchange) {
        String rest = exchange.getRequestURI().getPath().substring(PREFIX.length());
        int slash = rest.indexOf('/');
        String name = slash < 0 ? rest : rest.substring(0, slash);
        for (FleetUnit u : fleet.units()) {
            if (u.kind().equals("yeastar") && u.sourceName().equals(name)) {
                return u;
            }
        }
        return null;
    }

    @Override
    boolean preempt(HttpExchange exchange) throws IOException {
        FleetUnit pbx = pbx(exchange);
        Outage outage = pbx == null || !options.pbxOutage ? null : fleet.outageOf(pbx.sourceName());
        Instant now = clock.instant();
        if (outage == null || !outage.downAt(now)) {
            return false;
        }
        if (outage.droppingAt(now)) {
            // no status line at all: the client sees the connection closed, as with a PBX rebooting
            exchange.getRequestBody().readAllBytes();
            return true;
        }
        sendHtml(exchange, 503, "503 Service Temporarily Unavailable");
        return true;
    }

    @Override
    void serve(HttpExchange exchange) throws IOException {
        FleetUnit pbx = pbx(exchange);
        String path = exchange.getRequestURI().getPath();
        String op = pbx == null ? "" : path.substring(PREFIX.length() + pbx.sourceName().length());
        String ua = exchange.getRequestHeaders().getFirst("User-Agent");
        if (pbx == null || !op.startsWith(API)) {
            sendJson(exchange, 404, error(ERR_NOT_FOUND, "INTERFACE NOT FOUND"));
            return;
        }
        if (ua == null || ua.isBlank()) {
            sendJson(exchange, 200, error(ERR_USER_AGENT, "USER AGENT REQUIRED"));
            return;
        }
        String method = exchange.getRequestMethod();
        switch (op.substring(API.length())) {
            case "get_token" -> {
                if (!method.equals("POST")) {
                    sendJson(exchange, 405, error(ERR_NOT_FOUND, "METHOD NOT ALLOWED"));
                    return;
                }
                JsonNode body = body(exchange);
                if (body == null || !body.path("username").isTextual() || !body.path("password").isTextual()) {
                    sendJson(exchange, 200, error(ERR_PARAMETER, "PARAMETER ERROR"));
                } else if (!body.get("username").asText().equals(pbx.clientId())
                        || !body.get("password").asText().equals(pbx.clientSecret())) {
                    sendJson(exchange, 200, error(ERR_LOGIN, "INVALID USERNAME OR PASSWORD"));
                } else {
                    sendJson(exchange, 200, issue(pbx));
                }
            }
            case "refresh_token" -> {
                if (!method.equals("POST")) {
                    sendJson(exchange, 405, error(ERR_NOT_FOUND, "METHOD NOT ALLOWED"));
                    return;
                }
                JsonNode body = body(exchange);
                String presented = body == null ? null : body.path("refresh_token").asText(null);
                Token t = presented == null ? null : tokens.get(presented);
                if (t == null || !t.refresh() || t.unit() != pbx.index() || expired(t)) {
                    sendJson(exchange, 200, error(ERR_REFRESH, "INVALID OR EXPIRED REFRESH TOKEN"));
                } else {
                    tokens.remove(presented);
                    sendJson(exchange, 200, issue(pbx));
                }
            }
            case "certificate/list" -> {
                if (!method.equals("GET")) {
                    sendJson(exchange, 405, error(ERR_NOT_FOUND, "METHOD NOT ALLOWED"));
                    return;
                }
                list(exchange, pbx);
            }
            default -> sendJson(exchange, 404, error(ERR_NOT_FOUND, "INTERFACE NOT FOUND"));
        }
    }

    private void list(HttpExchange exchange, FleetUnit pbx) throws IOException {
        Map<String, String> params = query(exchange);
        String presented = params.get("access_token");
        Token t = presented == null ? null : tokens.get(presented);
        if (t == null || t.refresh() || t.unit() != pbx.index() || expired(t)) {
            sendJson(exchange, 200, error(ERR_TOKEN, "INVALID OR EXPIRED ACCESS TOKEN"));
            return;
        }
        int page;
        int pageSize;
        try {
            Integer p = intParam(params, "page");
            Integer s = intParam(params, "page_size");
            page = p == null ? 1 : p;
            pageSize = s == null ? DEFAULT_PAGE_SIZE : s;
        } catch (NumberFormatException e) {
            page = 0;
            pageSize = 0;
        }
        String type = params.get("type");
        String order = params.getOrDefault("order_by", "asc");
        if (page < 1 || pageSize < 1 || (type != null && !type.equals("trusted") && !type.equals("server"))
                || !(order.equals("asc") || order.equals("desc"))) {
            sendJson(exchange, 200, error(ERR_PARAMETER, "PARAMETER ERROR"));
            return;
        }
        Instant now = clock.instant();
        long offset = (long) (page - 1) * pageSize;
        int total;
        int[] indexes;
        String listing = "yeastar/" + pbx.sourceName();
        java.util.Set<Long> omitted = type != null ? java.util.Set.of()
                : page == 1 ? faults.beginListing(listing, () -> present(pbx.index(), now)) : faults.omitted(listing);
        if (page > 1 && faults.repeatPage()) {
            offset -= pageSize; // a page served twice: the one before it again
        }
        if (type == null && !omitted.isEmpty()) {
            int[] all = listed(pbx.index(), now, omitted);
            if (order.equals("desc")) {
                all = reverse(all);
            }
            total = all.length;
            indexes = java.util.Arrays.copyOfRange(all, (int) Math.min(offset, all.length), (int) Math.min(offset + pageSize, all.length));
        } else if (type == null) {
            total = fleet.presentCount(pbx.index(), now);
            if (order.equals("asc")) {
                indexes = fleet.presentIndexes(pbx.index(), now, offset, pageSize);
            } else {
                long from = Math.max(0, total - offset - pageSize);
                int n = (int) Math.max(0, Math.min(pageSize, total - offset));
                int[] asc = fleet.presentIndexes(pbx.index(), now, from, n);
                indexes = reverse(asc);
            }
        } else {
            // filtered listing: a scan, only for callers that ask for it
            List<Integer> matching = new ArrayList<>();
            int n = fleet.unitSize(pbx.index());
            for (int j = 0; j < n; j++) {
                FleetCertificate c = fleet.certificate(pbx.index(), j);
                if (c.presentAt(now) && type(c).equals(type)) {
                    matching.add(j);
                }
            }
            if (order.equals("desc")) {
                java.util.Collections.reverse(matching);
            }
            total = matching.size();
            int from = (int) Math.min(offset, total);
            int to = (int) Math.min(offset + pageSize, total);
            indexes = matching.subList(from, to).stream().mapToInt(Integer::intValue).toArray();
        }
        int count = total;
        streamJson(exchange, gen -> {
            gen.writeStartObject();
            gen.writeNumberField("errcode", 0);
            gen.writeStringField("errmsg", "SUCCESS");
            gen.writeNumberField("total_number", count);
            gen.writeArrayFieldStart("certificate_list");
            for (int index : indexes) {
                write(gen, fleet.certificate(pbx.index(), index), now);
            }
            gen.writeEndArray();
            gen.writeEndObject();
        });
    }

    private static int[] reverse(int[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[a.length - 1 - i];
        }
        return r;
    }

    static String type(FleetCertificate c) {
        // every tenth background certificate is a trusted CA, so each PBX of a few dozen has some
        return c.mode() == RenewalMode.NONE ? "trusted" : "server";
    }

    /** Requested via the PBX ({@code ca_type=apply}, {@code auto_renewal=1}) rather than uploaded. */
    static boolean applied(FleetCertificate c) {
        return c.mode().automatic();
    }

    /**
     * The {@code apply_status} of a certificate at {@code t}: {@code issuing} during the hour before each
     * attempt of an applied certificate finishes, {@code issuance_fail} after a failed one until the next
     * starts, else {@code issuance_success}.
     */
    static String applyStatus(FleetCertificate c, Instant t) {
        if (c.script() == Script.NO_EXPIRY) {
            return "issuing";
        }
        if (!applied(c)) {
            return "issuance_success";
        }
        Instant next = c.nextAttemptAfter(t);
        if (next != null && !t.isBefore(next.minus(ISSUING))) {
            return "issuing";
        }
        return c.lastAttemptFailed(t) ? "issuance_fail" : "issuance_success";
    }

    private void write(JsonGenerator gen, FleetCertificate c, Instant now) throws IOException {
        Instant expiry = c.expiryAt(now);
        String type = type(c);
        gen.writeStartObject();
        gen.writeNumberField("id", c.index() + 1);
        gen.writeStringField("name", type.equals("trusted") ? "ca_" + c.name() : c.name());
        gen.writeStringField("type", type);
        gen.writeStringField("issue_to", type.equals("trusted") ? "*." + c.domain() : c.domain());
        gen.writeStringField("expiration", expiry == null ? "-" : EXPIRATION.format(expiry.atZone(c.unit().zone())));
        if (type.equals("server")) {
            boolean applied = applied(c);
            gen.writeStringField("ca_type", applied ? "apply" : "upload");
            String status = applyStatus(c, now);
            if (applied) {
                gen.writeNumberField("auto_renewal", 1);
                gen.writeStringField("dns_provider", DNS_PROVIDERS[(int) Long.remainderUnsigned(c.hash() >>> 50, 4)]);
            }
            gen.writeStringField("apply_status", status);
            if (status.equals("issuance_fail")) {
                gen.writeNumberField("apply_tip_code", APPLY_TIP_CODE);
            }
            if (applied) {
                String secret = Long.toHexString(Fleet.mix(c.hash() + 99));
                gen.writeArrayFieldStart("auth_info_list");
                writeAuth(gen, "AccessKeyId", Fleet.DNS_SECRET_MARKER + "-ID-" + secret.substring(0, 8), null);
                writeAuth(gen, "AccessKeySecret", Fleet.DNS_SECRET_MARKER + "-" + secret, null);
                writeAuth(gen, "PropagationTimeout", null, 300);
                writeAuth(gen, "PollingInterval", null, 5);
                writeAuth(gen, "TTL", null, 600);
                gen.writeEndArray();
            }
        } else {
            gen.writeStringField("apply_status", "issuance_success");
        }
        gen.writeEndObject();
    }

    private static void writeAuth(JsonGenerator gen, String key, String sv, Integer iv) throws IOException {
        gen.writeStartObject();
        gen.writeStringField("k", key);
        if (sv != null) {
            gen.writeStringField("sv", sv);
        } else {
            gen.writeNumberField("iv", iv);
        }
        gen.writeEndObject();
    }

    private Map<String, Object> issue(FleetUnit pbx) {
        long now = clock.realElapsed().toNanos();
        if (tokens.size() > 10_000) {
            tokens.values().removeIf(t -> t.expiresAtNanos() <= now); // clients that never refresh
        }
        String access = newToken(pbx);
        String refresh = newToken(pbx);
        tokens.put(access, new Token(pbx.index(), now + options.tokenTtl.toNanos(), false));
        tokens.put(refresh, new Token(pbx.index(), now + options.refreshTokenTtl.toNanos(), true));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("errcode", 0);
        body.put("errmsg", "SUCCESS");
        body.put("access_token_expire_time", options.tokenTtl.toSeconds());
        body.put("access_token", access);
        body.put("refresh_token_expire_time", options.refreshTokenTtl.toSeconds());
        body.put("refresh_token", refresh);
        return body;
    }

    private boolean expired(Token t) {
        return clock.realElapsed().toNanos() >= t.expiresAtNanos();
    }

    /** 32 random-looking characters; with one given credential ({@link SimulatorOptions#credential}) prefixed by it, so a test's canary marks the PBX's tokens too. */
    private String newToken(FleetUnit pbx) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        long n = tokenCounter.incrementAndGet();
        StringBuilder sb = new StringBuilder(options.credential == null ? "" : options.credential + "-");
        long h = Fleet.mix(fleet.seed() ^ ((long) pbx.index() << 56) ^ n);
        for (int i = 0; i < 32; i++) {
            if (i % 8 == 0) {
                h = Fleet.mix(h + i + n);
            }
            sb.append(alphabet.charAt((int) Long.remainderUnsigned(h >>> ((i % 8) * 7), alphabet.length())));
        }
        return sb.toString();
    }

    private static JsonNode body(HttpExchange exchange) {
        try (InputStream in = exchange.getRequestBody()) {
            JsonNode node = MAPPER.readTree(in);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    static Map<String, Object> error(int code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("errcode", code);
        body.put("errmsg", message);
        return body;
    }

    @Override
    Object errorBody(int status, String path, String echo) {
        return status == 429 ? error(ERR_RATE, echo + "TOO MANY REQUESTS") : error(ERR_FAILURE, echo + "FAILURE");
    }

    /** HTTP 200 with errcode, as the PBX answers: a login error for the token calls, a token error for the rest. */
    @Override
    void refuseCredentials(HttpExchange exchange, String echo) throws IOException {
        String path = exchange.getRequestURI().getPath();
        boolean login = path.endsWith("/get_token") || path.endsWith("/refresh_token");
        sendJson(exchange, 200, login ? error(ERR_LOGIN, echo + "INVALID USERNAME OR PASSWORD")
                : error(ERR_TOKEN, echo + "INVALID OR EXPIRED ACCESS TOKEN"));
    }
}
