package dev.certflow.ingest;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.certflow.ingest.http.HttpFetcher;
import dev.certflow.runtime.service.Sleeper;
import dev.certflow.ingest.http.SourceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static com.github.tomakehurst.wiremock.client.WireMock.*;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HttpFetcherTest {
    WireMockServer wm;
    TestSupport.RecordingSleeper sleeper = new TestSupport.RecordingSleeper();
    final List<Duration> sleeperWaits = new CopyOnWriteArrayList<>();
    HttpFetcher http;

    @BeforeEach
    void setUp() {
        wm = new WireMockServer(options().dynamicPort());
        wm.start();
        http = TestSupport.fetcher(sleeper, 3);
    }

    @AfterEach
    void tearDown() {
        wm.stop();
    }

    java.net.http.HttpRequest get(String path, Duration timeout) {
        return HttpFetcher.request(URI.create(wm.baseUrl() + path), timeout, Map.of()).GET().build();
    }

    @Test
    void redirectsAreNeverFollowed() {
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/a"))
                .willReturn(aResponse().withStatus(302).withHeader("Location", wm.baseUrl() + "/b")));
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/b")).willReturn(okJson("{}")));
        assertThatThrownBy(() -> http.send("s", get("/a?token=SECRETQ", Duration.ofSeconds(2))))
                .isInstanceOf(SourceException.class).hasMessageNotContaining("SECRETQ")
                .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.REDIRECT));
        wm.verify(0, getRequestedFor(urlPathEqualTo("/b")));
    }

    @Test
    void serverErrorsAreRetriedWithGrowingJitteredBackoff() throws Exception {
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/x")).inScenario("s").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("2").willReturn(aResponse().withStatus(503)));
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/x")).inScenario("s").whenScenarioStateIs("2")
                .willSetStateTo("3").willReturn(aResponse().withStatus(502)));
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/x")).inScenario("s").whenScenarioStateIs("3")
                .willReturn(okJson("{\"ok\":true}")));
        try (var r = http.send("s", get("/x", Duration.ofSeconds(2)))) {
            assertThat(r.status()).isEqualTo(200);
            assertThat(new String(r.body().readAllBytes())).contains("ok");
        }
        assertThat(sleeper.waits).hasSize(2);
        // equal jitter: retry n waits between half and all of 100 ms * 2^(n-1)
        assertThat(sleeper.waits.get(0)).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
        assertThat(sleeper.waits.get(1)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
    }

    @Test
    void givesUpAfterTheRetriesAndNamesTheStatus() {
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/x")).willReturn(aResponse().withStatus(500)));
        assertThatThrownBy(() -> http.send("src-a", get("/x?access_token=TOKQ", Duration.ofSeconds(2))))
                .isInstanceOf(SourceException.class).hasMessageContaining("src-a").hasMessageContaining("HTTP 500").hasMessageNotContaining("TOKQ");
        wm.verify(4, getRequestedFor(urlPathEqualTo("/x")));
    }

    @Test
    void honoursRetryAfterAndFailsWhenItIsTooLong() throws Exception {
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/r")).inScenario("r").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("ok").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "7")));
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/r")).inScenario("r").whenScenarioStateIs("ok")
                .willReturn(okJson("{}")));
        try (var r = http.send("s", get("/r", Duration.ofSeconds(2)))) {
            assertThat(r.status()).isEqualTo(200);
        }
        assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(7));

        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/long"))
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "3600")));
        assertThatThrownBy(() -> http.send("s", get("/long", Duration.ofSeconds(2))))
                .isInstanceOf(SourceException.class)
                .satisfies(e -> {
                    assertThat(((SourceException) e).kind()).isEqualTo(SourceException.RATE_LIMITED);
                    assertThat(((SourceException) e).retryAfter()).isEqualTo(Duration.ofHours(1));
                });
        wm.verify(1, getRequestedFor(urlPathEqualTo("/long")));
    }

    @Test
    void a429PausesTheOtherRequestsOfTheSameSourceButNotOtherSources() throws Exception {
        AtomicLong nanos = new AtomicLong(1_000_000_000L);
        AtomicBoolean first = new AtomicBoolean(true);
        HttpFetcher[] fetcher = new HttpFetcher[1];
        // while the request that got the 429 waits for its retry, other requests start (as concurrent ones would)
        Sleeper sleeper = d -> {
            sleeperWaits.add(d);
            if (first.compareAndSet(true, false)) {
                nanos.addAndGet(Duration.ofSeconds(2).toNanos()); // 2 of the 7 s pass
                try (var r = fetcher[0].send("s", get("/other", Duration.ofSeconds(2)))) {
                    assertThat(r.status()).isEqualTo(200);
                } catch (SourceException e) {
                    throw new AssertionError(e);
                }
                try (var r = fetcher[0].send("other-source", get("/other", Duration.ofSeconds(2)))) {
                    assertThat(r.status()).isEqualTo(200);
                } catch (SourceException e) {
                    throw new AssertionError(e);
                }
            }
            nanos.addAndGet(d.toNanos());
        };
        fetcher[0] = new HttpFetcher(source -> TestSupport.LOOPBACK, 3, Duration.ofMillis(100), Duration.ofSeconds(1),
                Duration.ofSeconds(30), sleeper, java.time.Clock.systemUTC(), nanos::get);
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/r")).inScenario("r").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("ok").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "7")));
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/r")).inScenario("r").whenScenarioStateIs("ok")
                .willReturn(okJson("{}")));
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/other")).willReturn(okJson("{}")));
        try (var r = fetcher[0].send("s", get("/r", Duration.ofSeconds(2)))) {
            assertThat(r.status()).isEqualTo(200);
        }
        // the limited request waits its 7 s; the same source's other request waits the 5 s left; another source does not wait
        assertThat(sleeperWaits).containsExactly(Duration.ofSeconds(7), Duration.ofSeconds(5));
        try (var r = fetcher[0].send("s", get("/other", Duration.ofSeconds(2)))) {
            assertThat(r.status()).isEqualTo(200);
        }
        assertThat(sleeperWaits).as("once the pause has passed, no wait").hasSize(2);
        wm.verify(2, getRequestedFor(urlPathEqualTo("/r")));
        wm.verify(3, getRequestedFor(urlPathEqualTo("/other")));
    }

    @Test
    void anAnswerCutOffMidBodyIsAskedForAgainWithinTheRetries() throws Exception {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        try (var server = new TestSupport.RawServer(target -> target.startsWith("/cut") && calls.incrementAndGet() == 1
                ? TestSupport.RawServer.CUT + "{\"whole\":true}" : target.startsWith("/always-cut") ? TestSupport.RawServer.CUT + "{\"never\":1}"
                : "{\"whole\":true}")) {
            java.util.function.Function<String, java.net.http.HttpRequest> at = path ->
                    HttpFetcher.request(URI.create(server.baseUrl() + path), Duration.ofSeconds(2), Map.of()).GET().build();
            String body = http.send("s", at.apply("/cut"), r -> new String(r.body().readAllBytes()));
            assertThat(body).isEqualTo("{\"whole\":true}");
            assertThat(sleeper.waits).hasSize(1);
            assertThat(server.targets).containsExactly("/cut", "/cut");

            // cut off every time: after the retries, a connect-kind failure naming what failed, never the query
            assertThatThrownBy(() -> http.send("s", at.apply("/always-cut?token=SECRETQ"), r -> r.body().readAllBytes()))
                    .isInstanceOf(SourceException.class).hasMessageContaining("/always-cut: reading the body failed").hasMessageNotContaining("SECRETQ")
                    .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.CONNECT));
            assertThat(server.targets).filteredOn(t -> t.startsWith("/always-cut")).hasSize(4);
        }
    }

    @Test
    void slowAnswersTimeOut() {
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/slow")).willReturn(okJson("{}").withFixedDelay(1500)));
        http = TestSupport.fetcher(sleeper, 0);
        assertThatThrownBy(() -> http.send("s", get("/slow", Duration.ofMillis(200))))
                .isInstanceOf(SourceException.class)
                .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.TIMEOUT));
    }

    @Test
    void refusedConnectionsAreConnectErrors() {
        int port = wm.port();
        wm.stop();
        http = TestSupport.fetcher(sleeper, 1);
        assertThatThrownBy(() -> http.send("s", HttpFetcher.request(URI.create("http://127.0.0.1:" + port + "/x"), Duration.ofSeconds(1), Map.of()).GET().build()))
                .isInstanceOf(SourceException.class)
                .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.CONNECT));
        assertThat(sleeper.waits).hasSize(1);
    }
}
