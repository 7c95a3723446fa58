package dev.certflow.ingest;

import com.github.tomakehurst.wiremock.WireMockServer;
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

    @BeforeEach
    void setUp() {
        wm = new WireMockServer(options().dynamicPort());
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
        sink.state.put("smoxy/smoxy-acme/org-1/c1", new dev.certflow.ingest.publish.CertState(
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
        sink.state.put("smoxy/smoxy-acme/org-1/c1", new dev.certflow.ingest.publish.CertState(
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
