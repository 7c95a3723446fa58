package dev.certflow.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class YeastarApiTest {
    private static final DateTimeFormatter EXPIRATION = DateTimeFormatter.ofPattern("yyyy/MM/dd hh:mm:ss a", Locale.US);
    private final TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
    private Simulator sim;

    @BeforeEach
    void start() throws Exception {
        sim = Simulator.start(new SimulatorOptions().clock(ticker.clock(1)).size(300).tokenTtl(Duration.ofSeconds(60))
                .refreshTokenTtl(Duration.ofSeconds(600)));
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private static String api(SimulatedSource s, String op) {
        return s.baseUrl() + "/openapi/v1.0/" + op;
    }

    private static TestHttp.Response getToken(SimulatedSource s) {
        return TestHttp.post(api(s, "get_token"), "{\"username\":\"" + s.settings().get("clientId")
                + "\",\"password\":\"" + s.settings().get("clientSecret") + "\"}", "User-Agent", s.settings().get("userAgent"));
    }

    private static TestHttp.Response list(SimulatedSource s, String token, String query) {
        return TestHttp.get(api(s, "certificate/list") + "?access_token=" + token + query,
                "User-Agent", s.settings().get("userAgent"));
    }

    @Test
    void settingsAreTheIngestKeys() {
        assertThat(sim.sources().stream().filter(s -> s.kind().equals("yeastar")))
                .extracting(SimulatedSource::name).containsExactly("pbx-berlin", "pbx-newyork", "pbx-mumbai");
        SimulatedSource berlin = sim.source("pbx-berlin");
        assertThat(berlin.settings().keySet())
                .containsExactlyInAnyOrder("clientId", "clientSecret", "zone", "pageSize", "userAgent");
        assertThat(berlin.settings().get("zone")).isEqualTo("Europe/Berlin");
        assertThat(berlin.baseUrl()).endsWith("/yeastar/pbx-berlin");
    }

    @Test
    void tokenResponseHasTheDocumentedShape() {
        TestHttp.Response r = getToken(sim.source("pbx-berlin"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(TestHttp.fields(r.json())).isEqualTo(TestHttp.fields(TestHttp.sample("yeastar-get-token-200.json")));
        assertThat(r.json().get("errcode").asInt()).isZero();
        assertThat(r.json().get("errmsg").asText()).isEqualTo("SUCCESS");
        assertThat(r.json().get("access_token_expire_time").asInt()).isEqualTo(60);
        assertThat(r.json().get("access_token").asText()).hasSize(32);
    }

    @Test
    void wrongCredentialsAndMissingUserAgentAreErrcodesWithHttp200() {
        SimulatedSource berlin = sim.source("pbx-berlin");
        TestHttp.Response wrong = TestHttp.post(api(berlin, "get_token"), "{\"username\":\"x\",\"password\":\"y\"}",
                "User-Agent", "certflow/0.1");
        assertThat(wrong.status()).isEqualTo(200);
        assertThat(wrong.json().get("errcode").asInt()).isEqualTo(YeastarApi.ERR_LOGIN);
        TestHttp.Response garbage = TestHttp.post(api(berlin, "get_token"), "not json", "User-Agent", "certflow/0.1");
        assertThat(garbage.json().get("errcode").asInt()).isEqualTo(YeastarApi.ERR_PARAMETER);
        // the JDK client always sends a User-Agent, so a raw request shows what happens without one
        String token = getToken(berlin).json().get("access_token").asText();
        String raw = rawGet(berlin, "/openapi/v1.0/certificate/list?access_token=" + token);
        assertThat(raw).startsWith("HTTP/1.1 200");
        assertThat(raw).contains("\"errcode\":" + YeastarApi.ERR_USER_AGENT).doesNotContain("certificate_list");
    }

    @Test
    void listPagesUntilTotalNumberWithTheDocumentedFields() {
        SimulatedSource berlin = sim.source("pbx-berlin");
        String token = getToken(berlin).json().get("access_token").asText();
        Set<String> sampleFields = new HashSet<>();
        TestHttp.sample("yeastar-certificate-list-200.json").get("certificate_list")
                .forEach(i -> sampleFields.addAll(TestHttp.fields(i)));
        sampleFields.add("apply_tip_code"); // documented, only present after a failure
        Set<Integer> ids = new HashSet<>();
        int total = -1;
        int page = 1;
        boolean sawSecret = false;
        boolean sawTrusted = false;
        while (total < 0 || ids.size() < total) {
            JsonNode body = list(berlin, token, "&page=" + page + "&page_size=7").json();
            assertThat(TestHttp.fields(body)).containsExactly("certificate_list", "errcode", "errmsg", "total_number");
            assertThat(body.get("errcode").asInt()).isZero();
            total = body.get("total_number").asInt();
            JsonNode items = body.get("certificate_list");
            assertThat(items.size()).isBetween(1, 7);
            for (JsonNode item : items) {
                assertThat(sampleFields).containsAll(TestHttp.fields(item));
                assertThat(ids.add(item.get("id").asInt())).isTrue();
                assertThat(item.get("expiration").asText()).matches("-|\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d (AM|PM)");
                sawTrusted |= item.get("type").asText().equals("trusted");
                if (item.has("auth_info_list")) {
                    assertThat(item.get("ca_type").asText()).isEqualTo("apply");
                    for (JsonNode kv : item.get("auth_info_list")) {
                        sawSecret |= kv.has("sv") && kv.get("sv").asText().contains(Fleet.DNS_SECRET_MARKER);
                    }
                }
            }
            page++;
        }
        assertThat(total).isEqualTo(sim.fleet().presentCount(6, sim.clock().instant()));
        assertThat(sawSecret).isTrue();
        assertThat(sawTrusted).isTrue();
        assertThat(list(berlin, token, "&page=" + page + "&page_size=7").json().get("certificate_list")).isEmpty();
        JsonNode trusted = list(berlin, token, "&page=1&page_size=100&type=trusted").json();
        trusted.get("certificate_list").forEach(i -> assertThat(i.get("type").asText()).isEqualTo("trusted"));
        JsonNode desc = list(berlin, token, "&page=1&page_size=3&order_by=desc").json().get("certificate_list");
        assertThat(desc.get(0).get("id").asInt()).isGreaterThan(desc.get(1).get("id").asInt());
    }

    @Test
    void expirationIsTheTrueInstantInThePbxZoneOrADash() {
        for (String name : new String[]{"pbx-berlin", "pbx-newyork", "pbx-mumbai"}) {
            SimulatedSource s = sim.source(name);
            ZoneId zone = ZoneId.of(s.settings().get("zone"));
            String token = getToken(s).json().get("access_token").asText();
            JsonNode items = list(s, token, "&page=1&page_size=100").json().get("certificate_list");
            FleetUnit unit = sim.fleet().units().stream().filter(u -> u.sourceName().equals(name)).findFirst().orElseThrow();
            for (JsonNode item : items) {
                FleetCertificate c = sim.fleet().certificate(unit.index(), item.get("id").asInt() - 1);
                Instant expected = c.expiryAt(sim.clock().instant());
                String text = item.get("expiration").asText();
                if (expected == null) {
                    assertThat(text).isEqualTo("-");
                    assertThat(item.get("apply_status").asText()).isEqualTo("issuing");
                } else {
                    assertThat(LocalDateTime.parse(text, EXPIRATION).atZone(zone).toInstant()).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void expiredTokenIsAnErrcodeAndRefreshRenewsBoth() {
        SimulatedSource mumbai = sim.source("pbx-mumbai");
        JsonNode tokens = getToken(mumbai).json();
        String access = tokens.get("access_token").asText();
        String refresh = tokens.get("refresh_token").asText();
        assertThat(list(mumbai, access, "&page=1&page_size=5").json().get("errcode").asInt()).isZero();

        ticker.advanceReal(Duration.ofSeconds(61));
        TestHttp.Response expired = list(mumbai, access, "&page=1&page_size=5");
        assertThat(expired.status()).isEqualTo(200);
        assertThat(expired.json().get("errcode").asInt()).isEqualTo(YeastarApi.ERR_TOKEN);
        assertThat(expired.json().has("certificate_list")).isFalse();
        assertThat(list(mumbai, "made-up", "").json().get("errcode").asInt()).isEqualTo(YeastarApi.ERR_TOKEN);

        TestHttp.Response refreshed = TestHttp.post(api(mumbai, "refresh_token"), "{\"refresh_token\":\"" + refresh + "\"}",
                "User-Agent", "certflow/0.1");
        assertThat(refreshed.json().get("errcode").asInt()).isZero();
        String newAccess = refreshed.json().get("access_token").asText();
        assertThat(newAccess).isNotEqualTo(access);
        assertThat(refreshed.json().get("refresh_token").asText()).isNotEqualTo(refresh);
        assertThat(list(mumbai, newAccess, "&page=1&page_size=5").json().get("errcode").asInt()).isZero();
        // a refresh token works once
        TestHttp.Response again = TestHttp.post(api(mumbai, "refresh_token"), "{\"refresh_token\":\"" + refresh + "\"}",
                "User-Agent", "certflow/0.1");
        assertThat(again.json().get("errcode").asInt()).isEqualTo(YeastarApi.ERR_REFRESH);
        // a token of one PBX does not open another
        assertThat(list(sim.source("pbx-berlin"), newAccess, "").json().get("errcode").asInt()).isEqualTo(YeastarApi.ERR_TOKEN);
    }

    @Test
    void renewalGoesIssuingFailThenSuccessWithANewExpiration() {
        SimulatedSource berlin = sim.source("pbx-berlin");
        FleetCertificate c = sim.fleet().scenario().stream()
                .filter(s -> s.sourceName().equals("pbx-berlin") && s.script() == Script.RENEWAL_FAILS_THEN_SUCCEEDS)
                .findFirst().orElseThrow();
        assertThat(item(berlin, c).get("apply_status").asText()).isEqualTo("issuance_success");
        advanceTo(c.renewalFailedAt().minusSeconds(1800));
        assertThat(item(berlin, c).get("apply_status").asText()).isEqualTo("issuing");
        advanceTo(c.renewalFailedAt());
        JsonNode failed = item(berlin, c);
        assertThat(failed.get("apply_status").asText()).isEqualTo("issuance_fail");
        assertThat(failed.get("apply_tip_code").asInt()).isEqualTo(YeastarApi.APPLY_TIP_CODE);
        String oldExpiration = failed.get("expiration").asText();
        advanceTo(c.renewedAt());
        JsonNode renewed = item(berlin, c);
        assertThat(renewed.get("apply_status").asText()).isEqualTo("issuance_success");
        assertThat(renewed.has("apply_tip_code")).isFalse();
        assertThat(renewed.get("expiration").asText()).isNotEqualTo(oldExpiration);
        assertThat(LocalDateTime.parse(renewed.get("expiration").asText(), EXPIRATION).atZone(ZoneId.of("Europe/Berlin"))
                .toInstant()).isEqualTo(c.renewedExpiry());
    }

    @Test
    void oneMillionCertificateFleetServesItsLastPage() throws Exception {
        try (Simulator big = Simulator.start(new SimulatorOptions().clock(ticker.clock(1)).size(1_000_000))) {
            SimulatedSource mumbai = big.source("pbx-mumbai");
            String token = getToken(mumbai).json().get("access_token").asText();
            JsonNode first = list(mumbai, token, "&page=1&page_size=100").json();
            int total = first.get("total_number").asInt();
            assertThat(total).isEqualTo(big.fleet().unitSize(8) - 1); // the ADDED one is not there yet
            int lastPage = (total + 99) / 100;
            JsonNode last = list(mumbai, token, "&page=" + lastPage + "&page_size=100").json().get("certificate_list");
            assertThat(last.get(last.size() - 1).get("id").asInt()).isEqualTo(big.fleet().unitSize(8));
            assertThat(big.fleet().heldCertificates()).isLessThan(100);
        }
    }

    @Test
    void pbxOutageAnswers503ThenDropsConnectionsThenRecovers() {
        SimulatedSource ny = sim.source(Fleet.OUTAGE_PBX);
        SimulatedSource berlin = sim.source("pbx-berlin");
        Outage outage = sim.fleet().outageOf(Fleet.OUTAGE_PBX);
        assertThat(getToken(ny).json().get("errcode").asInt()).isZero();

        advanceTo(outage.from());
        TestHttp.Response down = getToken(ny);
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.raw().body()).contains("<html>");
        assertThat(getToken(berlin).status()).as("other PBXs stay up").isEqualTo(200);

        advanceTo(outage.droppingFrom());
        assertThatThrownBy(() -> getToken(ny)).isInstanceOf(UncheckedIOException.class);

        advanceTo(outage.until());
        TestHttp.Response up = getToken(ny);
        assertThat(up.status()).isEqualTo(200);
        assertThat(up.json().get("errcode").asInt()).isZero();
    }

    @Test
    void outageCanBeSwitchedOff() throws Exception {
        try (Simulator noOutage = Simulator.start(new SimulatorOptions().clock(ticker.clock(1)).size(50).pbxOutage(false))) {
            noOutage.clock().advance(Duration.ofHours(5));
            assertThat(getToken(noOutage.source(Fleet.OUTAGE_PBX)).status()).isEqualTo(200);
        }
    }

    @Test
    void theCopyOnAPbxStaysOldWhileSmoxyRenewsTheSameNameThenIsUpdatedThenDeletedLast() throws Exception {
        try (Simulator year = TestHttp.year(180)) {
            SimulatedSource berlin = year.source("pbx-berlin");
            SimulatedSource acme = year.source("smoxy-acme");
            FleetCertificate copy = TestHttp.scripted(year.fleet(), "pbx-berlin", Script.RENEWED_NOT_DEPLOYED);
            FleetCertificate renewed = TestHttp.scripted(year.fleet(), "smoxy-acme", Script.RENEWED_NOT_DEPLOYED);
            Instant s = year.fleet().start().plus(Duration.ofMinutes(7 * 3));
            ZoneId zone = ZoneId.of("Europe/Berlin");
            year.clock().advance(Duration.between(year.clock().instant(), s.plus(Duration.ofDays(31))));
            JsonNode item = all(berlin).get(19);
            assertThat(item.get("id").asInt()).isEqualTo(20).isEqualTo(copy.index() + 1);
            assertThat(item.get("issue_to").asText()).isEqualTo("shop.acme.example");
            assertThat(item.get("ca_type").asText()).isEqualTo("upload");
            assertThat(item.has("auto_renewal")).isFalse();
            assertThat(LocalDateTime.parse(item.get("expiration").asText(), EXPIRATION).atZone(zone).toInstant())
                    .isEqualTo(s.plus(Duration.ofDays(60)));
            JsonNode smoxy = TestHttp.get(acme.baseUrl() + "/api/organizations/org-1/certificates/" + renewed.sourceId(),
                    "X-API-TOKEN", acme.settings().get("token")).json();
            Instant renewedExpiry = Instant.parse(smoxy.get("expiresAt").asText().replace("+00:00", "Z"));
            assertThat(renewedExpiry).isEqualTo(s.plus(Duration.ofDays(120).plusHours(12)));
            assertThat(smoxy.get("sans").get(0).get("name").asText()).isEqualTo("shop.acme.example");

            year.clock().advance(Duration.ofDays(9));
            JsonNode deployed = all(berlin).get(19);
            assertThat(LocalDateTime.parse(deployed.get("expiration").asText(), EXPIRATION).atZone(zone).toInstant())
                    .isEqualTo(renewedExpiry);
            assertThat(deployed.get("apply_status").asText()).isEqualTo("issuance_success");

            year.clock().advance(Duration.ofDays(40));
            List<JsonNode> after = new ArrayList<>();
            all(berlin).forEach(after::add);
            assertThat(after).hasSize(19).extracting(n -> n.get("id").asInt()).doesNotContain(20).contains(1, 2, 19);
        }
    }

    @Test
    void aFailingRenewalOnThePbxShowsIssuanceFailWithItsTipCodeUntilItSucceeds() throws Exception {
        try (Simulator year = TestHttp.year(90)) {
            SimulatedSource mumbai = year.source("pbx-mumbai");
            FleetCertificate c = TestHttp.scripted(year.fleet(), "pbx-mumbai", Script.RENEWAL_FAILS);
            Instant s = year.fleet().start().plus(Duration.ofMinutes(7 * 8));
            year.clock().advance(Duration.between(year.clock().instant(), s.plus(Duration.ofDays(52))));
            JsonNode failing = all(mumbai).get(c.index());
            assertThat(failing.get("apply_status").asText()).isEqualTo("issuance_fail");
            assertThat(failing.get("apply_tip_code").asInt()).isEqualTo(YeastarApi.APPLY_TIP_CODE);
            assertThat(failing.get("ca_type").asText()).isEqualTo("apply");
            assertThat(failing.get("auto_renewal").asInt()).isEqualTo(1);
            year.clock().advance(Duration.ofDays(5));
            JsonNode renewed = all(mumbai).get(c.index());
            assertThat(renewed.get("apply_status").asText()).isEqualTo("issuance_success");
            assertThat(renewed.has("apply_tip_code")).isFalse();
            assertThat(LocalDateTime.parse(renewed.get("expiration").asText(), EXPIRATION).atZone(ZoneId.of("Asia/Kolkata"))
                    .toInstant()).isEqualTo(s.plus(Duration.ofDays(146).plusHours(12)));
        }
    }

    private static JsonNode all(SimulatedSource s) {
        String token = getToken(s).json().get("access_token").asText();
        return list(s, token, "&page=1&page_size=100").json().get("certificate_list");
    }

    private void advanceTo(Instant t) {
        Duration d = Duration.between(sim.clock().instant(), t);
        if (!d.isNegative()) {
            sim.clock().advance(d);
        }
    }

    private JsonNode item(SimulatedSource s, FleetCertificate c) {
        String token = getToken(s).json().get("access_token").asText();
        JsonNode items = list(s, token, "&page=1&page_size=100").json().get("certificate_list");
        for (Iterator<JsonNode> it = items.elements(); it.hasNext(); ) {
            JsonNode item = it.next();
            if (item.get("id").asText().equals(c.sourceId())) {
                return item;
            }
        }
        throw new AssertionError("certificate " + c.sourceId() + " not listed");
    }

    private String rawGet(SimulatedSource s, String pathAndQuery) {
        java.net.URI base = java.net.URI.create(s.baseUrl());
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + base.getPath() + pathAndQuery + " HTTP/1.1\r\nHost: " + base.getHost()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
