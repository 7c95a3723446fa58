package dev.certflow.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Disordered upstream data: pages served twice, listings that shrink for one listing, smoxy attempts out of order, twice or late. */
class DisorderTest {
    private final TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();

    private Simulator start(SimulatorOptions options) throws Exception {
        return Simulator.start(options.clock(ticker.clock(1)).size(600));
    }

    private static JsonNode smoxyPage(Simulator sim, int page) {
        SimulatedSource s = sim.source("smoxy-acme");
        TestHttp.Response r = TestHttp.get(s.baseUrl() + "/api/organizations/org-1/certificates?itemsPerPage=20&page=" + page,
                "X-API-TOKEN", s.settings().get("token"));
        assertThat(r.status()).isEqualTo(200);
        return r.json();
    }

    private static List<String> ids(JsonNode page, String members, String id) {
        List<String> out = new ArrayList<>();
        page.get(members).forEach(m -> out.add(m.get(id).asText()));
        return out;
    }

    /** Every id of one smoxy listing, following view.next from the first page. */
    private static List<String> smoxyListing(Simulator sim) {
        List<String> out = new ArrayList<>();
        for (int page = 1; ; page++) {
            JsonNode p = smoxyPage(sim, page);
            out.addAll(ids(p, "member", "id"));
            if (!p.get("view").has("next")) {
                return out;
            }
        }
    }

    @Test
    void aShrunkListingLeavesTheSameCertificatesOutOfEveryPageAndTheNextListingIsWhole() throws Exception {
        List<String> whole;
        try (Simulator sim = start(new SimulatorOptions())) {
            whole = smoxyListing(sim);
        }
        try (Simulator sim = start(new SimulatorOptions().disorder(0, 1, 0))) {
            List<String> shrunk = smoxyListing(sim);
            assertThat(whole).containsAll(shrunk);
            assertThat(shrunk).doesNotHaveDuplicates().hasSizeLessThan(whole.size()).hasSizeGreaterThan(whole.size() / 2);
            assertThat(smoxyPage(sim, 1).get("totalItems").asInt()).as("the next listing, whole again").isEqualTo(whole.size());
            Simulator.Disorder d = sim.disorder();
            assertThat(d.shrunkListings()).isEqualTo(1);
            assertThat(d.omittedCertificates()).isEqualTo(whole.size() - shrunk.size());
            List<String> leftOut = new ArrayList<>(whole);
            leftOut.removeAll(shrunk);
            assertThat(smoxyListing(sim)).as("shrinks again after a whole one, never leaving one out twice")
                    .hasSizeLessThan(whole.size()).containsAll(leftOut);
        }
    }

    @Test
    void aPageServedTwiceHoldsThePageBeforeItUnderItsOwnView() throws Exception {
        try (Simulator sim = start(new SimulatorOptions().disorder(1, 0, 0))) {
            JsonNode first = smoxyPage(sim, 1);
            JsonNode second = smoxyPage(sim, 2);
            assertThat(ids(second, "member", "id")).isEqualTo(ids(first, "member", "id"));
            assertThat(second.get("view").get("@id").asText()).endsWith("page=2");
            assertThat(second.get("view").get("next").asText()).endsWith("page=3");
            assertThat(sim.disorder().repeatedPages()).isEqualTo(1);

            SimulatedSource pbx = sim.source("pbx-berlin");
            String base = pbx.baseUrl() + "/openapi/v1.0/";
            String token = TestHttp.post(base + "get_token", "{\"username\":\"" + pbx.settings().get("clientId") + "\",\"password\":\""
                    + pbx.settings().get("clientSecret") + "\"}", "User-Agent", "certflow/0.1").json().get("access_token").asText();
            JsonNode y1 = TestHttp.get(base + "certificate/list?access_token=" + token + "&page_size=5&page=1", "User-Agent", "certflow/0.1").json();
            JsonNode y2 = TestHttp.get(base + "certificate/list?access_token=" + token + "&page_size=5&page=2", "User-Agent", "certflow/0.1").json();
            assertThat(ids(y2, "certificate_list", "id")).isEqualTo(ids(y1, "certificate_list", "id")).hasSize(5);
            assertThat(y2.get("total_number").asInt()).isEqualTo(y1.get("total_number").asInt());
        }
    }

    @Test
    void leegalityAndYeastarListingsShrinkToo() throws Exception {
        int wholeLeegality;
        int wholePbx;
        try (Simulator sim = start(new SimulatorOptions())) {
            wholeLeegality = leegality(sim).size();
            wholePbx = pbx(sim);
        }
        try (Simulator sim = start(new SimulatorOptions().disorder(0, 1, 0))) {
            assertThat(leegality(sim).size()).isLessThan(wholeLeegality);
            assertThat(leegality(sim).size()).isEqualTo(wholeLeegality);
            assertThat(pbx(sim)).isLessThan(wholePbx);
        }
    }

    private static JsonNode leegality(Simulator sim) {
        SimulatedSource s = sim.source(Fleet.LEEGALITY_SOURCE);
        return TestHttp.get(s.baseUrl() + "/api/v1/certificates/expiring-soon?days=3650", "X-Auth-Token", s.settings().get("token"))
                .json().get("data");
    }

    private static int pbx(Simulator sim) {
        SimulatedSource s = sim.source("pbx-berlin");
        String base = s.baseUrl() + "/openapi/v1.0/";
        String token = TestHttp.post(base + "get_token", "{\"username\":\"" + s.settings().get("clientId") + "\",\"password\":\""
                + s.settings().get("clientSecret") + "\"}", "User-Agent", "certflow/0.1").json().get("access_token").asText();
        return TestHttp.get(base + "certificate/list?access_token=" + token + "&page_size=100&page=1", "User-Agent", "certflow/0.1")
                .json().get("total_number").asInt();
    }

    @Test
    void attemptsComeShuffledTwiceOrLateButNeverInvented() throws Exception {
        try (Simulator sim = start(new SimulatorOptions().seed(7).disorder(0, 0, 1))) {
            SimulatedSource s = sim.source("smoxy-acme");
            FleetCertificate c = null;
            int unit = sim.fleet().units().stream().filter(u -> u.sourceName().equals("smoxy-acme")).findFirst().orElseThrow().index();
            for (int i = 0; c == null && i < sim.fleet().unitSize(unit); i++) {
                FleetCertificate candidate = sim.fleet().certificate(unit, i);
                if (candidate.presentAt(sim.clock().instant()) && sim.fleet().smoxyAttempts(candidate, sim.clock().instant()).size() >= 2) {
                    c = candidate;
                }
            }
            assertThat(c).as("a certificate with 2 attempts or more").isNotNull();
            List<String> truth = sim.fleet().smoxyAttempts(c, sim.clock().instant()).stream().map(Fleet.SmoxyAttempt::id).toList();
            Set<String> kinds = new TreeSet<>();
            for (int i = 0; i < 30; i++) {
                JsonNode r = TestHttp.get(s.baseUrl() + "/api/organizations/org-1/certificates/" + c.sourceId() + "/attempts",
                        "X-API-TOKEN", s.settings().get("token")).json();
                List<String> served = ids(r, "member", "id");
                assertThat(truth).containsAll(served);
                if (served.size() > truth.size()) {
                    kinds.add("twice");
                } else if (served.size() < truth.size()) {
                    assertThat(served).isEqualTo(truth.subList(0, truth.size() - 1)); // the oldest is late
                    kinds.add("late");
                } else if (!served.equals(truth)) {
                    kinds.add("shuffled");
                }
            }
            assertThat(kinds).containsExactly("late", "shuffled", "twice");
            assertThat(sim.disorder().disorderedAttempts()).isBetween(20L, 30L);
        }
    }

    @Test
    void disorderIsOffByDefaultAndRatesAreChecked() throws Exception {
        try (Simulator sim = start(new SimulatorOptions())) {
            smoxyListing(sim);
            smoxyListing(sim);
            assertThat(sim.disorder()).isEqualTo(new Simulator.Disorder(0, 0, 0, 0));
            assertThatThrownBy(() -> sim.disorder(0, 1.5, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shrinkRate");
        }
        assertThatThrownBy(() -> Simulator.start(new SimulatorOptions().disorder(-1, 0, 0))).hasMessageContaining("repeatPageRate");
    }
}
