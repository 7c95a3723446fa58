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
    void credentialRefusalsEchoingTheRequestInEachVendorsForm() throws Exception {
        try (Simulator sim = start(new SimulatorOptions().credential("CANARY-sim").echoRequests(true).authErrors(1))) {
            TestHttp.Response l = leegality(sim);
            assertThat(l.status()).isEqualTo(401);
            assertThat(l.json().get("code").asText()).isEqualTo("LE_ERR_SS_401");
            assertThat(l.json().at("/errors/0/message").asText()).startsWith("[you sent X-Auth-Token: CANARY-sim ").endsWith("] Invalid or expired token");
            TestHttp.Response s = smoxy(sim);
            assertThat(s.status()).isEqualTo(401);
            assertThat(s.json().get("message").asText()).startsWith("[you sent X-API-TOKEN: CANARY-sim ");
            SimulatedSource pbx = sim.source("pbx-berlin");
            TestHttp.Response login = TestHttp.post(pbx.baseUrl() + "/openapi/v1.0/get_token", "{\"username\":\"pbx-berlin\",\"password\":\"CANARY-sim\"}",
                    "User-Agent", "certflow/0.1");
            assertThat(login.status()).as("the PBX answers errors with 200").isEqualTo(200);
            assertThat(login.json().get("errcode").asInt()).isEqualTo(YeastarApi.ERR_LOGIN);
            assertThat(login.json().get("errmsg").asText()).contains("\"password\":\"CANARY-sim\"").endsWith("INVALID USERNAME OR PASSWORD");
            TestHttp.Response list = TestHttp.get(pbx.baseUrl() + "/openapi/v1.0/certificate/list?access_token=CANARY-sim-t&page=1", "User-Agent", "certflow/0.1");
            assertThat(list.json().get("errcode").asInt()).isEqualTo(YeastarApi.ERR_TOKEN);
            assertThat(list.json().get("errmsg").asText()).startsWith("[you sent access_token=CANARY-sim-t&page=1 GET ");
        }
        // without echo the refusals say only what the vendors say; the PBX's tokens carry the one credential
        try (Simulator sim = start(new SimulatorOptions().credential("CANARY-sim").authErrors(0))) {
            SimulatedSource pbx = sim.source("pbx-berlin");
            TestHttp.Response token = TestHttp.post(pbx.baseUrl() + "/openapi/v1.0/get_token", "{\"username\":\"pbx-berlin\",\"password\":\"CANARY-sim\"}",
                    "User-Agent", "certflow/0.1");
            assertThat(token.json().get("access_token").asText()).startsWith("CANARY-sim-").hasSize("CANARY-sim-".length() + 32);
            assertThat(token.json().get("refresh_token").asText()).startsWith("CANARY-sim-");
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
