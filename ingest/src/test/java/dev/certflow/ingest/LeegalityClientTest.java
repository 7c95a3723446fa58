package dev.certflow.ingest;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.ingest.config.LeegalitySourceConfig;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.ingest.source.CertState;
import dev.certflow.ingest.source.ItemCounter;
import dev.certflow.ingest.source.LeegalityClient;
import dev.certflow.ingest.source.Observation;
import dev.certflow.runtime.config.Secret;
import dev.certflow.schemas.CertificateKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.*;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeegalityClientTest {
    static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    static final String PATH = "/api/api/v1/certificates/expiring-soon";
    WireMockServer wm;
    LeegalitySourceConfig config;
    TestSupport.RecordingSleeper sleeper = new TestSupport.RecordingSleeper();

    @BeforeEach
    void setUp() {
        wm = new WireMockServer(options().dynamicPort());
        wm.start();
        config = new LeegalitySourceConfig();
        config.name = "esign-hr";
        config.baseUrl = wm.baseUrl() + "/api";
        config.token = Secret.of("leegality-token-1");
        config.zone = ZoneId.of("Asia/Kolkata");
        config.requestTimeout = Duration.ofSeconds(2);
    }

    @AfterEach
    void tearDown() {
        wm.stop();
    }

    LeegalityClient client(int chunk) {
        return new LeegalityClient(config, TestSupport.fetcher(sleeper, 2), chunk, ItemCounter.NONE);
    }

    @Test
    void documentedSampleGivesACertificateWithAnUnparseableExpiry() throws Exception {
        wm.stubFor(get(urlPathEqualTo(PATH)).willReturn(okJson(TestSupport.sample("leegality-expiring-soon-200.json"))));
        var sink = new TestSupport.RecordingSink();
        client(500).poll(NOW, sink);
        assertThat(sink.all()).hasSize(1);
        Certificate c = sink.all().get(0).certificate();
        assertThat(CertificateKeys.format(c.getKey())).isEqualTo("leegality/esign-hr/18b45e41-5d8b-4417-bb83-1d769187aef9/46d4e120-ed03-47cc-98c6-529bff3bbabc");
        assertThat(c.getExpiryStatus()).isEqualTo(ExpiryStatus.UNPARSEABLE);
        assertThat(c.getNotAfter()).isNull();
        assertThat(c.getNotAfterRaw()).isEqualTo("string");
        assertThat(c.getType()).isEqualTo(CertificateType.SIGNING);
        assertThat(c.getSourceType()).isEqualTo("PKCS12_PFX");
        assertThat(c.getDepartmentName()).isEqualTo("HR");
        wm.verify(getRequestedFor(urlPathEqualTo(PATH)).withHeader("X-Auth-Token", equalTo("leegality-token-1"))
                .withQueryParam("days", equalTo("3650")).withoutQueryParam("departmentId"));
    }

    @Test
    void queriesEachDepartmentAndConvertsZoneLessTimes() throws Exception {
        config.departmentIds = List.of("dep-a", "dep b");
        wm.stubFor(get(urlPathEqualTo(PATH)).withQueryParam("departmentId", equalTo("dep-a")).willReturn(okJson("""
                {"data":[{"id":"a1","name":"A","certificateType":"PKCS11","expiry":"2027-01-01T05:30:00","createdAt":"2025-01-01"},
                         {"id":"a2","name":"B","certificateType":"PKCS12_HSM","expiry":1798761600000}]}""")));
        wm.stubFor(get(urlPathEqualTo(PATH)).withQueryParam("departmentId", equalTo("dep b")).willReturn(okJson("{\"data\":[]}")));
        var sink = new TestSupport.RecordingSink();
        client(500).poll(NOW, sink);
        List<Certificate> certs = sink.all().stream().map(Observation::certificate).toList();
        assertThat(certs).extracting(c -> c.getKey().getTenant()).containsOnly("dep-a");
        assertThat(certs.get(0).getNotAfter()).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(certs.get(0).getCreatedAt()).isEqualTo(Instant.parse("2024-12-31T18:30:00Z"));
        assertThat(certs.get(1).getNotAfter()).isEqualTo(Instant.ofEpochMilli(1798761600000L));
        assertThat(sink.complete).hasSize(2);
    }

    @Test
    void removalOnlyForCertificatesTheWindowWouldStillInclude() throws Exception {
        wm.stubFor(get(urlPathEqualTo(PATH)).willReturn(okJson("{\"data\":[]}")));
        var sink = new TestSupport.RecordingSink();
        client(500).poll(NOW, sink);
        assertThat(sink.complete).hasSize(1);
        var inWindow = state("x", NOW.plus(Duration.ofDays(40)));
        var expired = state("y", NOW.minus(Duration.ofDays(1)));
        var beyond = state("z", NOW.plus(Duration.ofDays(4000)));
        var unknown = state("w", null);
        var p = sink.complete.get(0);
        assertThat(p.test("k", inWindow)).isTrue();
        assertThat(p.test("k", expired)).as("an expired certificate drops out of 'expiring soon' without being removed").isFalse();
        assertThat(p.test("k", beyond)).isFalse();
        assertThat(p.test("k", unknown)).isTrue();
    }

    @Test
    void largeAnswersArePublishedInChunks() throws Exception {
        StringBuilder body = new StringBuilder("{\"meta\":{\"x\":[1,2]},\"data\":[");
        for (int i = 0; i < 7; i++) {
            body.append(i == 0 ? "" : ",").append("{\"id\":\"c").append(i).append("\",\"expiry\":\"2027-01-0").append(i + 1).append("\"}");
        }
        body.append("]}");
        wm.stubFor(get(urlPathEqualTo(PATH)).willReturn(okJson(body.toString())));
        var sink = new TestSupport.RecordingSink();
        client(3).poll(NOW, sink);
        assertThat(sink.pages).extracting(List::size).containsExactly(3, 3, 1);
    }

    @Test
    void vendorErrorsAreAuthAnd4xxAnd5xxWithTheirCodes() {
        wm.stubFor(get(urlPathEqualTo(PATH)).willReturn(aResponse().withStatus(401).withHeader("Content-Type", "application/json")
                .withBody(TestSupport.sample("leegality-expiring-soon-401.json"))));
        assertThatThrownBy(() -> client(500).poll(NOW, new TestSupport.RecordingSink()))
                .isInstanceOf(SourceException.class).hasMessageContaining("LE_ERR_SS_401").hasMessageContaining("LE_ERR_SS_303")
                .hasMessageNotContaining("leegality-token-1")
                .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.AUTH));

        wm.stubFor(get(urlPathEqualTo(PATH)).willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                .withBody(TestSupport.sample("leegality-expiring-soon-400.json"))));
        assertThatThrownBy(() -> client(500).poll(NOW, new TestSupport.RecordingSink()))
                .isInstanceOf(SourceException.class).hasMessageContaining("LE_ERR_SS_400")
                .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.HTTP_4XX));

        wm.stubFor(get(urlPathEqualTo(PATH)).willReturn(aResponse().withStatus(500).withHeader("Content-Type", "application/json")
                .withBody(TestSupport.sample("leegality-expiring-soon-500.json"))));
        assertThatThrownBy(() -> client(500).poll(NOW, new TestSupport.RecordingSink()))
                .isInstanceOf(SourceException.class)
                .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.HTTP_5XX));
        assertThat(sleeper.waits).as("5xx retried twice with backoff").hasSize(2);
    }

    @Test
    void htmlPageOrMissingDataIsMalformedAndPublishesNothing() {
        wm.stubFor(get(urlPathEqualTo(PATH)).willReturn(aResponse().withStatus(200).withBody("<!DOCTYPE html><html>maintenance</html>")));
        var sink = new TestSupport.RecordingSink();
        assertThatThrownBy(() -> client(500).poll(NOW, sink)).isInstanceOf(SourceException.class)
                .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.MALFORMED_BODY));
        wm.stubFor(get(urlPathEqualTo(PATH)).willReturn(okJson("{\"items\":[]}")));
        assertThatThrownBy(() -> client(500).poll(NOW, sink)).isInstanceOf(SourceException.class).hasMessageContaining("'data'");
        assertThat(sink.pages).isEmpty();
        assertThat(sink.complete).isEmpty();
    }

    @Test
    void oneBadItemDoesNotStopThePage() throws Exception {
        wm.stubFor(get(urlPathEqualTo(PATH)).willReturn(okJson("""
                {"data":[{"id":"ok1","expiry":"2027-01-01T00:00:00Z"},{"name":"no id"},{"id":"bad","expiry":{"y":1}},{"id":"ok2"}]}""")));
        var sink = new TestSupport.RecordingSink();
        client(500).poll(NOW, sink);
        assertThat(sink.all()).extracting(o -> o.certificate().getKey().getSourceId()).containsExactly("ok1", "ok2");
        assertThat(sink.all().get(1).certificate().getExpiryStatus()).isEqualTo(ExpiryStatus.MISSING);
        assertThat(sink.errors).extracting(e -> e.field()).containsExactly("id", "expiry");
        assertThat(sink.complete).as("an item without id blocks removals").isEmpty();
    }

    static CertState state(String id, Instant notAfter) {
        CertificateKey key = CertificateKeys.of(SourceKind.LEEGALITY, "esign-hr", null, id);
        return new CertState(key, "fp", null, null, null, notAfter);
    }
}
