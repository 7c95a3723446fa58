package dev.certflow.simulator;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FaultInjectionTest {
    private final TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();

    private Simulator start(SimulatorOptions options) throws Exception {
        return Simulator.start(options.clock(ticker.clock(1)).size(60));
    }

    private static TestHttp.Response leegality(Simulator sim) {
        SimulatedSource s = sim.source(Fleet.LEEGALITY_SOURCE);
        return TestHttp.get(s.baseUrl() + "/api/v1/certificates/expiring-soon", "X-Auth-Token", s.settings().get("token"));
    }

    private static TestHttp.Response smoxy(Simulator sim) {
        SimulatedSource s = sim.source("smoxy-acme");
        return TestHttp.get(s.baseUrl() + "/api/organizations/org-1/certificates", "X-API-TOKEN", s.settings().get("token"));
    }

    private static TestHttp.Response yeastar(Simulator sim) {
        SimulatedSource s = sim.source("pbx-berlin");
        return TestHttp.post(s.baseUrl() + "/openapi/v1.0/get_token", "{}", "User-Agent", "certflow/0.1");
    }

    @Test
    void tooManyRequestsWithRetryAfterInEachVendorsErrorBody() throws Exception {
        try (Simulator sim = start(new SimulatorOptions().faults(1, 0, 0, 0))) {
            TestHttp.Response l = leegality(sim);
            assertThat(l.status()).isEqualTo(429);
            assertThat(l.header("Retry-After")).isEqualTo("1");
            assertThat(l.json().get("code").asText()).isEqualTo("LE_ERR_SS_429");
            TestHttp.Response s = smoxy(sim);
            assertThat(s.status()).isEqualTo(429);
            assertThat(s.json().get("@type").asText()).isEqualTo("hydra:Error");
            TestHttp.Response y = yeastar(sim);
            assertThat(y.status()).isEqualTo(429);
            assertThat(y.json().get("errcode").asInt()).isEqualTo(YeastarApi.ERR_RATE);
        }
    }

    @Test
    void serverErrorsCarryTheDocumentedBody() throws Exception {
        try (Simulator sim = start(new SimulatorOptions().faults(0, 1, 0, 0))) {
            TestHttp.Response l = leegality(sim);
            assertThat(l.status()).isEqualTo(500);
            assertThat(l.json()).isEqualTo(TestHttp.sample("leegality-expiring-soon-500.json"));
            assertThat(smoxy(sim).status()).isEqualTo(500);
            TestHttp.Response y = yeastar(sim);
            assertThat(y.status()).isEqualTo(500);
            assertThat(y.json().get("errcode").asInt()).isNotZero();
        }
    }

    @Test
    void htmlErrorPages() throws Exception {
        try (Simulator sim = start(new SimulatorOptions().faults(0, 0, 1, 0))) {
            for (TestHttp.Response r : List.of(leegality(sim), smoxy(sim), yeastar(sim))) {
                assertThat(r.status()).isEqualTo(502);
                assertThat(r.header("Content-Type")).startsWith("text/html");
                assertThat(r.raw().body()).contains("<html>").contains("502 Bad Gateway");
            }
        }
    }

    @Test
    void slowResponsesTripAClientTimeout() throws Exception {
        try (Simulator sim = start(new SimulatorOptions().faults(0, 0, 0, 1).slowDelay(Duration.ofSeconds(3)))) {
            SimulatedSource s = sim.source("smoxy-acme");
            HttpRequest request = HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/organizations/org-1/certificates"))
                    .header("X-API-TOKEN", s.settings().get("token")).timeout(Duration.ofMillis(200)).build();
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(HttpTimeoutException.class);
        }
    }

    @Test
    void faultsAreOffByDefaultAndDeterministicFromTheSeed() throws Exception {
        try (Simulator sim = start(new SimulatorOptions())) {
            for (int i = 0; i < 20; i++) {
                assertThat(smoxy(sim).status()).isEqualTo(200);
            }
        }
        List<Integer> first = statuses();
        List<Integer> second = statuses();
        assertThat(first).isEqualTo(second).contains(200, 429, 500);
    }

    @Test
    void invalidRatesAreRejected() {
        assertThatThrownBy(() -> Simulator.start(new SimulatorOptions().faults(0.6, 0.6, 0, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1.2");
        assertThatThrownBy(() -> Simulator.start(new SimulatorOptions().faults(0, 0, 0, 2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Simulator.start(new SimulatorOptions().size(0))).hasMessageContaining("size");
    }

    private List<Integer> statuses() throws Exception {
        List<Integer> out = new ArrayList<>();
        try (Simulator sim = start(new SimulatorOptions().seed(5).faults(0.3, 0.3, 0, 0))) {
            for (int i = 0; i < 30; i++) {
                out.add(smoxy(sim).status());
            }
        }
        return out;
    }
}
