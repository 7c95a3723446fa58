package dev.certflow.simulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Leegality sign-station (seed 000): {@code GET {base}/api/v1/certificates/expiring-soon?days=&departmentId=}
 * with {@code X-Auth-Token}; base = {@code /leegality/{sourceName}}.
 *
 * <p>Returns the enabled certificates whose expiry is at most {@code days} (default 30) from now,
 * already expired ones included, earliest first; certificates without a readable expiry come last.
 * Expiries are written in the certificate's {@link ExpiryFormat}; {@code createdAt} is when that
 * certificate (id) was created. A renewed certificate is a new id with the same name, and the one it
 * replaces stays enabled, and listed, for {@link RenewalMode#NEW_ID_OVERLAP}.
 */
final class LeegalityApi extends ApiHandler {
    static final String PREFIX = "/leegality/";
    static final String ENDPOINT = "/api/v1/certificates/expiring-soon";
    private static final String[] TYPES = {"PKCS12_PFX", "PKCS12_HSM", "PKCS11"};

    LeegalityApi(Fleet fleet, SimClock clock, SimulatorOptions options, Faults faults) {
        super(fleet, clock, options, faults);
    }

    @Override
    void serve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String rest = path.substring(PREFIX.length());
        int slash = rest.indexOf('/');
        String source = slash < 0 ? rest : rest.substring(0, slash);
        String endpoint = slash < 0 ? "" : rest.substring(slash);
        List<FleetUnit> departments = new ArrayList<>();
        for (FleetUnit u : fleet.units()) {
            if (u.kind().equals("leegality") && u.sourceName().equals(source)) {
                departments.add(u);
            }
        }
        if (departments.isEmpty() || !endpoint.equals(ENDPOINT)) {
            sendJson(exchange, 404, error("LE_ERR_SS_404", "Resource not found", endpoint, null));
            return;
        }
        if (!"GET".equals(exchange.getRequestMethod())) {
            sendJson(exchange, 405, error("LE_ERR_SS_405", "Method not allowed", ENDPOINT, null));
            return;
        }
        String token = exchange.getRequestHeaders().getFirst("X-Auth-Token");
        if (token == null || !token.equals(departments.get(0).token())) {
            sendJson(exchange, 401, errorBody(401, ENDPOINT, echo(exchange)));
            return;
        }
        Map<String, String> params = query(exchange);
        int days;
        try {
            Integer d = intParam(params, "days");
            days = d == null ? 30 : d;
        } catch (NumberFormatException e) {
            days = -1;
        }
        if (days < 0) {
            sendJson(exchange, 400, errorBody(400, ENDPOINT, echo(exchange)));
            return;
        }
        String departmentId = params.get("departmentId");
        if (departmentId != null && !departmentId.isBlank()) {
            departments.removeIf(u -> !u.tenant().equals(departmentId));
        }
        Instant now = clock.instant();
        List<FleetUnit> listedUnits = departments;
        Set<Long> omitted = faults.beginListing("leegality/" + source + "/" + (departmentId == null ? "" : departmentId), () -> {
            List<Long> all = new ArrayList<>();
            for (FleetUnit u : listedUnits) {
                for (int j = 0; j < fleet.unitSize(u.index()); j++) {
                    if (!fleet.certificate(u.index(), j).listedAt(now).isEmpty()) {
                        all.add(id(u.index(), j));
                    }
                }
            }
            return all.stream().mapToLong(Long::longValue).toArray();
        });
        long limit = now.plus(Duration.ofDays(days)).getEpochSecond();
        long base = now.getEpochSecond();
        // sort (expiry, which of its listed generations, unit, index) packed into longs: no per-certificate
        // object survives the request
        long[] packed = new long[64];
        int count = 0;
        List<FleetCertificate> noExpiry = new ArrayList<>();
        for (FleetUnit u : departments) {
            int n = fleet.unitSize(u.index());
            for (int j = 0; j < n; j++) {
                if (omitted.contains(id(u.index(), j))) {
                    continue; // a shrunk listing
                }
                FleetCertificate c = fleet.certificate(u.index(), j);
                List<Generation> listed = c.listedAt(now);
                for (int k = 0; k < listed.size(); k++) {
                    Instant expiry = listed.get(k).notAfter();
                    if (expiry == null) {
                        noExpiry.add(c);
                    } else if (expiry.getEpochSecond() <= limit) {
                        if (count == packed.length) {
                            packed = Arrays.copyOf(packed, count * 2);
                        }
                        boolean older = k < listed.size() - 1;
                        packed[count++] = (sortKey(expiry.getEpochSecond() - base) << 27) | (older ? 1L << 26 : 0)
                                | ((long) u.index() << 24) | j;
                    }
                }
            }
        }
        Arrays.sort(packed, 0, count);
        long[] sorted = packed;
        int total = count;
        streamJson(exchange, gen -> {
            gen.writeStartObject();
            gen.writeArrayFieldStart("data");
            for (int i = 0; i < total; i++) {
                int unit = (int) ((sorted[i] >>> 24) & 0x3);
                int index = (int) (sorted[i] & 0xFF_FFFF);
                FleetCertificate c = fleet.certificate(unit, index);
                List<Generation> listed = c.listedAt(now);
                write(gen, c, (sorted[i] & (1L << 26)) != 0 ? listed.get(0) : listed.get(listed.size() - 1));
            }
            for (FleetCertificate c : noExpiry) {
                write(gen, c, c.generationAt(now));
            }
            gen.writeEndArray();
            gen.writeEndObject();
        });
    }

    /**
     * Seconds from now to an expiry as a 36-bit sort key: exact within 1,088 years either side of now (a
     * clock at 100,000x passes 34 years, what a 32-bit key held, in under three real hours), clamped beyond.
     * Below it: 1 bit for the older of two listed generations, 2 for the department (units 0..2), 24 for
     * the index (a department holds at most 11.2 million).
     */
    static long sortKey(long secondsFromNow) {
        return Math.max(0, Math.min((1L << 36) - 1, secondsFromNow + (1L << 35)));
    }

    private static void write(JsonGenerator gen, FleetCertificate c, Generation g) throws IOException {
        FleetUnit u = c.unit();
        gen.writeStartObject();
        gen.writeStringField("id", g.sourceId());
        gen.writeStringField("name", c.name());
        gen.writeStringField("certificateType", TYPES[(int) Long.remainderUnsigned(c.hash() >>> 4, TYPES.length)]);
        if (g.notAfter() != null) {
            gen.writeStringField("expiry", c.expiryFormat().format(g.notAfter(), u.zone()));
        } else if (c.rawExpiry() != null) {
            gen.writeStringField("expiry", c.rawExpiry());
        } else {
            gen.writeNullField("expiry");
        }
        gen.writeStringField("createdAt", ExpiryFormat.ISO_OFFSET.format(c.createdAt(g), u.zone()));
        gen.writeStringField("departmentId", u.tenant());
        gen.writeStringField("departmentName", u.label());
        gen.writeEndObject();
    }

    @Override
    Object errorBody(int status, String path, String echo) {
        return switch (status) {
            case 400 -> error("LE_ERR_SS_400", echo + "Invalid request parameters provided.", path, null);
            case 401 -> error("LE_ERR_SS_401", echo + "Invalid or expired token", path, "LE_ERR_SS_303");
            case 429 -> error("LE_ERR_SS_429", echo + "Too many requests", path, null);
            default -> error("LE_ERR_SS_500", echo + "Internal Server Error", null, null);
        };
    }

    @Override
    void refuseCredentials(HttpExchange exchange, String echo) throws IOException {
        sendJson(exchange, 401, errorBody(401, ENDPOINT, echo));
    }

    static Map<String, Object> error(String code, String message, String path, String detailCode) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("message", message);
        detail.put("path", path);
        detail.put("code", detailCode);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", code);
        body.put("errors", List.of(detail));
        return body;
    }
}
