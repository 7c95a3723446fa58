package dev.certflow.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SmoxyApiTest {
    private final TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
    private Simulator sim;

    @BeforeEach
    void start() throws Exception {
        sim = Simulator.start(new SimulatorOptions().clock(ticker.clock(1)).size(1800));
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private TestHttp.Response get(SimulatedSource s, String pathAndQuery) {
        String token = s.settings().get("token");
        return s.settings().get("authScheme").equals("bearer")
                ? TestHttp.get(s.baseUrl() + pathAndQuery, "Authorization", "Bearer " + token)
                : TestHttp.get(s.baseUrl() + pathAndQuery, "X-API-TOKEN", token);
    }

    private static String certificates(SimulatedSource s) {
        return "/api/organizations/" + s.settings().get("organizationId") + "/certificates";
    }

    @Test
    void settingsAreTheIngestKeys() {
        List<SimulatedSource> smoxy = sim.sources().stream().filter(s -> s.kind().equals("smoxy")).toList();
        assertThat(smoxy).extracting(SimulatedSource::name).containsExactly("smoxy-acme", "smoxy-globex", "smoxy-initech");
        assertThat(smoxy).allSatisfy(s -> {
            assertThat(s.settings().keySet()).containsExactlyInAnyOrder("organizationId", "token", "authScheme", "itemsPerPage");
            assertThat(s.baseUrl()).isEqualTo(sim.baseUrl());
        });
        assertThat(smoxy).extracting(s -> s.settings().get("authScheme")).containsExactly("api-token", "api-token", "bearer");
    }

    @Test
    void membersHaveTheVendorFieldsIncludingTheKeyMaterial() {
        SimulatedSource acme = sim.source("smoxy-acme");
        TestHttp.Response r = get(acme, certificates(acme));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/ld+json");
        JsonNode sample = TestHttp.sample("smoxy-certificates-200.json");
        assertThat(TestHttp.fields(r.json())).containsAll(TestHttp.fields(sample));
        JsonNode sampleMember = sample.get("member").get(0);
        for (JsonNode m : r.json().get("member")) {
            assertThat(TestHttp.fields(m)).isEqualTo(TestHttp.fields(sampleMember));
            if (!m.get("expiresAt").isNull()) {
                assertThat(m.get("expiresAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+00:00");
                assertThat(m.get("privateKeyData").asText()).startsWith("-----BEGIN PRIVATE KEY-----")
                        .contains(Fleet.PRIVATE_KEY_MARKER);
                assertThat(m.get("certificateData").asText()).startsWith("-----BEGIN CERTIFICATE-----");
                assertThat(m.get("chainData").asText()).startsWith("-----BEGIN CERTIFICATE-----");
            }
            assertThat(TestHttp.fields(m.get("sans").get(0))).isEqualTo(TestHttp.fields(sampleMember.get("sans").get(0)));
            assertThat(m.get("type").asText()).isIn("auto_managed", "custom");
            assertThat(m.get("status").asText()).isIn("active", "expired", "pending");
        }
        assertThat(r.json().get("member")).hasSize(30); // default page size
    }

    @Test
    void pagingFollowsViewNextUntilTotalItems() {
        for (SimulatedSource s : sim.sources()) {
            if (!s.kind().equals("smoxy")) {
                continue;
            }
            boolean hydra = s.settings().get("organizationId").equals(SmoxyApi.HYDRA_ORG);
            String p = hydra ? "hydra:" : "";
            String next = certificates(s) + "?itemsPerPage=7";
            Set<String> ids = new HashSet<>();
            long total = -1;
            int pages = 0;
            while (next != null) {
                TestHttp.Response r = get(s, next);
                assertThat(r.status()).isEqualTo(200);
                JsonNode body = r.json();
                total = body.get(p + "totalItems").asLong();
                body.get(p + "member").forEach(m -> ids.add(m.get("id").asText()));
                JsonNode view = body.get(p + "view");
                assertThat(view.get(p + "first").asText()).endsWith("page=1");
                // a server-relative IRI: resolving it against the base URL keeps host and port
                next = view.has(p + "next") ? URI.create(s.baseUrl()).resolve(view.get(p + "next").asText())
                        .toString().substring(s.baseUrl().length()) : null;
                pages++;
                if (hydra) {
                    assertThat(body.has("member")).isFalse();
                }
            }
            assertThat(ids).hasSize((int) total);
            assertThat(pages).isEqualTo((int) ((total + 6) / 7));
            assertThat(total).isEqualTo(sim.fleet().presentCount(sim.fleet().units().stream()
                    .filter(u -> u.sourceName().equals(s.name())).findFirst().orElseThrow().index(), sim.clock().instant()));
        }
    }

    @Test
    void itemsPerPageIsCappedAt100AndBadPagesAreRejected() {
        SimulatedSource acme = sim.source("smoxy-acme");
        assertThat(get(acme, certificates(acme) + "?itemsPerPage=500").json().get("member")).hasSize(100);
        TestHttp.Response bad = get(acme, certificates(acme) + "?page=0");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("@type").asText()).isEqualTo("hydra:Error");
        assertThat(get(acme, certificates(acme) + "?page=x").status()).isEqualTo(400);
    }

    @Test
    void authentication() {
        SimulatedSource acme = sim.source("smoxy-acme");
        SimulatedSource initech = sim.source("smoxy-initech");
        TestHttp.Response none = TestHttp.get(acme.baseUrl() + certificates(acme));
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.json().get("message").asText()).isEqualTo("JWT Token not found");
        assertThat(TestHttp.get(acme.baseUrl() + certificates(acme), "X-API-TOKEN", "nope").status()).isEqualTo(401);
        assertThat(TestHttp.get(acme.baseUrl() + certificates(acme), "Authorization", "Bearer nope").status()).isEqualTo(401);
        // both schemes work with a valid token
        assertThat(TestHttp.get(acme.baseUrl() + certificates(acme), "Authorization",
                "Bearer " + acme.settings().get("token")).status()).isEqualTo(200);
        assertThat(TestHttp.get(acme.baseUrl() + certificates(initech), "X-API-TOKEN",
                initech.settings().get("token")).status()).isEqualTo(200);
        // another organisation's token opens nothing here
        TestHttp.Response foreign = TestHttp.get(acme.baseUrl() + certificates(acme), "X-API-TOKEN",
                initech.settings().get("token"));
        assertThat(foreign.status()).isEqualTo(403);
        assertThat(get(acme, "/api/organizations/org-99/certificates").status()).isEqualTo(404);
    }

    @Test
    void attemptsMatchTheSampleAndAreNewestFirst() {
        SimulatedSource acme = sim.source("smoxy-acme");
        FleetCertificate bg = sim.fleet().certificate(3, 40);
        TestHttp.Response r = get(acme, certificates(acme) + "/" + bg.sourceId() + "/attempts");
        assertThat(r.status()).isEqualTo(200);
        JsonNode sample = TestHttp.sample("smoxy-attempts-200.json");
        assertThat(TestHttp.fields(r.json())).containsAll(TestHttp.fields(sample));
        JsonNode members = r.json().get("member");
        assertThat(members).isNotEmpty();
        assertThat(r.json().get("totalItems").asInt()).isEqualTo(members.size());
        Instant previous = Instant.MAX;
        for (JsonNode m : members) {
            assertThat(TestHttp.fields(m)).isEqualTo(TestHttp.fields(sample.get("member").get(0)));
            Instant started = Instant.parse(m.get("startedAt").asText().replace("+00:00", "Z"));
            assertThat(started).isBefore(previous);
            previous = started;
        }
        // a single attempt adds its steps
        String attemptId = members.get(0).get("id").asText();
        JsonNode one = get(acme, certificates(acme) + "/" + bg.sourceId() + "/attempts/" + attemptId).json();
        assertThat(one.get("steps")).isNotEmpty();
        assertThat(get(acme, certificates(acme) + "/" + bg.sourceId() + "/attempts/unknown").status()).isEqualTo(404);
    }

    @Test
    void someSucceededAttemptsCarryAnErrorCodeLikeTheDocumentedSample() {
        SimulatedSource acme = sim.source("smoxy-acme");
        boolean found = false;
        for (int j = 9; j < sim.fleet().unitSize(3) && !found; j++) {
            FleetCertificate c = sim.fleet().certificate(3, j);
            for (JsonNode m : get(acme, certificates(acme) + "/" + c.sourceId() + "/attempts").json().get("member")) {
                found |= m.get("status").asText().equals("succeeded") && !m.get("errorCode").isNull();
            }
        }
        assertThat(found).isTrue();
    }

    @Test
    void renewalFailsThenSucceedsAsTimeAdvances() {
        SimulatedSource acme = sim.source("smoxy-acme");
        FleetCertificate c = sim.fleet().scenario().stream()
                .filter(s -> s.sourceName().equals("smoxy-acme") && s.script() == Script.RENEWAL_FAILS_THEN_SUCCEEDS)
                .findFirst().orElseThrow();
        String attempts = certificates(acme) + "/" + c.sourceId() + "/attempts";
        assertThat(statuses(get(acme, attempts).json())).containsExactly("succeeded");

        sim.clock().advance(Duration.between(sim.clock().instant(), c.renewalFailedAt()));
        JsonNode failed = get(acme, attempts).json();
        assertThat(statuses(failed)).containsExactly("failed", "succeeded");
        assertThat(failed.get("member").get(0).get("errorCode").asText()).isEqualTo("acme_error");
        assertThat(failed.get("member").get(0).get("errorMessage").asText()).isNotBlank();

        sim.clock().advance(Duration.between(sim.clock().instant(), c.renewedAt()));
        JsonNode renewed = get(acme, attempts).json();
        assertThat(statuses(renewed)).containsExactly("succeeded", "failed", "succeeded");
        assertThat(renewed.get("member").get(0).get("issuedExpiresAt").asText())
                .isEqualTo(c.renewedExpiry().toString().replace("Z", "+00:00"));
        JsonNode cert = get(acme, certificates(acme) + "/" + c.sourceId()).json();
        assertThat(cert.get("expiresAt").asText()).isEqualTo(c.renewedExpiry().toString().replace("Z", "+00:00"));
        assertThat(cert.get("lastAttempt").get("id").asText()).isEqualTo(renewed.get("member").get(0).get("id").asText());
    }

    @Test
    void removedCertificatesDisappearAndAddedOnesAppear() {
        SimulatedSource globex = sim.source("smoxy-globex");
        FleetCertificate removed = scripted("smoxy-globex", Script.REMOVED);
        FleetCertificate added = scripted("smoxy-globex", Script.ADDED);
        assertThat(allIds(globex)).contains(removed.sourceId()).doesNotContain(added.sourceId());
        assertThat(get(globex, certificates(globex) + "/" + added.sourceId() + "/attempts").status()).isEqualTo(404);
        sim.clock().advance(Duration.between(sim.clock().instant(), removed.removedAt()));
        assertThat(allIds(globex)).doesNotContain(removed.sourceId()).contains(added.sourceId());
        assertThat(get(globex, certificates(globex) + "/" + removed.sourceId() + "/attempts").status()).isEqualTo(404);
        JsonNode addedAttempts = get(globex, certificates(globex) + "/" + added.sourceId() + "/attempts").json();
        assertThat(statuses(addedAttempts)).containsExactly("succeeded");
    }

    @Test
    void aBackgroundRenewalOnScheduleShowsAsAnAttemptAndANewExpiry() {
        SimulatedSource acme = sim.source("smoxy-acme");
        FleetCertificate c = null;
        for (int j = sim.fleet().scriptedCount(3); c == null; j++) {
            FleetCertificate candidate = sim.fleet().certificate(3, j);
            c = candidate.mode() == RenewalMode.SMOXY_AUTO ? candidate : null;
        }
        Generation now = c.generationAt(sim.clock().instant());
        Generation next = c.generation(now.number() + 1);
        String path = certificates(acme) + "/" + c.sourceId();
        sim.clock().advance(Duration.between(sim.clock().instant(), next.issuedAt().minusSeconds(1)));
        JsonNode before = get(acme, path + "/attempts").json();
        JsonNode old = get(acme, path).json();
        assertThat(old.get("expiresAt").asText()).isEqualTo(iso(now.notAfter()));
        // smoxy renews 30 days before expiry (29 days 23 hours at the latest)
        assertThat(Duration.between(next.issuedAt(), now.notAfter())).isBetween(Duration.ofDays(29), Duration.ofDays(30));

        sim.clock().advance(Duration.ofSeconds(1));
        JsonNode after = get(acme, path + "/attempts").json();
        assertThat(after.get("totalItems").asInt()).isEqualTo(before.get("totalItems").asInt() + 1);
        JsonNode renewal = after.get("member").get(0);
        assertThat(renewal.get("type").asText()).isEqualTo("acme_renew");
        assertThat(renewal.get("status").asText()).isEqualTo("succeeded");
        assertThat(renewal.get("finishedAt").asText()).isEqualTo(iso(next.issuedAt()));
        assertThat(renewal.get("issuedExpiresAt").asText()).isEqualTo(iso(next.notAfter()));
        assertThat(renewal.get("sansSnapshot").get(0)).extracting(JsonNode::asText).containsExactly(c.domain(), "www." + c.domain());
        JsonNode cert = get(acme, path).json();
        assertThat(cert.get("expiresAt").asText()).isEqualTo(iso(next.notAfter()));
        assertThat(cert.get("lastAttempt").get("id").asText()).isEqualTo(renewal.get("id").asText());
        assertThat(cert.get("fingerprint").asText()).isNotEqualTo(old.get("fingerprint").asText());
        // the listing shows it too
        boolean listed = false;
        for (int page = 1; !listed; page++) {
            for (JsonNode m : get(acme, certificates(acme) + "?itemsPerPage=100&page=" + page).json().get("member")) {
                if (m.get("id").asText().equals(c.sourceId())) {
                    assertThat(m.get("expiresAt").asText()).isEqualTo(iso(next.notAfter()));
                    listed = true;
                }
            }
        }
    }

    @Test
    void theYearsFailingRenewalsAndDroppedSanThroughTheApi() throws Exception {
        try (Simulator year = TestHttp.year(90)) {
            SimulatedSource globex = year.source("smoxy-globex");
            FleetCertificate failing = TestHttp.scripted(year.fleet(), "smoxy-globex", Script.RENEWAL_FAILS);
            FleetCertificate dropping = TestHttp.scripted(year.fleet(), "smoxy-globex", Script.SAN_DROPPED);
            Instant s = year.fleet().start().plus(Duration.ofMinutes(7 * 4));
            year.clock().advance(Duration.between(year.clock().instant(), s.plus(Duration.ofDays(11))));
            JsonNode cert = get(globex, certificates(globex) + "/" + dropping.sourceId()).json();
            List<String> sans = new ArrayList<>();
            cert.get("sans").forEach(n -> sans.add(n.get("name").asText()));
            assertThat(sans).containsExactly(dropping.domain());
            JsonNode renewal = get(globex, certificates(globex) + "/" + dropping.sourceId() + "/attempts").json().get("member").get(0);
            assertThat(renewal.get("sansSnapshot").get(0)).extracting(JsonNode::asText).containsExactly(dropping.domain());

            year.clock().advance(Duration.between(year.clock().instant(), s.plus(Duration.ofDays(54))));
            String attempts = certificates(globex) + "/" + failing.sourceId() + "/attempts";
            assertThat(statuses(get(globex, attempts).json())).containsExactly("failed", "failed", "failed", "failed", "succeeded");
            assertThat(get(globex, attempts + "?status=failed").json().get("totalItems").asInt()).isEqualTo(4);
            assertThat(get(globex, certificates(globex) + "/" + failing.sourceId()).json().get("expiresAt").asText())
                    .isEqualTo(iso(failing.expiry()));
            year.clock().advance(Duration.ofDays(3));
            JsonNode done = get(globex, attempts).json();
            assertThat(statuses(done)).containsExactly("succeeded", "failed", "failed", "failed", "failed", "failed", "failed", "succeeded");
            assertThat(done.get("member").get(0).get("issuedExpiresAt").asText())
                    .isEqualTo(get(globex, certificates(globex) + "/" + failing.sourceId()).json().get("expiresAt").asText())
                    .isEqualTo(iso(failing.expiry().plus(Duration.ofDays(66).plusHours(12))));
        }
    }

    private static String iso(Instant t) {
        return t.toString().replace("Z", "+00:00");
    }

    private FleetCertificate scripted(String source, Script script) {
        return sim.fleet().scenario().stream().filter(s -> s.sourceName().equals(source) && s.script() == script)
                .findFirst().orElseThrow();
    }

    private List<String> allIds(SimulatedSource s) {
        List<String> ids = new ArrayList<>();
        get(s, certificates(s) + "?itemsPerPage=100").json().get("member").forEach(m -> ids.add(m.get("id").asText()));
        return ids;
    }

    private static List<String> statuses(JsonNode collection) {
        List<String> out = new ArrayList<>();
        collection.get("member").forEach(m -> out.add(m.get("status").asText()));
        return out;
    }
}
