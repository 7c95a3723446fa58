package dev.certflow.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulator at 100,000x (a day in 0.86 real seconds, a year in 5 real minutes), with real time
 * moved by hand: listings paged while simulated days pass between pages, token lifetimes on real
 * time, the year's outage, and a clock left running for weeks.
 */
class FastClockTest {
    private static final double SPEED = 100_000;

    @Test
    void pagingStaysCompleteAndEachPageIsTheStateAtItsOwnInstant() throws Exception {
        TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
        try (Simulator sim = Simulator.start(new SimulatorOptions().clock(ticker.clock(SPEED)).size(900).profile(Profile.YEAR))) {
            SimulatedSource acme = sim.source("smoxy-acme");
            for (int round = 0; round < 4; round++) {
                String next = "/api/organizations/org-1/certificates?itemsPerPage=7";
                Set<String> ids = new HashSet<>();
                int pages = 0;
                while (next != null) {
                    Instant at = sim.clock().instant();
                    JsonNode body = TestHttp.get(acme.baseUrl() + next, "X-API-TOKEN", acme.settings().get("token")).json();
                    for (JsonNode m : body.get("member")) {
                        assertThat(ids.add(m.get("id").asText())).as("listed once").isTrue();
                        FleetCertificate c = sim.fleet().bySourceId(3, m.get("id").asText());
                        assertThat(Instant.parse(m.get("expiresAt").asText().replace("+00:00", "Z")))
                                .as(c.key() + " at " + at).isEqualTo(c.expiryAt(at));
                    }
                    JsonNode view = body.get("view");
                    next = view.has("next") ? URI.create(acme.baseUrl()).resolve(view.get("next").asText()).toString()
                            .substring(acme.baseUrl().length()) : null;
                    ticker.advanceReal(Duration.ofMillis(700)); // 19 simulated hours between two pages
                    pages++;
                }
                assertThat(pages).isEqualTo(15);
                assertThat(ids).hasSize(100);
                ticker.advanceReal(Duration.ofSeconds(60)); // 69 simulated days between two polls
            }
            assertThat(sim.clock().instant()).isAfter(sim.fleet().start().plus(Duration.ofDays(300)));
        }
    }

    @Test
    void yeastarTokensLiveInRealTimeWhileSimulatedMonthsPass() throws Exception {
        TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
        try (Simulator sim = Simulator.start(new SimulatorOptions().clock(ticker.clock(SPEED)).size(90).profile(Profile.YEAR))) {
            SimulatedSource berlin = sim.source("pbx-berlin");
            String token = TestHttp.post(berlin.baseUrl() + "/openapi/v1.0/get_token", "{\"username\":\""
                    + berlin.settings().get("clientId") + "\",\"password\":\"" + berlin.settings().get("clientSecret") + "\"}",
                    "User-Agent", "t").json().get("access_token").asText();
            String list = berlin.baseUrl() + "/openapi/v1.0/certificate/list?page=1&page_size=100&access_token=" + token;
            FleetCertificate stops = sim.fleet().scenario().stream()
                    .filter(c -> c.sourceName().equals("pbx-berlin") && c.script() == Script.RENEWAL_STOPS).findFirst().orElseThrow();
            String before = TestHttp.get(list, "User-Agent", "t").json().get("certificate_list").get(0).get("expiration").asText();
            ticker.advanceReal(Duration.ofSeconds(100)); // 116 simulated days, well inside the 1800 real seconds
            JsonNode later = TestHttp.get(list, "User-Agent", "t").json();
            assertThat(later.get("errcode").asInt()).isZero();
            assertThat(later.get("certificate_list").get(0).get("id").asInt()).isEqualTo(stops.index() + 1);
            assertThat(later.get("certificate_list").get(0).get("expiration").asText()).as("renewed late, after expiry")
                    .isNotEqualTo(before);
            ticker.advanceReal(Duration.ofSeconds(1701));
            assertThat(TestHttp.get(list, "User-Agent", "t").json().get("errcode").asInt()).isEqualTo(YeastarApi.ERR_TOKEN);
        }
    }

    @Test
    void theYearsOutageLastsLongEnoughForAFastClocksPollsToSeeIt() throws Exception {
        TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
        try (Simulator sim = Simulator.start(new SimulatorOptions().clock(ticker.clock(SPEED)).size(90).profile(Profile.YEAR))) {
            SimulatedSource ny = sim.source(Fleet.OUTAGE_PBX);
            Outage o = sim.fleet().outageOf(Fleet.OUTAGE_PBX);
            sim.clock().advance(Duration.between(sim.clock().instant(), o.from()));
            List<Integer> statuses = new ArrayList<>();
            for (int poll = 0; poll < 10; poll++) { // a poll every real second
                statuses.add(TestHttp.post(ny.baseUrl() + "/openapi/v1.0/get_token", "{}", "User-Agent", "t").status());
                ticker.advanceReal(Duration.ofSeconds(1));
            }
            assertThat(statuses).containsOnly(503);
            sim.clock().advance(Duration.between(sim.clock().instant(), o.until()));
            assertThat(TestHttp.post(ny.baseUrl() + "/openapi/v1.0/get_token", "{}", "User-Agent", "t").status()).isEqualTo(200);
        }
    }

    @Test
    void leegalityStaysInExpiryOrderDecadesIntoAFastRun() throws Exception {
        TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
        try (Simulator sim = Simulator.start(new SimulatorOptions().clock(ticker.clock(SPEED)).size(300))) {
            ticker.advanceReal(Duration.ofHours(4)); // 45 simulated years
            SimulatedSource lg = sim.source(Fleet.LEEGALITY_SOURCE);
            JsonNode data = TestHttp.get(lg.baseUrl() + "/api/v1/certificates/expiring-soon?days=3650", "X-Auth-Token",
                    lg.settings().get("token")).json().get("data");
            List<Instant> expiries = new ArrayList<>();
            data.forEach(i -> {
                Instant e = LeegalityApiTest.parse(i.get("expiry").isNull() ? null : i.get("expiry").asText());
                if (e != null) {
                    expiries.add(e);
                }
            });
            // the day's expired certificates (45 years ago) first, then everything renewed since
            assertThat(expiries).hasSizeGreaterThan(90).isSorted();
            assertThat(expiries.get(0)).isBefore(sim.fleet().start());
            assertThat(expiries.get(expiries.size() - 1)).isAfter(sim.fleet().start().plus(Duration.ofDays(45 * 365)));
        }
    }

    @Test
    void aFastClockLeftRunningForWeeksNeitherOverflowsNorStops() {
        TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
        SimClock clock = ticker.clock(SPEED);
        ticker.advanceReal(Duration.ofDays(30)); // 8,219 simulated years: more than Long.MAX_VALUE nanoseconds
        Instant far = clock.instant();
        assertThat(far).isAfter(TestHttp.START.plus(Duration.ofDays(8_000L * 365)));
        ticker.advanceReal(Duration.ofSeconds(1));
        assertThat(Duration.between(far, clock.instant())).isEqualTo(Duration.ofSeconds(100_000));
        clock.advance(Duration.ofDays(300L * 365));
        clock.advance(Duration.ofDays(300L * 365));
        assertThat(Duration.between(far, clock.instant())).isEqualTo(Duration.ofSeconds(100_000).plus(Duration.ofDays(600L * 365)));
    }
}
