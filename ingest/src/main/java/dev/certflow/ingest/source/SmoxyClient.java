package dev.certflow.ingest.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceKind;
import dev.certflow.ingest.config.SmoxySourceConfig;
import dev.certflow.ingest.http.HttpFetcher;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.schemas.CertificateKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * smoxy: pages through {@code /api/organizations/{org}/certificates} following {@code view.next},
 * and for each certificate reads its {@code attempts} (newest first) down to the checkpoint: the
 * newest attempt already published. A certificate whose {@code lastAttempt} is the checkpoint and
 * already finished costs no request. The attempts of one page's certificates are read up to
 * {@code attemptConcurrency} at a time (on this client's own threads), each certificate's by one
 * task, and the page is handed over in the listing's order once all are read. {@code privateKeyData},
 * {@code certificateData} and {@code chainData} are removed from each member before anything else reads it.
 */
public final class SmoxyClient implements SourceClient {
    private static final Logger LOG = LoggerFactory.getLogger(SmoxyClient.class);
    static final List<String> SECRET_FIELDS = List.of("privateKeyData", "certificateData", "chainData");
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled", "canceled", "error", "success");
    private static final Comparator<RenewalAttempt> OLDEST_FIRST = Comparator.comparing(
            (RenewalAttempt a) -> a.getStartedAt() == null ? Instant.MIN : a.getStartedAt());

    private final SmoxySourceConfig config;
    private final HttpFetcher http;
    private final ItemCounter warnings;
    private final URI base;
    private final ExecutorService fetchers; // null: attempts are read one at a time on the polling thread

    public SmoxyClient(SmoxySourceConfig config, HttpFetcher http, ItemCounter warnings) {
        this.config = config;
        this.http = http;
        this.warnings = warnings;
        this.base = URI.create(config.base());
        if (config.attemptConcurrency > 1) {
            this.fetchers = HelperThreads.pool(config.name, "attempts", config.attemptConcurrency);
        } else {
            this.fetchers = null;
        }
    }

    @Override
    public void poll(Instant now, PollSink sink) throws SourceException, PollSink.PollAbortedException, InterruptedException {
        String orgPath = "/api/organizations/" + enc(config.organizationId) + "/certificates";
        URI next = URI.create(config.base() + orgPath + "?page=1&itemsPerPage=" + config.itemsPerPage);
        Set<String> visited = new HashSet<>();
        Set<String> seenIds = new HashSet<>();
        boolean complete = false;
        boolean unkeyedErrors = false;
        Long total = null;
        for (int pages = 0; pages < config.maxPages; pages++) {
            if (!visited.add(next.toString())) {
                LOG.warn("Source {}: view.next repeats a page already read; listing treated as incomplete", config.name);
                break;
            }
            JsonNode collection = getJson(next, orgPath);
            JsonNode members = Json.hydra(collection, "member");
            if (members == null || !members.isArray()) {
                throw malformed(orgPath, "the collection has no 'member' array");
            }
            JsonNode totalItems = Json.hydra(collection, "totalItems");
            if (totalItems != null && totalItems.isIntegralNumber()) {
                total = totalItems.asLong();
            }
            List<Item> items = new ArrayList<>();
            for (JsonNode member : members) {
                SECRET_FIELDS.forEach(f -> Json.remove(member, f)); // first, before anything else reads the member
                Item item = certificate(now, member, seenIds, sink);
                if (item != null) {
                    items.add(item);
                }
            }
            fetchAttempts(items);
            List<Observation> observations = new ArrayList<>();
            List<ItemError> errors = new ArrayList<>();
            for (Item item : items) {
                if (item.observation != null) {
                    observations.add(item.observation);
                }
                if (item.error != null) {
                    errors.add(item.error);
                    unkeyedErrors |= item.error.certificateKey() == null;
                }
            }
            sink.page(observations, errors);
            URI following = nextPage(collection, next, orgPath);
            if (following == null) {
                complete = true;
                break;
            }
            if (members.isEmpty()) {
                LOG.warn("Source {}: empty page with a view.next; listing treated as incomplete", config.name);
                break;
            }
            next = following;
        }
        if (complete && total != null && seenIds.size() < total) {
            // a page served twice (or members that moved between pages): the chain ended without all of them
            LOG.warn("Source {}: listing ended with {} of {} certificates; no removals this poll", config.name, seenIds.size(), total);
        } else if (complete && !unkeyedErrors) {
            sink.listingComplete((key, state) -> true);
        }
    }

    /** Normalises one member; its attempts, if they must be read, are left to {@link #fetchAttempts}. Null for a duplicate. */
    private Item certificate(Instant now, JsonNode member, Set<String> seenIds, PollSink sink) {
        IdentifiedItem identified = IdentifiedItem.of(member, "member", config.name, warnings, LOG);
        if (identified.error() != null) {
            return Item.failed(identified.error());
        }
        String id = identified.id();
        if (!seenIds.add(id)) {
            return null; // a duplicate page or a member that moved between pages: already handled in this poll
        }
        CertificateKey key = CertificateKeys.of(SourceKind.SMOXY, config.name, config.organizationId, id);
        String keyText = CertificateKeys.format(key);
        Certificate cert;
        String lastAttemptId;
        boolean lastAttemptKnownNone;
        try {
            String domain = Json.text(member, "domainName");
            String type = Json.text(member, "type");
            String expiresRaw = Json.text(member, "expiresAt");
            Instant expires = Dates.parseFlexible(expiresRaw, ZoneOffset.UTC);
            ExpiryStatus status = UnparseableReports.expiryStatus(config.name, id, "expiresAt", expiresRaw, expires, warnings, LOG);
            List<String> sans = new ArrayList<>();
            Map<String, String> attributes = new TreeMap<>();
            JsonNode sansNode = member.get("sans");
            if (sansNode != null && !sansNode.isNull()) {
                if (!sansNode.isArray()) {
                    throw new Json.FieldException("sans", Json.shortValue(sansNode), "field 'sans' should be an array");
                }
                for (JsonNode san : sansNode) {
                    String name = san.isTextual() ? san.textValue() : Json.text(san, "name");
                    if (name != null) {
                        sans.add(name);
                        if (san.isObject()) {
                            String dns = Json.text(san, "dnsStatus");
                            String ssl = Json.text(san, "sslStatus");
                            if (dns != null) {
                                attributes.put("san." + name + ".dnsStatus", dns);
                            }
                            if (ssl != null) {
                                attributes.put("san." + name + ".sslStatus", ssl);
                            }
                        }
                    }
                }
            }
            JsonNode last = member.get("lastAttempt");
            lastAttemptKnownNone = last != null && last.isNull();
            lastAttemptId = last != null && last.isObject() ? Json.text(last, "id") : null;
            if (lastAttemptId != null) {
                attributes.put("lastAttemptId", lastAttemptId);
            }
            cert = Certificate.newBuilder()
                    .setKey(key)
                    .setName(domain)
                    .setCommonName(domain)
                    .setSans(sans)
                    .setSourceType(type)
                    .setType(CertificateType.TLS_SERVER)
                    .setExpiryStatus(status)
                    .setNotAfter(status == ExpiryStatus.KNOWN ? expires : null)
                    .setNotAfterRaw(expiresRaw)
                    .setIssuer(Json.text(member, "issuer"))
                    .setFingerprint(Json.text(member, "fingerprint"))
                    .setIssuanceMethod("auto_managed".equals(type) ? IssuanceMethod.ACME : "custom".equals(type) ? IssuanceMethod.UPLOADED : IssuanceMethod.UNKNOWN)
                    .setStatus(Json.text(member, "status"))
                    .setAttributes(attributes)
                    .setObservedAt(now)
                    .build();
        } catch (Json.FieldException e) {
            warnings.itemError(config.name, e.field(), e.getMessage());
            LOG.warn("Source {}: certificate {} field '{}' has the wrong type, value '{}'; sent to the dead-letter topic", config.name, id, e.field(), e.value());
            return Item.failed(new ItemError(e.field(), e.value(), e.getMessage(), Json.bytes(member), keyText));
        }
        if (lastAttemptKnownNone) {
            return Item.done(Observation.of(cert));
        }
        CertState state = sink.state(keyText);
        if (upToDate(lastAttemptId, state)) {
            return Item.done(Observation.of(cert)); // nothing new and the newest is finished: no request needed
        }
        Certificate c = cert;
        return new Item(() -> attempts(now, c, key, id, state), () -> new ItemError("attempts", id,
                "attempts of certificate " + id + " could not be read", Json.bytes(member), keyText), cert);
    }

    private static boolean upToDate(String lastAttemptId, CertState state) {
        String cpId = state == null ? null : state.lastAttemptId();
        String cpStatus = state == null ? null : state.lastStatus();
        return cpId != null && cpId.equals(lastAttemptId) && cpStatus != null && TERMINAL.contains(cpStatus.toLowerCase(Locale.ROOT));
    }

    /**
     * Reads the attempts of a page's certificates, up to {@code attemptConcurrency} at a time. Each
     * certificate's attempts are read by one task in their order; results keep the page's order. A
     * certificate whose attempts answer 4xx, 5xx or garbage is still published (with a dead letter);
     * any other failure fails the poll and stops the page's other requests.
     */
    private void fetchAttempts(List<Item> items) throws SourceException, InterruptedException {
        List<Item> todo = items.stream().filter(i -> i.fetch != null).toList();
        if (fetchers == null || todo.size() <= 1) {
            for (Item item : todo) {
                item.resolve(item.fetch.fetch());
            }
            return;
        }
        CompletionService<Observation> completions = new ExecutorCompletionService<>(fetchers);
        Map<Future<Observation>, Item> running = new HashMap<>();
        try {
            for (Item item : todo) {
                running.put(completions.submit(() -> {
                    try {
                        return item.fetch.fetch();
                    } finally {
                        HttpFetcher.LastErrorBody.take(); // only Leegality reads it; do not keep it on a pool thread
                    }
                }), item);
            }
            for (int i = 0; i < todo.size(); i++) {
                Future<Observation> f = completions.take();
                try {
                    running.get(f).resolve(f.get());
                } catch (ExecutionException e) {
                    throw SourceException.rethrow(e, "source " + config.name + ": attempts fetch interrupted");
                }
            }
        } finally {
            running.keySet().forEach(f -> f.cancel(true)); // after a failure or an interrupt: the rest are not needed
        }
    }

    /** Reads new attempts; null when the attempts could not be read (the certificate itself is still published). */
    private Observation attempts(Instant now, Certificate cert, CertificateKey key, String certId, CertState state)
            throws SourceException, InterruptedException {
        String cpId = state == null ? null : state.lastAttemptId();
        String cpStatus = state == null ? null : state.lastStatus();
        Instant cpStarted = state == null ? null : state.lastAttemptStartedAt();
        String path = "/api/organizations/" + enc(config.organizationId) + "/certificates/" + enc(certId) + "/attempts";
        URI next = URI.create(config.base() + path + "?page=1&itemsPerPage=" + config.itemsPerPage);
        Map<String, RenewalAttempt> fresh = new LinkedHashMap<>();
        Set<String> visited = new HashSet<>();
        try {
            for (int pages = 0; pages < config.maxPages && next != null && visited.add(next.toString()); pages++) {
                JsonNode collection = getJson(next, path);
                JsonNode members = Json.hydra(collection, "member");
                if (members == null || !members.isArray()) {
                    throw malformed(path, "the collection has no 'member' array");
                }
                boolean reached = false;
                for (JsonNode m : members) {
                    RenewalAttempt a = attempt(now, key, m);
                    if (a == null) {
                        continue;
                    }
                    if (a.getAttemptId().equals(cpId)) {
                        reached = true;
                        if (!a.getStatusRaw().equalsIgnoreCase(String.valueOf(cpStatus))) {
                            fresh.putIfAbsent(a.getAttemptId(), a); // the checkpointed attempt finished since: publish its new state
                        }
                        continue;
                    }
                    if (cpStarted != null && a.getStartedAt() != null && a.getStartedAt().isBefore(cpStarted)) {
                        reached = true; // older than the checkpoint: already published
                        continue;
                    }
                    fresh.putIfAbsent(a.getAttemptId(), a);
                }
                if (reached || members.isEmpty()) {
                    break;
                }
                next = nextPage(collection, next, path);
            }
        } catch (SourceException e) {
            if (e.kind().equals(SourceException.HTTP_4XX) || e.kind().equals(SourceException.HTTP_5XX) || e.kind().equals(SourceException.MALFORMED_BODY)) {
                warnings.itemError(config.name, "attempts", e.kind());
                LOG.warn("Source {}: attempts of certificate {} not read: {}", config.name, certId, e.getMessage());
                return null;
            }
            throw e;
        }
        if (fresh.isEmpty()) {
            return Observation.of(cert);
        }
        List<RenewalAttempt> ordered = new ArrayList<>(fresh.values());
        // newest first as listed, but a server may not keep to it: publish oldest first by start time (stable)
        java.util.Collections.reverse(ordered);
        ordered.sort(OLDEST_FIRST);
        RenewalAttempt newest = ordered.get(ordered.size() - 1);
        return new Observation(cert, ordered, newest.getAttemptId(), newest.getStartedAt(), newest.getStatusRaw());
    }

    private RenewalAttempt attempt(Instant now, CertificateKey key, JsonNode m) {
        try {
            if (!m.isObject()) {
                throw new Json.FieldException("member", m.getNodeType().name(), "attempt is not an object");
            }
            String id = Json.id(m, "id");
            String statusRaw = Json.text(m, "status");
            List<String> sans = new ArrayList<>();
            JsonNode snap = m.get("sansSnapshot");
            if (snap != null && snap.isArray()) {
                for (JsonNode s : snap) {
                    if (s.isArray()) {
                        s.forEach(x -> { if (x.isTextual()) sans.add(x.textValue()); });
                    } else if (s.isTextual()) {
                        sans.add(s.textValue());
                    }
                }
            }
            String started = Json.text(m, "startedAt");
            String finished = Json.text(m, "finishedAt");
            String issued = Json.text(m, "issuedExpiresAt");
            return RenewalAttempt.newBuilder()
                    .setAttemptId(id)
                    .setCertificateKey(key)
                    .setAttemptType(Json.text(m, "type"))
                    .setStatus(status(statusRaw))
                    .setStatusRaw(statusRaw == null ? "" : statusRaw)
                    .setStartedAt(Dates.parseFlexible(started, ZoneOffset.UTC))
                    .setFinishedAt(Dates.parseFlexible(finished, ZoneOffset.UTC))
                    .setErrorCode(Json.text(m, "errorCode"))
                    .setErrorMessage(Json.text(m, "errorMessage"))
                    .setSansSnapshot(sans)
                    .setIssuedNotAfter(Dates.parseFlexible(issued, ZoneOffset.UTC))
                    .setObservedAt(now)
                    .build();
        } catch (Json.FieldException e) {
            warnings.itemError(config.name, e.field(), e.getMessage());
            LOG.warn("Source {}: attempt of certificate {} field '{}' value '{}' unusable; skipped", config.name, key.getSourceId(), e.field(), e.value());
            return null;
        }
    }

    /** Reads one certificate's attempts. */
    @FunctionalInterface
    private interface AttemptsFetch {
        Observation fetch() throws SourceException, InterruptedException;
    }

    /** One member of a page: its observation and/or error, or the attempts still to read. */
    private static final class Item {
        final AttemptsFetch fetch;
        final Supplier<ItemError> unreadAttempts;
        final Certificate cert;
        Observation observation;
        ItemError error;

        Item(AttemptsFetch fetch, Supplier<ItemError> unreadAttempts, Certificate cert) {
            this.fetch = fetch;
            this.unreadAttempts = unreadAttempts;
            this.cert = cert;
        }

        static Item done(Observation observation) {
            Item i = new Item(null, null, null);
            i.observation = observation;
            return i;
        }

        static Item failed(ItemError error) {
            Item i = new Item(null, null, null);
            i.error = error;
            return i;
        }

        /** @param read the attempts, or null when they could not be read: the certificate is still published */
        void resolve(Observation read) {
            if (read != null) {
                observation = read;
            } else {
                observation = Observation.of(cert);
                error = unreadAttempts.get();
            }
        }
    }

    @Override
    public void close() {
        if (fetchers != null) {
            fetchers.shutdownNow();
        }
    }

    /** Failure is decided by status, never by whether errorCode is set. */
    static AttemptStatus status(String raw) {
        if (raw == null) {
            return AttemptStatus.UNKNOWN;
        }
        return switch (raw.toLowerCase(Locale.ROOT)) {
            case "succeeded", "success", "completed", "issued" -> AttemptStatus.SUCCEEDED;
            case "failed", "error", "errored" -> AttemptStatus.FAILED;
            case "pending", "queued", "scheduled" -> AttemptStatus.PENDING;
            case "running", "in_progress", "processing", "started" -> AttemptStatus.RUNNING;
            case "cancelled", "canceled", "aborted" -> AttemptStatus.CANCELLED;
            default -> AttemptStatus.UNKNOWN;
        };
    }

    private JsonNode getJson(URI uri, String path) throws SourceException, InterruptedException {
        Map<String, String> headers = "bearer".equals(config.authScheme)
                ? Map.of("Authorization", "Bearer " + config.token.reveal(), "Accept", "application/ld+json, application/json", "User-Agent", "certflow-ingest")
                : Map.of("X-API-TOKEN", config.token.reveal(), "Accept", "application/ld+json, application/json", "User-Agent", "certflow-ingest");
        // read inside the fetcher's retries: an answer cut off mid-body is asked for again, like a lost connection
        return http.send(config.name, HttpFetcher.request(uri, config.requestTimeout, headers).GET().build(), r -> {
            if (!r.ok()) {
                String kind = r.status() == 401 || r.status() == 403 ? SourceException.AUTH : SourceException.HTTP_4XX;
                throw new SourceException(kind, "source " + config.name + ": GET " + path + ": HTTP " + r.status());
            }
            JsonNode node;
            try (InputStream in = r.body()) {
                node = Json.MAPPER.readTree(in);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw malformed(path, "the body is not valid JSON");
            }
            if (node == null || !node.isObject()) {
                throw malformed(path, "the body is not a JSON object");
            }
            return node;
        });
    }

    /** view.next resolved against the current page; only the configured origin is followed (the token must not go elsewhere). */
    private URI nextPage(JsonNode collection, URI current, String path) throws SourceException {
        JsonNode view = Json.hydra(collection, "view");
        if (view == null || !view.isObject()) {
            return null;
        }
        JsonNode n = Json.hydra(view, "next");
        if (n == null || n.isNull() || !n.isTextual() || n.textValue().isBlank()) {
            return null;
        }
        URI next;
        try {
            next = current.resolve(n.textValue());
        } catch (IllegalArgumentException e) {
            throw malformed(path, "view.next is not a URL");
        }
        if (!sameOrigin(next)) {
            throw new SourceException(SourceException.API_ERROR, "source " + config.name + ": GET " + path + ": view.next points to another origin; not followed");
        }
        return next;
    }

    private boolean sameOrigin(URI uri) {
        return base.getScheme().equalsIgnoreCase(String.valueOf(uri.getScheme()))
                && base.getHost().equalsIgnoreCase(String.valueOf(uri.getHost()))
                && port(base) == port(uri);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private SourceException malformed(String path, String what) {
        return new SourceException(SourceException.MALFORMED_BODY, "source " + config.name + ": GET " + path + ": " + what);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
