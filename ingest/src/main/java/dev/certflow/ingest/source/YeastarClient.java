package dev.certflow.ingest.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceKind;
import dev.certflow.ingest.config.YeastarSourceConfig;
import dev.certflow.ingest.http.HttpFetcher;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.schemas.CertificateKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/**
 * Yeastar P-Series PBX: {@code get_token} (refreshed before expiry, re-obtained when the PBX says the
 * token is invalid), then {@code certificate/list} page by page until {@code total_number}. Values
 * of {@code auth_info_list} ({@code sv}, {@code iv}) are removed on arrival; only the keys are kept.
 *
 * <p>A change of {@code apply_status} into {@code issuance_fail} or {@code issuance_success} becomes a
 * {@link RenewalAttempt}. Its id is {@code yeastar-} + the first 16 bytes (hex) of SHA-256 over
 * source name, certificate id, previous and new status, the expiration text observed with the new
 * status, and the id of the previous derived attempt. The same observed transition therefore always
 * gets the same id (a re-poll, or a replay after a crash, cannot mint a second one), while a second
 * failure after another {@code issuing} phase chains to a new id even if the expiration did not move.
 * A certificate first seen already in {@code issuance_fail} also yields one (failures must be seen);
 * one first seen in {@code issuance_success} does not (that is a state, not an event we saw).
 *
 * <p>While one page is normalised and handed to the sink, the next one is already being read on a
 * helper thread, so the PBX's answer time and the JSON parse overlap with publishing. Pages are still
 * handed over in order, one at a time, and a failure of the page read ahead surfaces only when the
 * loop reaches it, after the pages before it were handed over.
 */
public final class YeastarClient implements SourceClient {
    private static final Logger LOG = LoggerFactory.getLogger(YeastarClient.class);
    private static final Duration REFRESH_MARGIN = Duration.ofSeconds(60);
    static final String FAIL = "issuance_fail";
    static final String SUCCESS = "issuance_success";

    private final YeastarSourceConfig config;
    private final HttpFetcher http;
    private final ItemCounter warnings;
    private final Clock clock;

    private final ExecutorService readAhead; // one thread, idle between polls

    private String accessToken;
    private Instant accessExpiresAt = Instant.MIN;
    private String refreshToken;
    private Instant refreshExpiresAt = Instant.MIN;

    public YeastarClient(YeastarSourceConfig config, HttpFetcher http, ItemCounter warnings, Clock clock) {
        this.config = config;
        this.http = http;
        this.warnings = warnings;
        this.clock = clock;
        this.readAhead = HelperThreads.pool(config.name, "next-page", 1);
    }

    @Override
    public void close() {
        readAhead.shutdownNow();
    }

    @Override
    public void poll(Instant now, PollSink sink) throws SourceException, PollSink.PollAbortedException, InterruptedException {
        Set<String> seen = new HashSet<>();
        boolean unkeyedErrors = false;
        int unkeyed = 0; // items without a usable id still count towards total_number
        long total = -1;
        int maxPages = Integer.MAX_VALUE;
        Future<JsonNode> ahead = null; // the next page, being read while this one is handed over
        try {
            for (int page = 1; page <= maxPages; page++) {
                JsonNode body = ahead == null ? listPage(page) : await(ahead);
                ahead = null;
                Long totalNumber;
                try {
                    totalNumber = Json.integer(body, "total_number");
                } catch (Json.FieldException e) {
                    throw malformed("field 'total_number' is not an integer");
                }
                if (totalNumber == null) {
                    throw malformed("the answer has no 'total_number'");
                }
                total = totalNumber;
                maxPages = (int) Math.min(Integer.MAX_VALUE - 1, total / config.pageSize + 3); // guard against a PBX that ignores 'page'
                JsonNode list = body.get("certificate_list");
                if (list == null || list.isNull()) {
                    list = Json.MAPPER.createArrayNode();
                }
                if (!list.isArray()) {
                    throw malformed("field 'certificate_list' is not an array");
                }
                if (page < maxPages && seen.size() + unkeyed + list.size() < total) { // this page cannot finish the listing
                    int next = page + 1;
                    try {
                        ahead = readAhead.submit(() -> listPage(next));
                    } catch (RejectedExecutionException closing) {
                        ahead = null; // the client is closing: read the next page on this thread, if it gets that far
                    }
                }
                List<Observation> observations = new ArrayList<>();
                List<ItemError> errors = new ArrayList<>();
                int fresh = 0;
                for (JsonNode item : list) {
                    redact(item); // first, before anything else reads it
                    int before = seen.size();
                    ItemError error = certificate(now, item, seen, observations, sink);
                    if (seen.size() > before) {
                        fresh++;
                    }
                    if (error != null) {
                        errors.add(error);
                        if (error.certificateKey() == null) { // cannot tell a repeat from a new one: not "fresh"
                            unkeyedErrors = true;
                            unkeyed++;
                        }
                    }
                }
                sink.page(observations, errors);
                if (seen.size() + unkeyed >= total) {
                    break;
                }
                if (fresh == 0) {
                    LOG.warn("Source {}: page {} brought no new certificate ({} of {} seen); listing treated as incomplete", config.name, page, seen.size(), total);
                    return;
                }
            }
        } finally {
            if (ahead != null) { // the poll ended early (an abort, an error, an incomplete listing): drop the read
                ahead.cancel(true);
            }
        }
        if (seen.size() >= total && !unkeyedErrors) {
            sink.listingComplete((key, state) -> true);
        } else if (seen.size() < total) {
            LOG.warn("Source {}: listing ended with {} of {} certificates; no removals this poll", config.name, seen.size(), total);
        }
    }

    /** Removes the values of auth_info_list entries in place, keeping only their keys. */
    static void redact(JsonNode item) {
        JsonNode auth = item.get("auth_info_list");
        if (auth != null && auth.isArray()) {
            for (JsonNode entry : auth) {
                if (entry instanceof ObjectNode o) {
                    o.retain("k");
                }
            }
        } else if (auth != null && item instanceof ObjectNode o) {
            o.remove("auth_info_list"); // not the documented shape: keep nothing of it
        }
    }

    private ItemError certificate(Instant now, JsonNode item, Set<String> seen, List<Observation> out, PollSink sink) {
        IdentifiedItem identified = IdentifiedItem.of(item, "certificate_list item", config.name, warnings, LOG);
        if (identified.error() != null) {
            return identified.error();
        }
        String id = identified.id();
        if (!seen.add(id)) {
            return null; // duplicate (a repeated page): already handled in this poll
        }
        CertificateKey key = CertificateKeys.of(SourceKind.YEASTAR, config.name, config.name, id);
        String keyText = CertificateKeys.format(key);
        try {
            String expirationRaw = Json.text(item, "expiration");
            ExpiryStatus expiryStatus;
            Instant expiration = null;
            if (expirationRaw != null && "-".equals(expirationRaw.trim())) {
                expiryStatus = ExpiryStatus.PENDING; // the PBX is still issuing it
            } else {
                expiration = expirationRaw == null || expirationRaw.isBlank() ? null : Dates.parseYeastar(expirationRaw, config.zone);
                expiryStatus = UnparseableReports.expiryStatus(config.name, id, "expiration", expirationRaw, expiration, warnings, LOG);
            }
            String type = Json.text(item, "type");
            String caType = Json.text(item, "ca_type");
            Long autoRenewal = Json.integer(item, "auto_renewal");
            String applyStatus = Json.text(item, "apply_status");
            String tipCode = Json.text(item, "apply_tip_code");
            String dnsProvider = Json.text(item, "dns_provider");
            Map<String, String> attributes = new TreeMap<>();
            if (caType != null) {
                attributes.put("ca_type", caType);
            }
            if (dnsProvider != null) {
                attributes.put("dns_provider", dnsProvider);
            }
            if (tipCode != null) {
                attributes.put("apply_tip_code", tipCode);
            }
            JsonNode auth = item.get("auth_info_list");
            if (auth != null && auth.isArray()) {
                List<String> keys = new ArrayList<>();
                for (JsonNode e : auth) {
                    if (e.path("k").isTextual()) {
                        keys.add(e.path("k").textValue());
                    }
                }
                attributes.put("auth_info_keys", String.join(",", keys));
            }
            Certificate cert = Certificate.newBuilder()
                    .setKey(key)
                    .setName(Json.text(item, "name"))
                    .setCommonName(Json.text(item, "issue_to"))
                    .setSourceType(type)
                    .setType("server".equals(type) ? CertificateType.TLS_SERVER : "trusted".equals(type) ? CertificateType.TRUSTED_CA : CertificateType.UNKNOWN)
                    .setExpiryStatus(expiryStatus)
                    .setNotAfter(expiration)
                    .setNotAfterRaw(expirationRaw)
                    .setIssuanceMethod("upload".equals(caType) ? IssuanceMethod.UPLOADED : "apply".equals(caType) ? IssuanceMethod.ACME : IssuanceMethod.UNKNOWN)
                    .setAutoRenewal(autoRenewal == null ? null : autoRenewal != 0)
                    .setStatus(applyStatus)
                    .setAttributes(attributes)
                    .setObservedAt(now)
                    .build();
            CertState state = sink.state(keyText);
            String previous = state == null ? null : state.lastStatus();
            RenewalAttempt attempt = transition(now, cert, id, previous, applyStatus, expirationRaw, tipCode,
                    state == null ? null : state.lastAttemptId());
            if (attempt != null) {
                out.add(new Observation(cert, List.of(attempt), attempt.getAttemptId(), null, applyStatus));
            } else {
                out.add(new Observation(cert, List.of(), null, null, applyStatus));
            }
            return null;
        } catch (Json.FieldException e) {
            warnings.itemError(config.name, e.field(), e.getMessage());
            LOG.warn("Source {}: certificate {} field '{}' has the wrong type, value '{}'; sent to the dead-letter topic", config.name, id, e.field(), e.value());
            return new ItemError(e.field(), e.value(), e.getMessage(), Json.bytes(item), keyText);
        }
    }

    RenewalAttempt transition(Instant now, Certificate cert, String id, String previous, String current, String expirationRaw,
                              String tipCode, String previousAttemptId) {
        if (current == null || current.equals(previous)) {
            return null;
        }
        boolean fail = FAIL.equals(current);
        boolean success = SUCCESS.equals(current);
        if (!fail && !success) {
            return null;
        }
        if (previous == null && success) {
            return null;
        }
        String attemptId = attemptId(config.name, id, previous, current, expirationRaw, previousAttemptId);
        return RenewalAttempt.newBuilder()
                .setAttemptId(attemptId)
                .setCertificateKey(cert.getKey())
                .setAttemptType(cert.getIssuanceMethod() == IssuanceMethod.UPLOADED ? "upload" : "apply")
                .setStatus(fail ? AttemptStatus.FAILED : AttemptStatus.SUCCEEDED)
                .setStatusRaw(current)
                .setErrorCode(fail ? tipCode : null)
                .setErrorMessage(fail ? "apply_status " + current + (tipCode == null ? "" : ", apply_tip_code " + tipCode) : null)
                .setIssuedNotAfter(success ? cert.getNotAfter() : null)
                .setObservedAt(now)
                .build();
    }

    static String attemptId(String source, String certId, String previous, String current, String expirationRaw, String previousAttemptId) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            String material = String.join("\u0000", source, certId, String.valueOf(previous), current,
                    String.valueOf(expirationRaw), String.valueOf(previousAttemptId));
            byte[] digest = sha.digest(material.getBytes(StandardCharsets.UTF_8));
            return "yeastar-" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode await(Future<JsonNode> page) throws SourceException, InterruptedException {
        try {
            return page.get();
        } catch (ExecutionException e) {
            throw SourceException.rethrow(e, "source " + config.name + ": reading the next page was interrupted");
        }
    }

    private JsonNode listPage(int page) throws SourceException, InterruptedException {
        for (int tries = 0; ; tries++) {
            String token = token();
            URI uri = URI.create(config.api() + "/certificate/list?access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)
                    + "&page=" + page + "&page_size=" + config.pageSize);
            JsonNode body = call(HttpFetcher.request(uri, config.requestTimeout, headers()).GET().build(), "/certificate/list");
            int errcode = errcode(body, "/certificate/list");
            if (errcode == 0) {
                return body;
            }
            String errmsg = body.path("errmsg").asText("");
            if (tokenError(errcode, errmsg) && tries == 0) {
                LOG.info("Source {}: PBX answered errcode {} ({}) for the access token; authenticating again", config.name, errcode, clean(errmsg));
                accessToken = null; // the PBX disowned the session: start over with get_token
                accessExpiresAt = Instant.MIN;
                refreshToken = null;
                continue;
            }
            throw new SourceException(tokenError(errcode, errmsg) ? SourceException.AUTH : SourceException.API_ERROR,
                    "source " + config.name + ": GET /certificate/list: errcode " + errcode + " " + clean(errmsg));
        }
    }

    /** The PBX's errmsg without any credential of this source: a PBX may echo the request back. */
    private String clean(String errmsg) {
        return VendorText.clean(errmsg, config.clientSecret.reveal(), config.clientId.reveal(), accessToken, refreshToken);
    }

    private boolean tokenError(int errcode, String errmsg) {
        return config.tokenErrorCodes.contains(errcode) || errmsg.toUpperCase(Locale.ROOT).contains("TOKEN");
    }

    /** A valid access token: the cached one, a refreshed one, or a new one. */
    String token() throws SourceException, InterruptedException {
        Instant now = clock.instant();
        if (accessToken != null && now.isBefore(accessExpiresAt.minus(REFRESH_MARGIN))) {
            return accessToken;
        }
        if (refreshToken != null && now.isBefore(refreshExpiresAt.minus(REFRESH_MARGIN))) {
            ObjectNode body = Json.MAPPER.createObjectNode().put("refresh_token", refreshToken);
            try {
                JsonNode answer = call(post("/refresh_token", body), "/refresh_token");
                if (errcode(answer, "/refresh_token") == 0 && storeTokens(answer, now)) {
                    return accessToken;
                }
                LOG.info("Source {}: refresh_token refused (errcode {}); requesting a new token", config.name, answer.path("errcode").asText());
            } catch (SourceException e) {
                if (SourceException.CONNECT.equals(e.kind()) || SourceException.TIMEOUT.equals(e.kind())) {
                    throw e;
                }
                LOG.info("Source {}: refreshing the token failed ({}); requesting a new token", config.name, e.kind());
            }
            refreshToken = null;
        }
        ObjectNode body = Json.MAPPER.createObjectNode()
                .put("username", config.clientId.reveal())
                .put("password", config.clientSecret.reveal());
        JsonNode answer = call(post("/get_token", body), "/get_token");
        int errcode = errcode(answer, "/get_token");
        if (errcode != 0) {
            throw new SourceException(SourceException.AUTH, "source " + config.name + ": POST /get_token: errcode " + errcode + " " + clean(answer.path("errmsg").asText("")));
        }
        if (!storeTokens(answer, now)) {
            throw malformed("get_token answered without access_token");
        }
        return accessToken;
    }

    private boolean storeTokens(JsonNode answer, Instant now) {
        JsonNode access = answer.get("access_token");
        if (access == null || !access.isTextual() || access.textValue().isBlank()) {
            return false;
        }
        accessToken = access.textValue();
        accessExpiresAt = now.plusSeconds(answer.path("access_token_expire_time").asLong(1800));
        JsonNode refresh = answer.get("refresh_token");
        if (refresh != null && refresh.isTextual()) {
            refreshToken = refresh.textValue();
            refreshExpiresAt = now.plusSeconds(answer.path("refresh_token_expire_time").asLong(86400));
        }
        return true;
    }

    private HttpRequest post(String path, JsonNode body) {
        Map<String, String> headers = new java.util.HashMap<>(headers());
        headers.put("Content-Type", "application/json");
        return HttpFetcher.request(URI.create(config.api() + path), config.requestTimeout, headers)
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))).build();
    }

    private Map<String, String> headers() {
        return Map.of("User-Agent", config.userAgent, "Accept", "application/json");
    }

    private JsonNode call(HttpRequest request, String path) throws SourceException, InterruptedException {
        try (HttpFetcher.Response r = http.send(config.name, request)) {
            if (!r.ok()) {
                String kind = r.status() == 401 || r.status() == 403 ? SourceException.AUTH : SourceException.HTTP_4XX;
                throw new SourceException(kind, "source " + config.name + ": " + request.method() + " " + path + ": HTTP " + r.status());
            }
            try (InputStream in = r.body()) {
                JsonNode node = Json.MAPPER.readTree(in);
                if (node == null || !node.isObject()) {
                    throw malformed(path + ": the body is not a JSON object");
                }
                return node;
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw malformed(path + ": the body is not valid JSON");
            } catch (IOException e) {
                throw new SourceException(SourceException.CONNECT, "source " + config.name + ": " + path + ": reading the body failed (" + e.getClass().getSimpleName() + ")");
            }
        }
    }

    private int errcode(JsonNode body, String path) throws SourceException {
        JsonNode n = body.get("errcode");
        if (n != null && n.isIntegralNumber() && n.canConvertToInt()) {
            return n.intValue();
        }
        if (n != null && n.isTextual() && n.textValue().trim().matches("-?\\d{1,9}")) {
            return Integer.parseInt(n.textValue().trim());
        }
        throw malformed(path + ": the answer has no integer 'errcode'");
    }

    private SourceException malformed(String what) {
        return new SourceException(SourceException.MALFORMED_BODY, "source " + config.name + ": " + what);
    }
}
