package dev.certflow.ingest;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.extension.ResponseTransformerV2;
import com.github.tomakehurst.wiremock.http.Response;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.ingest.config.SmoxySourceConfig;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.ingest.source.ItemCounter;
import dev.certflow.ingest.source.Observation;
import dev.certflow.ingest.source.SmoxyClient;
import dev.certflow.runtime.config.Secret;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static com.github.tomakehurst.wiremock.client.WireMock.*;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SmoxyClientTest {
    static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    static final String CERTS = "/api/organizations/org-1/certificates";
    static final String CERT_ID = "9f8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    static final String ATTEMPTS = CERTS + "/" + CERT_ID + "/attempts";
    WireMockServer wm;
    SmoxySourceConfig config;
    TestSupport.RecordingSleeper sleeper = new TestSupport.RecordingSleeper();
    final InFlight inFlight = new InFlight();

    /**
     * Answers attempts requests after a per-path delay and counts how many it is answering at once
     * (the count drops before the answer is written, so a client's next request is never counted early).
     */
    static final class InFlight implements ResponseTransformerV2 {
        final AtomicInteger now = new AtomicInteger();
        final AtomicInteger max = new AtomicInteger();
        final Map<String, Integer> delays = new ConcurrentHashMap<>();

        @Override
        public Response transform(Response response, ServeEvent event) {
            String path = event.getRequest().getUrl().replaceAll("\\?.*", "");
            if (!path.endsWith("/attempts") || response.getStatus() == 429) {
                return response; // a 429 answers at once
            }
            max.accumulateAndGet(now.incrementAndGet(), Math::max);
            try {
                Thread.sleep(delays.getOrDefault(path, 0)); // the simulated upstream latency, not a wait for anything
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                now.decrementAndGet();
            }
            return response;
        }

        @Override
        public String getName() {
            return "in-flight";
        }
    }

    @BeforeEach
    void setUp() {
        wm = new WireMockServer(options().dynamicPort().extensions(inFlight));
        wm.start();
        config = new SmoxySourceConfig();
        config.name = "smoxy-acme";
        config.baseUrl = wm.baseUrl();
        config.organizationId = "org-1";
        config.token = Secret.of("smoxy-token-1");
        config.itemsPerPage = 2;
        config.requestTimeout = Duration.ofSeconds(2);
    }

    @AfterEach
    void tearDown() {
        wm.stop();
    }

    SmoxyClient client() {
        return new SmoxyClient(config, TestSupport.fetcher(sleeper, 1), ItemCounter.NONE);
    }

    /** One page of {@code n} certificates read {@code concurrency} at a time, each attempts answer after {@code delayMs}. */
    void onePage(int concurrency, int n, int delayMs) {
        config.itemsPerPage = 100;
        config.attemptConcurrency = concurrency;
        stubListing(n);
        for (int k = 1; k <= n; k++) {
            stubAttemptsOf(k, delayMs);
        }
    }

    /** One page of certificates c1..cN, each with lastAttempt a-cK. */
    void stubListing(int n) {
        stubListing(n, k -> "a-c" + k);
    }

    void stubListing(int n, java.util.function.IntFunction<String> lastAttempt) {
        StringBuilder members = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            members.append(i > 1 ? "," : "").append("{\"id\":\"c").append(i).append("\",\"domainName\":\"c").append(i)
                    .append(".example\",\"type\":\"auto_managed\",\"expiresAt\":\"2027-01-01T00:00:00Z\",\"lastAttempt\":{\"id\":\"").append(lastAttempt.apply(i)).append("\"}}");
        }
        wm.stubFor(get(urlPathEqualTo(CERTS)).willReturn(okJson("{\"member\":[" + members + "]}")));
    }

    /** cK's attempts: a-cK (newest, failed) and b-cK (older, succeeded), answered after {@code delayMs}. */
    void stubAttemptsOf(int k, int delayMs) {
        wm.stubFor(get(urlPathEqualTo(CERTS + "/c" + k + "/attempts")).willReturn(okJson("{\"member\":["
                + attempt("a-c" + k, "failed", "2026-11-21T10:00:00+00:00") + "," + attempt("b-c" + k, "succeeded", "2026-10-21T10:00:00+00:00")
                + "]}")));
        inFlight.delays.put(CERTS + "/c" + k + "/attempts", delayMs);
    }

    @Test
    void attemptsAreReadConcurrentlyNeverMoreThanTheConfiguredNumberAtOnceAndInTheListingsOrder() throws Exception {
        config.itemsPerPage = 100;
        config.attemptConcurrency = 4;
        int n = 16;
        stubListing(n);
        for (int k = 1; k <= n; k++) {
            stubAttemptsOf(k, 50 + (n - k) * 15); // the first certificates answer last
        }
        var sink = new TestSupport.RecordingSink();
        try (SmoxyClient client = client()) {
            client.poll(NOW, sink);
        }
        assertThat(inFlight.max.get()).as("attempts requests in flight at once").isGreaterThan(1).isLessThanOrEqualTo(4);
        assertThat(sink.pages).hasSize(1);
        assertThat(sink.all()).extracting(o -> o.certificate().getKey().getSourceId())
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, n).mapToObj(k -> "c" + k).toList());
        for (int k = 1; k <= n; k++) {
            Observation o = sink.all().get(k - 1);
            assertThat(o.newAttempts()).extracting(RenewalAttempt::getAttemptId).containsExactly("b-c" + k, "a-c" + k); // oldest first
            assertThat(o.lastAttemptId()).isEqualTo("a-c" + k);
        }
        assertThat(sink.errors).isEmpty();
        assertThat(sink.complete).hasSize(1);
    }

    @Test
    void oneAtATimeWhenConfiguredSo() throws Exception {
        onePage(1, 6, 30);
        var sink = new TestSupport.RecordingSink();
        try (SmoxyClient client = client()) {
            client.poll(NOW, sink);
        }
        assertThat(inFlight.max.get()).isEqualTo(1);
        assertThat(sink.all()).hasSize(6);
    }

    @Test
    void a429PausesEveryConcurrentRequestOfTheSourceForItsRetryAfter() throws Exception {
        int n = 12;
        onePage(4, n, 300);
        // whichever attempts request comes first is answered 429 with Retry-After: 1 (once)
        wm.stubFor(get(urlPathMatching(CERTS + "/c[0-9]+/attempts")).atPriority(1).inScenario("limit").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("open").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1")));
        var fetcher = new dev.certflow.ingest.http.HttpFetcher(source -> TestSupport.LOOPBACK, 1,
                Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(30), dev.certflow.runtime.service.Sleeper.REAL,
                java.time.Clock.systemUTC());
        var sink = new TestSupport.RecordingSink();
        try (SmoxyClient client = new SmoxyClient(config, fetcher, ItemCounter.NONE)) {
            client.poll(NOW, sink);
        }
        // nothing lost: the limited certificate was read on its retry
        assertThat(sink.errors).isEmpty();
        assertThat(sink.all()).hasSize(n).allSatisfy(o -> assertThat(o.newAttempts()).hasSize(2));
        List<ServeEvent> attempts = wm.getAllServeEvents().stream().filter(e -> e.getRequest().getUrl().contains("/attempts")).toList();
        List<ServeEvent> limited = attempts.stream().filter(e -> e.getResponse().getStatus() == 429).toList();
        // requests racing into the scenario's first state may all be answered 429; each is retried once
        assertThat(limited).isNotEmpty().hasSizeLessThanOrEqualTo(4);
        assertThat(attempts).hasSize(n + limited.size());
        long limitedAt = limited.stream().mapToLong(e -> e.getRequest().getLoggedDate().getTime()).min().orElseThrow();
        // only the requests already in flight when the first 429 came may reach the source inside its Retry-After
        long inside = attempts.stream().map(e -> e.getRequest().getLoggedDate().getTime())
                .filter(t -> t > limitedAt && t < limitedAt + 950).count();
        assertThat(inside).as("requests that reached the source during the Retry-After").isLessThanOrEqualTo(3);
        assertThat(attempts.stream().filter(e -> e.getRequest().getLoggedDate().getTime() >= limitedAt + 950).count())
                .as("requests after the pause").isGreaterThanOrEqualTo(n + limited.size() - 4);
    }

    @Test
    void theSteadyStateReadsNoAttemptsAndAChangedLastAttemptReadsOnlyThatCertificate() throws Exception {
        int n = 10;
        onePage(4, n, 0);
        var sink = new TestSupport.RecordingSink();
        try (SmoxyClient client = client()) {
            client.poll(NOW, sink); // cold: every certificate's attempts
            assertThat(wm.countRequestsMatching(getRequestedFor(urlPathMatching(".*/attempts")).build()).getCount()).isEqualTo(n);

            wm.resetRequests();
            sink.reset();
            client.poll(NOW.plusSeconds(300), sink); // nothing changed: checkpoints name each lastAttempt, finished
            assertThat(wm.countRequestsMatching(getRequestedFor(urlPathMatching(".*/attempts")).build()).getCount()).isZero();
            assertThat(sink.all()).hasSize(n).allSatisfy(o -> assertThat(o.newAttempts()).isEmpty());

            // c3 has a new attempt: only its attempts are read
            wm.resetRequests();
            sink.reset();
            stubListing(n, k -> k == 3 ? "x-c3" : "a-c" + k);
            wm.stubFor(get(urlPathEqualTo(CERTS + "/c3/attempts")).willReturn(okJson("{\"member\":["
                    + attempt("x-c3", "running", "2026-11-22T09:00:00+00:00") + "," + attempt("a-c3", "failed", "2026-11-21T10:00:00+00:00") + "]}")));
            client.poll(NOW.plusSeconds(600), sink);
            wm.verify(1, getRequestedFor(urlPathMatching(".*/attempts")));
            wm.verify(1, getRequestedFor(urlPathEqualTo(CERTS + "/c3/attempts")));
            assertThat(sink.all().get(2).newAttempts()).extracting(RenewalAttempt::getAttemptId).containsExactly("x-c3");
        }
    }

    @Test
    void attemptsCutOffMidAnswerAreReadAgainNotAFailedPoll() throws Exception {
        config.itemsPerPage = 100;
        config.attemptConcurrency = 4;
        AtomicInteger c2 = new AtomicInteger();
        try (var server = new TestSupport.RawServer(target -> {
            if (!target.contains("/attempts")) {
                return "{\"member\":[" + java.util.stream.IntStream.rangeClosed(1, 4).mapToObj(k -> "{\"id\":\"c" + k
                        + "\",\"domainName\":\"c" + k + ".example\",\"expiresAt\":\"2027-01-01T00:00:00Z\",\"lastAttempt\":{\"id\":\"a-c" + k + "\"}}")
                        .collect(java.util.stream.Collectors.joining(",")) + "]}";
            }
            String k = target.replaceAll(".*/c(\\d+)/attempts.*", "$1");
            String body = "{\"member\":[" + attempt("a-c" + k, "failed", "2026-11-21T10:00:00+00:00") + ","
                    + attempt("b-c" + k, "succeeded", "2026-10-21T10:00:00+00:00") + "]}";
            return k.equals("2") && c2.incrementAndGet() == 1 ? TestSupport.RawServer.CUT + body : body;
        })) {
            config.baseUrl = server.baseUrl();
            var sink = new TestSupport.RecordingSink();
            try (SmoxyClient client = client()) {
                client.poll(NOW, sink);
            }
            assertThat(sink.errors).isEmpty();
            assertThat(sink.all()).hasSize(4).allSatisfy(o -> assertThat(o.newAttempts()).hasSize(2));
            assertThat(server.targets).filteredOn(t -> t.contains("/c2/attempts")).hasSize(2);
        }
    }

    @Test
    void underConcurrencyAnUnreadableCertificateIsStillPublishedAndAnAuthFailureFailsThePoll() throws Exception {
        onePage(4, 8, 20);
        wm.stubFor(get(urlPathEqualTo(CERTS + "/c5/attempts")).willReturn(aResponse().withStatus(404)));
        var sink = new TestSupport.RecordingSink();
        try (SmoxyClient client = client()) {
            client.poll(NOW, sink);
        }
        assertThat(sink.all()).hasSize(8);
        assertThat(sink.all().get(4).newAttempts()).isEmpty();
        assertThat(sink.errors).extracting(e -> e.field() + ":" + e.value() + ":" + e.certificateKey())
                .containsExactly("attempts:c5:smoxy/smoxy-acme/org-1/c5");
        assertThat(sink.all()).filteredOn(o -> !o.certificate().getKey().getSourceId().equals("c5"))
                .allSatisfy(o -> assertThat(o.newAttempts()).hasSize(2));

        // a revoked token is the source's failure, not one certificate's: the poll fails and the page is not handed over
        wm.stubFor(get(urlPathEqualTo(CERTS + "/c5/attempts")).willReturn(aResponse().withStatus(401)));
        var second = new TestSupport.RecordingSink();
        try (SmoxyClient client = client()) {
            assertThatThrownBy(() -> client.poll(NOW, second)).isInstanceOf(SourceException.class)
                    .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.AUTH));
        }
        assertThat(second.pages).isEmpty();
        assertThat(second.complete).isEmpty();
    }

    /** The vendor sample without its placeholder view (its "next" is the literal word "string"). */
    static String sampleCertificates() {
        return TestSupport.sample("smoxy-certificates-200.json").replaceAll("\"view\": \\{[^}]*},", "");
    }

    static String attempt(String id, String status, String startedAt) {
        return "{\"@id\":\"/a/" + id + "\",\"id\":\"" + id + "\",\"type\":\"acme_renew\",\"status\":\"" + status + "\",\"startedAt\":\"" + startedAt
                + "\",\"finishedAt\":null,\"errorCode\":" + ("failed".equals(status) ? "\"acme_error\"" : "null")
                + ",\"sansSnapshot\":[[\"example.com\"]],\"issuedExpiresAt\":null}";
    }

    @Test
    void documentedSamplesNormaliseWithoutKeyMaterial() throws Exception {
        wm.stubFor(get(urlPathEqualTo(CERTS)).willReturn(okJson(sampleCertificates())));
        wm.stubFor(get(urlPathEqualTo(ATTEMPTS)).willReturn(okJson(TestSupport.sample("smoxy-attempts-200.json").replaceAll("\"view\": \\{[^}]*},", ""))));
        var sink = new TestSupport.RecordingSink();
        client().poll(NOW, sink);
        Observation o = sink.all().get(0);
        Certificate c = o.certificate();
        assertThat(c.getKey().getTenant()).isEqualTo("org-1");
        assertThat(c.getNotAfter()).isEqualTo(Instant.parse("2026-09-30T12:00:00Z"));
        assertThat(c.getIssuanceMethod()).isEqualTo(IssuanceMethod.ACME);
        assertThat(c.getSans()).containsExactly("www.example.com");
        assertThat(c.toString()).doesNotContain("PRIVATE KEY").doesNotContain("BEGIN CERTIFICATE");
        // status decides: succeeded with an errorCode is a success
        RenewalAttempt a = o.newAttempts().get(0);
        assertThat(a.getStatus()).isEqualTo(AttemptStatus.SUCCEEDED);
        assertThat(a.getErrorCode()).isEqualTo("acme_error");
        assertThat(a.getSansSnapshot()).containsExactly("example.com", "www.example.com");
        assertThat(o.lastAttemptId()).isEqualTo("9f1c2d3e-4b5a-6789-abcd-ef0123456789");
        assertThat(sink.complete).hasSize(1);
        wm.verify(getRequestedFor(urlPathEqualTo(CERTS)).withHeader("X-API-TOKEN", equalTo("smoxy-token-1")));
    }

    @Test
    void aPageServedTwiceEndsTheChainShortOfTotalItemsAndRemovesNothing() throws Exception {
        String c1 = "{\"id\":\"c1\",\"domainName\":\"a.example\",\"type\":\"custom\",\"expiresAt\":\"2027-01-01T00:00:00Z\",\"lastAttempt\":null}";
        String c2 = c1.replace("c1", "c2").replace("a.example", "b.example");
        String c3 = c1.replace("c1", "c3").replace("a.example", "c.example");
        // page 2 answers with page 1's members under its own view: c3 is never listed, the chain still ends
        wm.stubFor(get(urlPathEqualTo(CERTS)).withQueryParam("page", equalTo("1")).willReturn(okJson(
                "{\"totalItems\":3,\"member\":[" + c1 + "," + c2 + "],\"view\":{\"next\":\"" + CERTS + "?page=2\"}}")));
        wm.stubFor(get(urlPathEqualTo(CERTS)).withQueryParam("page", equalTo("2")).willReturn(okJson(
                "{\"totalItems\":3,\"member\":[" + c1 + "," + c2 + "],\"view\":{\"previous\":\"" + CERTS + "?page=1\"}}")));
        var sink = new TestSupport.RecordingSink();
        client().poll(NOW, sink);
        assertThat(sink.all()).extracting(o -> o.certificate().getKey().getSourceId()).containsExactly("c1", "c2");
        assertThat(sink.complete).as("2 of 3: not a complete listing").isEmpty();

        // the same chain with page 2 right: complete
        wm.stubFor(get(urlPathEqualTo(CERTS)).withQueryParam("page", equalTo("2")).willReturn(okJson(
                "{\"totalItems\":3,\"member\":[" + c3 + "],\"view\":{\"previous\":\"" + CERTS + "?page=1\"}}")));
        sink.reset();
        client().poll(NOW, sink);
        assertThat(sink.complete).hasSize(1);
    }

    @Test
    void followsHydraPrefixedNextAndStopsAttemptsAtTheCheckpoint() throws Exception {
        config.authScheme = "bearer";
        wm.stubFor(get(urlPathEqualTo(CERTS)).withQueryParam("page", equalTo("1")).willReturn(okJson("""
                {"hydra:member":[{"id":"c1","domainName":"a.example","type":"custom","expiresAt":"2027-01-01T00:00:00+01:00","privateKeyData":"KEY"},
                                 {"id":"c2","domainName":"b.example","type":"auto_managed","expiresAt":"2027-02-01T00:00:00+00:00","lastAttempt":null}],
                 "hydra:view":{"hydra:next":"%s?page=2&itemsPerPage=2"}}""".formatted(CERTS))));
        wm.stubFor(get(urlPathEqualTo(CERTS)).withQueryParam("page", equalTo("2")).willReturn(okJson("""
                {"member":[{"id":"c3","domainName":"c.example","type":"auto_managed","expiresAt":"garbage"}],"view":{}}""")));
        // c1 attempts: newest first but out of order inside the page, then a second page
        wm.stubFor(get(urlPathEqualTo(CERTS + "/c1/attempts")).withQueryParam("page", equalTo("1")).willReturn(okJson(
                "{\"member\":[" + attempt("a5", "running", "2026-11-20T10:00:00+00:00") + "," + attempt("a6", "failed", "2026-11-21T10:00:00+00:00")
                        + "],\"view\":{\"next\":\"" + CERTS + "/c1/attempts?page=2&itemsPerPage=2\"}}")));
        wm.stubFor(get(urlPathEqualTo(CERTS + "/c1/attempts")).withQueryParam("page", equalTo("2")).willReturn(okJson(
                "{\"member\":[" + attempt("a4", "succeeded", "2026-10-01T10:00:00+00:00") + "," + attempt("a3", "succeeded", "2026-09-01T10:00:00+00:00")
                        + "],\"view\":{\"next\":\"" + CERTS + "/c1/attempts?page=3&itemsPerPage=2\"}}")));
        wm.stubFor(get(urlPathEqualTo(CERTS + "/c3/attempts")).willReturn(okJson("{\"member\":[]}")));
        var sink = new TestSupport.RecordingSink();
        // checkpoint at a4: page 3 must never be read
        sink.state.put("smoxy/smoxy-acme/org-1/c1", new dev.certflow.ingest.source.CertState(
                dev.certflow.schemas.CertificateKeys.of(dev.certflow.events.SourceKind.SMOXY, "smoxy-acme", "org-1", "c1"),
                "fp", "a4", Instant.parse("2026-10-01T10:00:00Z"), "succeeded", null));
        client().poll(NOW, sink);

        assertThat(sink.all()).extracting(o -> o.certificate().getKey().getSourceId()).containsExactly("c1", "c2", "c3");
        Observation c1 = sink.all().get(0);
        assertThat(c1.newAttempts()).extracting(RenewalAttempt::getAttemptId).containsExactly("a5", "a6");
        assertThat(c1.lastAttemptId()).isEqualTo("a6");
        assertThat(c1.certificate().getIssuanceMethod()).isEqualTo(IssuanceMethod.UPLOADED);
        assertThat(sink.all().get(2).certificate().getExpiryStatus()).isEqualTo(dev.certflow.events.ExpiryStatus.UNPARSEABLE);
        wm.verify(0, getRequestedFor(urlPathEqualTo(CERTS + "/c1/attempts")).withQueryParam("page", equalTo("3")));
        wm.verify(0, getRequestedFor(urlPathEqualTo(CERTS + "/c2/attempts"))); // lastAttempt null: nothing to read
        wm.verify(getRequestedFor(urlPathEqualTo(CERTS)).withHeader("Authorization", equalTo("Bearer smoxy-token-1")));
        assertThat(sink.complete).hasSize(1);

        // second poll: the running attempt a5 is older than the checkpoint a6 (failed, terminal) and lastAttempt
        // names a6: no attempts request at all
        wm.resetRequests();
        wm.stubFor(get(urlPathEqualTo(CERTS)).withQueryParam("page", equalTo("1")).willReturn(okJson("""
                {"member":[{"id":"c1","domainName":"a.example","type":"custom","expiresAt":"2027-01-01T00:00:00+01:00","lastAttempt":{"id":"a6"}}]}""")));
        sink.reset();
        client().poll(NOW.plusSeconds(300), sink);
        assertThat(sink.all().get(0).newAttempts()).isEmpty();
        wm.verify(0, getRequestedFor(urlPathEqualTo(CERTS + "/c1/attempts")));
    }

    @Test
    void aCheckpointedAttemptThatFinishesIsPublishedAgain() throws Exception {
        wm.stubFor(get(urlPathEqualTo(CERTS)).willReturn(okJson("""
                {"member":[{"id":"c1","domainName":"a.example","type":"auto_managed","expiresAt":"2027-01-01T00:00:00Z","lastAttempt":{"id":"a1"}}]}""")));
        wm.stubFor(get(urlPathEqualTo(CERTS + "/c1/attempts")).willReturn(okJson("{\"member\":[" + attempt("a1", "failed", "2026-11-21T10:00:00+00:00") + "]}")));
        var sink = new TestSupport.RecordingSink();
        sink.state.put("smoxy/smoxy-acme/org-1/c1", new dev.certflow.ingest.source.CertState(
                dev.certflow.schemas.CertificateKeys.of(dev.certflow.events.SourceKind.SMOXY, "smoxy-acme", "org-1", "c1"),
                "fp", "a1", Instant.parse("2026-11-21T10:00:00Z"), "running", null));
        client().poll(NOW, sink);
        assertThat(sink.all().get(0).newAttempts()).extracting(RenewalAttempt::getStatus).containsExactly(AttemptStatus.FAILED);
        assertThat(sink.all().get(0).lastStatus()).isEqualTo("failed");
    }

    @Test
    void nextPageOnAnotherHostIsRefusedAndFailedAttemptsDoNotLoseTheCertificate() throws Exception {
        wm.stubFor(get(urlPathEqualTo(CERTS)).willReturn(okJson("""
                {"member":[{"id":"c1","domainName":"a.example","expiresAt":"2027-01-01T00:00:00Z"}],"view":{"next":"https://evil.example/steal"}}""")));
        wm.stubFor(get(urlPathEqualTo(CERTS + "/c1/attempts")).willReturn(aResponse().withStatus(404)));
        var sink = new TestSupport.RecordingSink();
        assertThatThrownBy(() -> client().poll(NOW, sink)).isInstanceOf(SourceException.class).hasMessageContaining("another origin");
        assertThat(sink.all()).hasSize(1); // the first page was published before the bad link
        assertThat(sink.errors).extracting(e -> e.field()).containsExactly("attempts");
        assertThat(new String(sink.errors.get(0).itemJson(), StandardCharsets.UTF_8)).contains("a.example");
        assertThat(sink.complete).isEmpty();
    }

    @Test
    void unauthorisedIsAnAuthError() {
        wm.stubFor(get(urlPathEqualTo(CERTS)).willReturn(aResponse().withStatus(401).withBody("{\"message\":\"JWT expired\"}")));
        assertThatThrownBy(() -> client().poll(NOW, new TestSupport.RecordingSink())).isInstanceOf(SourceException.class)
                .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.AUTH));
    }
}
