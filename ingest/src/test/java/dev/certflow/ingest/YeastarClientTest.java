package dev.certflow.ingest;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.ingest.config.YeastarSourceConfig;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.ingest.source.ItemCounter;
import dev.certflow.ingest.source.Observation;
import dev.certflow.ingest.source.PollSink;
import dev.certflow.ingest.source.YeastarClient;
import dev.certflow.runtime.config.Secret;
import dev.certflow.testkit.MutableClock;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.*;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class YeastarClientTest {
    static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    WireMockServer wm;
    YeastarSourceConfig config;
    TestSupport.RecordingSleeper sleeper = new TestSupport.RecordingSleeper();
    MutableClock clock = new MutableClock(NOW);

    @BeforeEach
    void setUp() {
        wm = new WireMockServer(options().dynamicPort());
        wm.start();
        config = new YeastarSourceConfig();
        config.name = "pbx-berlin";
        config.baseUrl = wm.baseUrl();
        config.clientId = Secret.of("client-id-1");
        config.clientSecret = Secret.of("client-secret-1");
        config.zone = ZoneId.of("Europe/Berlin");
        config.pageSize = 100;
        config.requestTimeout = Duration.ofSeconds(2);
        wm.stubFor(post(urlEqualTo("/openapi/v1.0/get_token")).willReturn(okJson(TestSupport.sample("yeastar-get-token-200.json"))));
    }

    @AfterEach
    void tearDown() {
        wm.stop();
    }

    YeastarClient client() {
        return new YeastarClient(config, TestSupport.fetcher(sleeper, 2), ItemCounter.NONE, clock);
    }

    static Certificate cert(TestSupport.RecordingSink sink, String id) {
        return sink.all().stream().map(Observation::certificate).filter(c -> c.getKey().getSourceId().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void normalisesTheDocumentedSampleAndDropsAuthInfoValues() throws Exception {
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).willReturn(okJson(TestSupport.sample("yeastar-certificate-list-200.json"))));
        var sink = new TestSupport.RecordingSink();
        client().poll(NOW, sink);

        assertThat(sink.all()).hasSize(3);
        Certificate c1 = cert(sink, "1");
        assertThat(c1.getKey().getTenant()).isEqualTo("pbx-berlin");
        assertThat(c1.getType()).isEqualTo(CertificateType.TRUSTED_CA);
        assertThat(c1.getNotAfter()).isEqualTo(Instant.parse("2025-05-25T13:03:10Z")); // 3 PM CEST
        assertThat(c1.getExpiryStatus()).isEqualTo(ExpiryStatus.KNOWN);
        Certificate c3 = cert(sink, "3");
        assertThat(c3.getExpiryStatus()).isEqualTo(ExpiryStatus.PENDING);
        assertThat(c3.getNotAfter()).isNull();
        assertThat(c3.getIssuanceMethod()).isEqualTo(IssuanceMethod.ACME);
        assertThat(c3.getAutoRenewal()).isTrue();
        assertThat(c3.getAttributes()).containsEntry("auth_info_keys", "AccessKeyId,AccessKeySecret,PropagationTimeout,PollingInterval,TTL");
        assertThat(c3.toString()).doesNotContain("AKIAIXXXXXXXXXXAMPLE").doesNotContain("wJalrXUXXXXXXXXXXLEKEY");
        assertThat(sink.complete).hasSize(1);
        // the User-Agent on every request, and the token in the query
        wm.verify(postRequestedFor(urlEqualTo("/openapi/v1.0/get_token")).withHeader("User-Agent", equalTo("certflow/0.1"))
                .withRequestBody(equalToJson("{\"username\":\"client-id-1\",\"password\":\"client-secret-1\"}")));
        wm.verify(getRequestedFor(urlPathEqualTo("/openapi/v1.0/certificate/list")).withHeader("User-Agent", equalTo("certflow/0.1"))
                .withQueryParam("access_token", equalTo("EXZMpZAO86mbrKm6rFtgeb3rfcpC9uqS")).withQueryParam("page", equalTo("1")));
    }

    @Test
    void pagesUntilTotalNumberAndToleratesADuplicatePage() throws Exception {
        config.pageSize = 2;
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).withQueryParam("page", equalTo("1"))
                .willReturn(okJson(list(5, item(1, "issuance_success"), item(2, "issuance_success")))));
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).withQueryParam("page", equalTo("2"))
                .willReturn(okJson(list(5, item(2, "issuance_success"), item(3, "issuance_success")))));
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).withQueryParam("page", equalTo("3"))
                .willReturn(okJson(list(5, item(4, "issuance_success"), item(5, "issuance_success")))));
        var sink = new TestSupport.RecordingSink();
        client().poll(NOW, sink);
        assertThat(sink.all()).extracting(o -> o.certificate().getKey().getSourceId()).containsExactly("1", "2", "3", "4", "5");
        assertThat(sink.complete).hasSize(1);
        wm.verify(0, getRequestedFor(urlPathEqualTo("/openapi/v1.0/certificate/list")).withQueryParam("page", equalTo("4")));
    }

    /** A sink that runs {@code onFirstPage} before recording the first page it is handed. */
    static PollSink onFirstPage(TestSupport.RecordingSink into, ThrowingRunnable onFirstPage) {
        return new PollSink() {
            @Override
            public dev.certflow.ingest.source.CertState state(String certificateKey) {
                return into.state(certificateKey);
            }

            @Override
            public void page(List<Observation> observations, List<dev.certflow.ingest.source.ItemError> errors) throws PollAbortedException {
                if (into.pages.isEmpty()) {
                    onFirstPage.run();
                }
                into.page(observations, errors);
            }

            @Override
            public void listingComplete(java.util.function.BiPredicate<String, dev.certflow.ingest.source.CertState> wouldInclude) {
                into.listingComplete(wouldInclude);
            }
        };
    }

    interface ThrowingRunnable {
        void run() throws PollSink.PollAbortedException;
    }

    void stubPages(int total, int pageSize, String... statuses) {
        config.pageSize = pageSize;
        for (int page = 1; (page - 1) * pageSize < total; page++) {
            var items = new com.fasterxml.jackson.databind.node.ObjectNode[Math.min(pageSize, total - (page - 1) * pageSize)];
            for (int i = 0; i < items.length; i++) {
                items[i] = item((page - 1) * pageSize + i + 1, statuses[0]);
            }
            wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).withQueryParam("page", equalTo(String.valueOf(page)))
                    .willReturn(okJson(list(total, items))));
        }
    }

    int listRequests(int page) {
        return wm.findAll(getRequestedFor(urlPathEqualTo("/openapi/v1.0/certificate/list")).withQueryParam("page", equalTo(String.valueOf(page)))).size();
    }

    @Test
    void readsTheNextPageWhileThisOneIsHandedOver() throws Exception {
        stubPages(6, 2, "issuance_success");
        var sink = new TestSupport.RecordingSink();
        client().poll(NOW, onFirstPage(sink, () -> Awaitility.await("page 2 requested while page 1 is being handed over")
                .atMost(Duration.ofSeconds(10)).until(() -> listRequests(2) == 1)));
        assertThat(sink.all()).extracting(o -> o.certificate().getKey().getSourceId()).containsExactly("1", "2", "3", "4", "5", "6");
        assertThat(sink.complete).hasSize(1);
        assertThat(List.of(listRequests(1), listRequests(2), listRequests(3), listRequests(4)))
                .as("each page read once, none past the last").containsExactly(1, 1, 1, 0);
    }

    @Test
    void aFailedReadAheadSurfacesAfterTheEarlierPagesWereHandedOver() throws Exception {
        stubPages(4, 2, "issuance_success");
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).withQueryParam("page", equalTo("2"))
                .willReturn(aResponse().withStatus(404)));
        var sink = new TestSupport.RecordingSink();
        assertThatThrownBy(() -> client().poll(NOW, sink)).isInstanceOf(SourceException.class)
                .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.HTTP_4XX))
                .hasMessageContaining("pbx-berlin").hasMessageContaining("HTTP 404");
        assertThat(sink.all()).extracting(o -> o.certificate().getKey().getSourceId()).containsExactly("1", "2");
        assertThat(sink.complete).as("no removals after a failed page").isEmpty();
    }

    @Test
    void anAbortedPollStopsReadingAhead() throws Exception {
        stubPages(6, 2, "issuance_success");
        var sink = new TestSupport.RecordingSink();
        var aborted = new PollSink.PollAbortedException("broker gone", null);
        assertThatThrownBy(() -> client().poll(NOW, onFirstPage(sink, () -> {
            throw aborted;
        }))).isSameAs(aborted);
        assertThat(listRequests(3)).as("nothing read past the page being read ahead").isZero();
    }

    @Test
    void aPbxThatRepeatsThePageEndsTheListingIncomplete() throws Exception {
        config.pageSize = 2;
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list"))
                .willReturn(okJson(list(4, item(1, "issuance_success"), item(2, "issuance_success")))));
        var sink = new TestSupport.RecordingSink();
        client().poll(NOW, sink);
        assertThat(sink.all()).hasSize(2);
        assertThat(sink.complete).as("no removals from an incomplete listing").isEmpty();
    }

    @Test
    void reauthenticatesWhenTheTokenExpiresMidRun() throws Exception {
        config.pageSize = 1;
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).withQueryParam("page", equalTo("1"))
                .willReturn(okJson(list(2, item(1, "issuance_success")))));
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).withQueryParam("page", equalTo("2"))
                .inScenario("expiry").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("expired")
                .willReturn(okJson("{\"errcode\":10004,\"errmsg\":\"ACCESS TOKEN EXPIRED\"}")));
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).withQueryParam("page", equalTo("2"))
                .inScenario("expiry").whenScenarioStateIs("expired")
                .willReturn(okJson(list(2, item(2, "issuance_success")))));
        var sink = new TestSupport.RecordingSink();
        client().poll(NOW, sink);
        assertThat(sink.all()).hasSize(2);
        wm.verify(2, postRequestedFor(urlEqualTo("/openapi/v1.0/get_token")));
    }

    @Test
    void refreshesTheTokenBeforeItExpires() throws Exception {
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).willReturn(okJson(list(1, item(1, "issuance_success")))));
        wm.stubFor(post(urlEqualTo("/openapi/v1.0/refresh_token")).willReturn(okJson("""
                {"errcode":0,"errmsg":"SUCCESS","access_token_expire_time":1800,"access_token":"refreshed-access",
                 "refresh_token_expire_time":86400,"refresh_token":"refreshed-refresh"}""")));
        YeastarClient client = client();
        client.poll(NOW, new TestSupport.RecordingSink());
        clock.set(NOW.plusSeconds(1790)); // within the margin before the 1800 s expiry
        client.poll(clock.instant(), new TestSupport.RecordingSink());
        wm.verify(1, postRequestedFor(urlEqualTo("/openapi/v1.0/get_token")));
        wm.verify(postRequestedFor(urlEqualTo("/openapi/v1.0/refresh_token"))
                .withRequestBody(equalToJson("{\"refresh_token\":\"SCduGecwbG9jIusiS8FxFUVn3kf0Q9R8\"}")));
        wm.verify(getRequestedFor(urlPathEqualTo("/openapi/v1.0/certificate/list")).withQueryParam("access_token", equalTo("refreshed-access")));
    }

    @Test
    void applyStatusTransitionsBecomeOneAttemptEach() throws Exception {
        var sink = new TestSupport.RecordingSink();
        YeastarClient client = client();
        stubList(list(1, item(7, "issuing")));
        client.poll(NOW, sink);
        assertThat(sink.all().get(0).newAttempts()).isEmpty();

        sink.reset();
        stubList(list(1, item(7, "issuance_fail").put("apply_tip_code", 30007)));
        client.poll(NOW, sink);
        List<RenewalAttempt> attempts = sink.all().get(0).newAttempts();
        assertThat(attempts).hasSize(1);
        RenewalAttempt failed = attempts.get(0);
        assertThat(failed.getStatus()).isEqualTo(AttemptStatus.FAILED);
        assertThat(failed.getErrorCode()).isEqualTo("30007");
        assertThat(failed.getAttemptId()).startsWith("yeastar-").hasSize(8 + 32);

        // re-poll: same status, no second attempt
        sink.reset();
        client.poll(NOW.plusSeconds(300), sink);
        assertThat(sink.all().get(0).newAttempts()).isEmpty();

        // the same transition observed again from scratch gets the same id (deterministic)
        var fresh = new TestSupport.RecordingSink();
        fresh.state.put("yeastar/pbx-berlin/pbx-berlin/7", new dev.certflow.ingest.source.CertState(
                failed.getCertificateKey(), "x", null, null, "issuing", null));
        client.poll(NOW.plusSeconds(600), fresh);
        assertThat(fresh.all().get(0).newAttempts()).extracting(RenewalAttempt::getAttemptId).containsExactly(failed.getAttemptId());

        // issuing again then success: a new attempt with a different id
        sink.reset();
        stubList(list(1, item(7, "issuing")));
        client.poll(NOW.plusSeconds(900), sink);
        stubList(list(1, item(7, "issuance_success").put("expiration", "2027/02/20 12:00:00 AM")));
        sink.reset();
        client.poll(NOW.plusSeconds(1200), sink);
        RenewalAttempt ok = sink.all().get(0).newAttempts().get(0);
        assertThat(ok.getStatus()).isEqualTo(AttemptStatus.SUCCEEDED);
        assertThat(ok.getIssuedNotAfter()).isEqualTo(Instant.parse("2027-02-19T23:00:00Z"));
        assertThat(ok.getAttemptId()).isNotEqualTo(failed.getAttemptId());
    }

    @Test
    void badItemsAreReportedAndTheRestPublished() throws Exception {
        stubList("""
                {"errcode":0,"errmsg":"SUCCESS","total_number":3,"certificate_list":[
                  {"id":{"x":1},"name":"broken"},
                  {"id":2,"name":"ok.example.com","type":"server","expiration":"not a date","apply_status":"issuance_success"},
                  {"id":3,"name":["wrong"],"type":"server","expiration":"2026/12/01 01:00:00 PM"}]}""");
        var sink = new TestSupport.RecordingSink();
        client().poll(NOW, sink);
        assertThat(sink.all()).hasSize(1);
        assertThat(sink.all().get(0).certificate().getExpiryStatus()).isEqualTo(ExpiryStatus.UNPARSEABLE);
        assertThat(sink.all().get(0).certificate().getNotAfterRaw()).isEqualTo("not a date");
        assertThat(sink.errors).hasSize(2);
        assertThat(sink.errors.get(0).certificateKey()).isNull();
        assertThat(sink.errors.get(1).field()).isEqualTo("name");
        assertThat(sink.errors.get(1).certificateKey()).isEqualTo("yeastar/pbx-berlin/pbx-berlin/3");
        assertThat(sink.complete).as("an unidentifiable item blocks removals").isEmpty();
    }

    @Test
    void garbageBodyFailsThePollAndRateLimitIsRetriedAfterRetryAfter() throws Exception {
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).inScenario("rl").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("ok").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "3")));
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).inScenario("rl").whenScenarioStateIs("ok")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/html").withBody("<html><body>Login</body></html>")));
        assertThatThrownBy(() -> client().poll(NOW, new TestSupport.RecordingSink()))
                .isInstanceOf(SourceException.class)
                .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.MALFORMED_BODY))
                .hasMessageContaining("pbx-berlin")
                .hasMessageNotContaining("EXZMpZAO86mbrKm6rFtgeb3rfcpC9uqS");
        assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(3));
    }

    @Test
    void refusedCredentialsAreAnAuthError() {
        wm.stubFor(post(urlEqualTo("/openapi/v1.0/get_token")).willReturn(okJson("{\"errcode\":10002,\"errmsg\":\"FAILURE\"}")));
        assertThatThrownBy(() -> client().poll(NOW, new TestSupport.RecordingSink()))
                .isInstanceOf(SourceException.class)
                .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.AUTH))
                .hasMessageNotContaining("client-secret-1");
    }

    void stubList(String body) {
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).willReturn(okJson(body)));
    }

    static com.fasterxml.jackson.databind.node.ObjectNode item(int id, String status) {
        return dev.certflow.ingest.source.Json.MAPPER.createObjectNode().put("id", id).put("name", "c" + id + ".example.com")
                .put("type", "server").put("issue_to", "c" + id + ".example.com").put("expiration", "2026/12/01 01:00:00 PM")
                .put("ca_type", "apply").put("apply_status", status);
    }

    static String list(int total, com.fasterxml.jackson.databind.node.ObjectNode... items) {
        var root = dev.certflow.ingest.source.Json.MAPPER.createObjectNode().put("errcode", 0).put("errmsg", "SUCCESS").put("total_number", total);
        var arr = root.putArray("certificate_list");
        for (var i : items) {
            arr.add(i);
        }
        return new String(dev.certflow.ingest.source.Json.bytes(root), StandardCharsets.UTF_8);
    }
}
