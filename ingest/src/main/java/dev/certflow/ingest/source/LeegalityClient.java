package dev.certflow.ingest.source;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.ingest.config.LeegalitySourceConfig;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Leegality sign-station {@code GET /api/v1/certificates/expiring-soon}: one query per configured
 * department (or one without), with a wide {@code days} window so the answer is the inventory. The
 * answer is not paged, so it is read as a stream and published in chunks; memory stays flat.
 *
 * <p>Tenant: the queried department, else the item's {@code departmentId}, else none. A certificate
 * that disappears is removed only if the window [now, now + days] would still include its last
 * known expiry: an expired certificate drops out of an "expiring soon" listing without having been
 * removed.
 */
public final class LeegalityClient implements SourceClient {
    private static final Logger LOG = LoggerFactory.getLogger(LeegalityClient.class);
    static final String PATH = "/api/v1/certificates/expiring-soon";

    private final LeegalitySourceConfig config;
    private final HttpFetcher http;
    private final int chunkSize;
    private final ItemCounter warnings;

    public LeegalityClient(LeegalitySourceConfig config, HttpFetcher http, int chunkSize, ItemCounter warnings) {
        this.config = config;
        this.http = http;
        this.chunkSize = chunkSize;
        this.warnings = warnings;
    }

    @Override
    public void poll(Instant now, PollSink sink) throws SourceException, PollSink.PollAbortedException, InterruptedException {
        List<String> departments = config.departmentIds.isEmpty() ? Arrays.asList((String) null) : config.departmentIds;
        for (String department : departments) {
            query(now, department, sink);
        }
    }

    private void query(Instant now, String department, PollSink sink) throws SourceException, PollSink.PollAbortedException, InterruptedException {
        String url = config.base() + PATH + "?days=" + config.days
                + (department == null ? "" : "&departmentId=" + URLEncoder.encode(department, StandardCharsets.UTF_8));
        var request = HttpFetcher.request(URI.create(url), config.requestTimeout, Map.of(
                "X-Auth-Token", config.token.reveal(), "Accept", "application/json", "User-Agent", "certflow-ingest")).GET().build();
        HttpFetcher.Response response;
        try {
            response = http.send(config.name, request);
        } catch (SourceException e) {
            if (SourceException.HTTP_5XX.equals(e.kind())) {
                logVendorError(HttpFetcher.LastErrorBody.take(), 500);
            }
            throw e;
        }
        try (response) {
            if (!response.ok()) {
                String codes = logVendorError(response.errorBody(), response.status());
                String kind = response.status() == 401 || response.status() == 403 ? SourceException.AUTH : SourceException.HTTP_4XX;
                throw new SourceException(kind, "source " + config.name + ": GET " + PATH + ": HTTP " + response.status() + codes);
            }
            boolean complete = stream(now, department, response.body(), sink);
            if (complete) {
                Instant windowEnd = now.plus(java.time.Duration.ofDays(config.days));
                sink.listingComplete((key, state) -> Objects.equals(department == null ? state.tenant() : department, state.tenant())
                        && (state.notAfter() == null || (!state.notAfter().isBefore(now) && !state.notAfter().isAfter(windowEnd))));
            }
        }
    }

    /** Reads {@code {"data":[...]}} item by item; returns whether the listing is complete (no unidentifiable items). */
    private boolean stream(Instant now, String department, InputStream body, PollSink sink) throws SourceException, PollSink.PollAbortedException {
        boolean sawData = false;
        boolean unkeyedErrors = false;
        List<Observation> chunk = new ArrayList<>();
        List<ItemError> errors = new ArrayList<>();
        try (JsonParser p = Json.LISTING_MAPPER.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw malformed("the body is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (!"data".equals(field)) {
                    p.skipChildren();
                    continue;
                }
                if (value == JsonToken.VALUE_NULL) {
                    sawData = true;
                    continue;
                }
                if (value != JsonToken.START_ARRAY) {
                    throw malformed("field 'data' is not an array");
                }
                sawData = true;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    JsonNode item = p.readValueAsTree();
                    ItemError error = normalise(now, department, item, chunk);
                    if (error != null) {
                        errors.add(error);
                        unkeyedErrors |= error.certificateKey() == null;
                    }
                    if (chunk.size() + errors.size() >= chunkSize) {
                        sink.page(chunk, errors);
                        chunk = new ArrayList<>();
                        errors = new ArrayList<>();
                    }
                }
            }
        } catch (JsonProcessingException e) {
            // a read limit (StreamConstraintsException) carries no location
            throw malformed("the body is not valid JSON" + (e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")"));
        } catch (IOException e) {
            throw new SourceException(SourceException.CONNECT, "source " + config.name + ": GET " + PATH + ": reading the body failed (" + e.getClass().getSimpleName() + ")");
        }
        if (!sawData) {
            throw malformed("the body has no 'data' field");
        }
        if (!chunk.isEmpty() || !errors.isEmpty()) {
            sink.page(chunk, errors);
        }
        return !unkeyedErrors;
    }

    ItemError normalise(Instant now, String department, JsonNode item, List<Observation> out) {
        IdentifiedItem identified = IdentifiedItem.of(item, "item", config.name, warnings, LOG);
        if (identified.error() != null) {
            return identified.error();
        }
        String id = identified.id();
        String itemDepartment = null;
        CertificateKey key = null;
        try {
            itemDepartment = Json.text(item, "departmentId");
            String tenant = department != null ? department : itemDepartment;
            key = CertificateKeys.of(SourceKind.LEEGALITY, config.name, tenant, id);
            String name = Json.text(item, "name");
            String certType = Json.text(item, "certificateType");
            String expiryRaw = Json.text(item, "expiry");
            String createdRaw = Json.text(item, "createdAt");
            String departmentName = Json.text(item, "departmentName");
            Instant expiry = Dates.parseFlexible(expiryRaw, config.zone);
            ExpiryStatus status = UnparseableReports.expiryStatus(config.name, id, "expiry", expiryRaw, expiry, warnings, LOG);
            Instant created = Dates.parseFlexible(createdRaw, config.zone);
            if (created == null && createdRaw != null && !createdRaw.isBlank()) {
                LOG.warn("Source {}: certificate {} field 'createdAt' value '{}' is not a date; left empty", config.name, id, Json.shortText(createdRaw));
            }
            Certificate cert = Certificate.newBuilder()
                    .setKey(key)
                    .setName(name)
                    .setSourceType(certType)
                    .setType(CertificateType.SIGNING)
                    .setExpiryStatus(status)
                    .setNotAfter(status == ExpiryStatus.KNOWN ? expiry : null)
                    .setNotAfterRaw(expiryRaw)
                    .setCreatedAt(created)
                    .setDepartmentId(itemDepartment != null ? itemDepartment : department)
                    .setDepartmentName(departmentName)
                    .setObservedAt(now)
                    .build();
            out.add(Observation.of(cert));
            return null;
        } catch (Json.FieldException e) {
            warnings.itemError(config.name, e.field(), e.getMessage());
            LOG.warn("Source {}: certificate {} field '{}' has the wrong type, value '{}'; sent to the dead-letter topic", config.name, id, e.field(), e.value());
            String k = key == null ? CertificateKeys.format(CertificateKeys.of(SourceKind.LEEGALITY, config.name, department, id)) : CertificateKeys.format(key);
            return new ItemError(e.field(), e.value(), e.getMessage(), Json.bytes(item), k);
        }
    }

    private String logVendorError(byte[] body, int status) {
        String code = null;
        List<String> details = new ArrayList<>();
        try {
            JsonNode node = body == null || body.length == 0 ? null : Json.MAPPER.readTree(body);
            if (node != null && node.isObject()) {
                code = node.path("code").isTextual() ? VendorText.clean(node.path("code").textValue(), config.token.reveal()) : null;
                for (JsonNode e : node.path("errors")) {
                    // the message may echo the request, token included
                    details.add((e.path("code").isTextual() ? e.path("code").textValue() : "-") + " "
                            + VendorText.clean(e.path("message").asText(""), config.token.reveal()));
                }
            }
        } catch (IOException e) {
            // an HTML error page: no vendor codes
        }
        LOG.warn("Source {}: GET {} answered HTTP {} code {} errors {}", config.name, PATH, status, code, details);
        return code == null ? "" : " " + code + (details.isEmpty() ? "" : " " + details);
    }

    private SourceException malformed(String what) {
        return new SourceException(SourceException.MALFORMED_BODY, "source " + config.name + ": GET " + PATH + ": " + what);
    }
}
