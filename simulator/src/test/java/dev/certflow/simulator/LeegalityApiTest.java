package dev.certflow.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class LeegalityApiTest {
    private static final ZoneId KOLKATA = ZoneId.of("Asia/Kolkata");
    private final TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
    private Simulator sim;
    private SimulatedSource source;

    @BeforeEach
    void start() throws Exception {
        sim = Simulator.start(new SimulatorOptions().clock(ticker.clock(1)).size(300));
        source = sim.source(Fleet.LEEGALITY_SOURCE);
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private TestHttp.Response expiring(String query) {
        return TestHttp.get(source.baseUrl() + "/api/v1/certificates/expiring-soon" + query,
                "X-Auth-Token", source.settings().get("token"));
    }

    @Test
    void settingsAreTheIngestKeys() {
        assertThat(source.kind()).isEqualTo("leegality");
        assertThat(source.settings().keySet()).containsExactlyInAnyOrder("token", "departmentIds", "days", "zone");
        assertThat(source.settings().get("departmentIds").split(",")).hasSize(3);
        assertThat(source.settings().get("zone")).isEqualTo("Asia/Kolkata");
        assertThat(source.baseUrl()).startsWith("http://127.0.0.1:").endsWith("/leegality/esign-main");
        assertThat(source.toString()).doesNotContain(source.settings().get("token"));
    }

    @Test
    void itemsHaveExactlyTheCertificateVoFieldsAndComeEarliestFirst() {
        TestHttp.Response r = expiring("?days=3650");
        assertThat(r.status()).isEqualTo(200);
        Set<String> sampleFields = TestHttp.fields(TestHttp.sample("leegality-expiring-soon-200.json").get("data").get(0));
        assertThat(TestHttp.fields(r.json())).containsExactly("data");
        JsonNode data = r.json().get("data");
        // every listed certificate of the three departments: the ADDED ones not yet, and for a week after a
        // renewal both the new certificate and the one it replaces
        int listed = 0;
        for (int u = 0; u < 3; u++) {
            for (int j = 0; j < sim.fleet().unitSize(u); j++) {
                listed += sim.fleet().certificate(u, j).listedAt(sim.clock().instant()).size();
            }
        }
        assertThat(data).hasSize(listed);
        List<Instant> expiries = new ArrayList<>();
        boolean sawNoExpiry = false;
        for (JsonNode item : data) {
            assertThat(TestHttp.fields(item)).isEqualTo(sampleFields);
            assertThat(item.get("certificateType").asText()).isIn("PKCS12_PFX", "PKCS12_HSM", "PKCS11");
            Instant expiry = parse(item.get("expiry").isNull() ? null : item.get("expiry").asText());
            if (expiry == null) {
                sawNoExpiry = true;
            } else {
                assertThat(sawNoExpiry).as("certificates without expiry come last").isFalse();
                expiries.add(expiry);
            }
        }
        assertThat(expiries).isSorted();
        assertThat(sawNoExpiry).isTrue();
    }

    @Test
    void expiryComesInEveryFormTheIngestMustRead() {
        JsonNode data = expiring("?days=3650").json().get("data");
        List<String> raw = new ArrayList<>();
        data.forEach(item -> raw.add(item.get("expiry").isNull() ? null : item.get("expiry").asText()));
        assertThat(raw).anyMatch(s -> s != null && s.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+05:30"));
        assertThat(raw).anyMatch(s -> s != null && s.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"));
        assertThat(raw).anyMatch(s -> s != null && s.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d"));
        assertThat(raw).anyMatch(s -> s != null && s.matches("\\d{4}-\\d\\d-\\d\\d"));
        assertThat(raw).anyMatch(s -> s != null && s.matches("\\d{13}"));
        assertThat(raw).contains(Fleet.GARBAGE_EXPIRY).containsNull();
        // each value means exactly the scripted instant
        for (JsonNode item : data) {
            FleetCertificate c = sim.fleet().scenario().stream().filter(s -> s.sourceId().equals(item.get("id").asText()))
                    .findFirst().orElse(null);
            if (c != null && c.expiry() != null) {
                assertThat(parse(item.get("expiry").asText())).as(c.script().name()).isEqualTo(c.expiryAt(sim.clock().instant()));
            }
        }
    }

    @Test
    void onlyCertificatesWithinTheWindowDefault30Days() {
        Instant now = sim.clock().instant();
        JsonNode data = expiring("").json().get("data");
        assertThat(data.size()).isLessThan(expiring("?days=3650").json().get("data").size());
        for (JsonNode item : data) {
            Instant e = parse(item.get("expiry").isNull() ? null : item.get("expiry").asText());
            if (e != null) {
                assertThat(e).isBeforeOrEqualTo(now.plus(Duration.ofDays(30)));
            }
        }
        // expired ones are still listed: they are within any window
        assertThat(expiring("?days=0").json().get("data")).anySatisfy(item -> {
            Instant e = parse(item.get("expiry").isNull() ? null : item.get("expiry").asText());
            assertThat(e).isNotNull().isBefore(now);
        });
    }

    @Test
    void departmentFilter() {
        String hr = source.settings().get("departmentIds").split(",")[0];
        JsonNode data = expiring("?days=3650&departmentId=" + hr).json().get("data");
        assertThat(data).isNotEmpty().allSatisfy(item -> {
            assertThat(item.get("departmentId").asText()).isEqualTo(hr);
            assertThat(item.get("departmentName").asText()).isEqualTo("HR");
        });
        assertThat(expiring("?days=3650&departmentId=nobody").json().get("data")).isEmpty();
    }

    @Test
    void errorBodiesAreTheDocumentedOnes() {
        TestHttp.Response unauthorised = TestHttp.get(source.baseUrl() + "/api/v1/certificates/expiring-soon",
                "X-Auth-Token", "wrong");
        assertThat(unauthorised.status()).isEqualTo(401);
        assertThat(unauthorised.json()).isEqualTo(TestHttp.sample("leegality-expiring-soon-401.json"));
        TestHttp.Response missing = TestHttp.get(source.baseUrl() + "/api/v1/certificates/expiring-soon");
        assertThat(missing.status()).isEqualTo(401);
        TestHttp.Response bad = expiring("?days=soon");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json()).isEqualTo(TestHttp.sample("leegality-expiring-soon-400.json"));
        assertThat(expiring("?days=-1").status()).isEqualTo(400);
    }

    @Test
    void replacedRemovedAndAddedAsTimeAdvances() {
        Fleet fleet = sim.fleet();
        FleetCertificate replaced = find(Script.REPLACED);
        FleetCertificate removed = find(Script.REMOVED);
        FleetCertificate added = find(Script.ADDED);
        JsonNode before = expiring("?days=3650").json().get("data");
        assertThat(ids(before)).contains(removed.sourceId()).doesNotContain(added.sourceId());
        assertThat(expiryOf(before, replaced.sourceId())).isEqualTo(replaced.expiry());

        sim.clock().advance(Duration.between(sim.clock().instant(), removed.removedAt()));
        JsonNode after = expiring("?days=3650").json().get("data");
        assertThat(ids(after)).doesNotContain(removed.sourceId()).contains(added.sourceId());
        assertThat(expiryOf(after, replaced.sourceId())).isEqualTo(replaced.renewedExpiry())
                .isAfter(fleet.start().plus(Duration.ofDays(300)));
    }

    @Test
    void aLateReplacementIsANewIdWithTheSameNameAndBothAreListedUntilTheOldIsDisabled() throws Exception {
        try (Simulator year = TestHttp.year(90)) {
            SimulatedSource lg = year.source(Fleet.LEEGALITY_SOURCE);
            FleetCertificate c = year.fleet().scenario().stream().filter(x -> x.script() == Script.SUPERSEDED).findFirst().orElseThrow();
            Instant s = year.fleet().start().plus(Duration.ofMinutes(7L * c.unit().index()));
            String query = "/api/v1/certificates/expiring-soon?departmentId=" + c.tenant() + "&days=";
            year.clock().advance(Duration.between(year.clock().instant(), s.plus(Duration.ofDays(37))));
            JsonNode all = TestHttp.get(lg.baseUrl() + query + 3650, "X-Auth-Token", lg.settings().get("token")).json().get("data");
            List<JsonNode> named = new ArrayList<>();
            all.forEach(i -> {
                if (i.get("name").asText().equals(c.name())) {
                    named.add(i);
                }
            });
            assertThat(named).hasSize(2);
            assertThat(named.get(0).get("id").asText()).isEqualTo(c.sourceId());
            assertThat(parse(named.get(0).get("expiry").asText())).isEqualTo(s.plus(Duration.ofDays(40)));
            String replacement = named.get(1).get("id").asText();
            assertThat(replacement).isNotEqualTo(c.sourceId()).isEqualTo(c.generation(1).sourceId());
            assertThat(OffsetDateTime.parse(named.get(1).get("createdAt").asText()).toInstant()).isEqualTo(s.plus(Duration.ofDays(36)));
            assertThat(parse(named.get(1).get("expiry").asText())).isEqualTo(s.plus(Duration.ofDays(36 + 398)));
            // "expiring soon" means within days: the old one (3 days left) is, its replacement is not
            List<String> soon = ids(TestHttp.get(lg.baseUrl() + query + 30, "X-Auth-Token", lg.settings().get("token")).json().get("data"));
            assertThat(soon).contains(c.sourceId()).doesNotContain(replacement);

            year.clock().advance(Duration.between(year.clock().instant(), s.plus(Duration.ofDays(45))));
            List<String> later = ids(TestHttp.get(lg.baseUrl() + query + 3650, "X-Auth-Token", lg.settings().get("token")).json().get("data"));
            assertThat(later).contains(replacement).doesNotContain(c.sourceId());
        }
    }

    private FleetCertificate find(Script script) {
        return sim.fleet().scenario().stream().filter(c -> c.kind().equals("leegality") && c.script() == script)
                .findFirst().orElseThrow();
    }

    private static List<String> ids(JsonNode data) {
        List<String> ids = new ArrayList<>();
        data.forEach(i -> ids.add(i.get("id").asText()));
        return ids;
    }

    private static Instant expiryOf(JsonNode data, String id) {
        for (JsonNode i : data) {
            if (i.get("id").asText().equals(id)) {
                return parse(i.get("expiry").asText());
            }
        }
        throw new AssertionError("no certificate " + id);
    }

    /** A reader of the forms the simulator writes, as ingest must have one. */
    static Instant parse(String s) {
        if (s == null) {
            return null;
        }
        try {
            if (s.matches("\\d{10,}")) {
                return Instant.ofEpochMilli(Long.parseLong(s));
            }
            if (s.matches("\\d{4}-\\d\\d-\\d\\d")) {
                return LocalDate.parse(s).atStartOfDay(KOLKATA).toInstant();
            }
            if (s.endsWith("Z") || s.matches(".*[+-]\\d\\d:\\d\\d$")) {
                return OffsetDateTime.parse(s).toInstant();
            }
            return LocalDateTime.parse(s).atZone(KOLKATA).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
