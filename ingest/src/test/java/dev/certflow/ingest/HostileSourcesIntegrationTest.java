package dev.certflow.ingest;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.certflow.events.PollOutcome;
import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.net.OutboundHttp;
import dev.certflow.testkit.TestKafka;
import dev.certflow.testkit.TestTls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static com.github.tomakehurst.wiremock.client.WireMock.*;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14 row 11 through the real workers, with the clients ingest builds from each source's
 * configuration: a source behind a self-signed certificate, one whose name resolves to a private
 * address, one that redirects to the cloud metadata address. Each poll fails at once with its kind and a
 * message naming the source and the reason, nothing is retried or followed, and a healthy source in
 * the same process keeps ingesting.
 */
class HostileSourcesIntegrationTest {
    WireMockServer wm;
    KafkaSettings kafka;
    TestTls tls;
    Ingest ingest;
    final List<String> lookedUp = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        wm = new WireMockServer(options().dynamicPort());
        wm.start();
        tls = TestTls.start("localhost");
        kafka = TestKafka.freshSettings("hostile-sources");
        new TopicManager(kafka).ensure(Ingest.TOPICS);
    }

    @AfterEach
    void tearDown() {
        if (ingest != null) {
            ingest.close();
        }
        tls.close();
        wm.stop();
    }

    @Test
    void selfSignedPrivateByNameAndRedirectedToMetadataSourcesFailNamingTheSourceAndTheReason() throws Exception {
        IngestConfig config = IngestIntegrationTest.config(wm.baseUrl());
        config.maxRetries = 2;
        var leegality = config.sources.get(0); // esign-hr: behind a self-signed certificate
        leegality.baseUrl = tls.url("localhost") + "/api";
        var smoxy = config.sources.get(1); // smoxy-acme: a redirect to the metadata service
        wm.stubFor(get(urlPathEqualTo(IngestIntegrationTest.CERTS)).willReturn(aResponse().withStatus(302)
                .withHeader("Location", "http://169.254.169.254/latest/meta-data/iam/security-credentials/")));
        var pbx = config.sources.get(2); // pbx-berlin: healthy
        wm.stubFor(post(urlEqualTo("/openapi/v1.0/get_token")).willReturn(okJson(TestSupport.sample("yeastar-get-token-200.json"))));
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).willReturn(okJson(TestSupport.sample("yeastar-certificate-list-200.json"))));
        var internal = IngestIntegrationTest.config("https://pbx.corp.example").sources.get(2); // a PBX whose name resolves to 10.20.30.40
        internal.name = "pbx-internal";
        config.sources = List.of(leegality, smoxy, pbx, internal);
        OutboundHttp.Resolver resolver = host -> {
            lookedUp.add(host);
            return host.equals("pbx.corp.example") ? new InetAddress[]{InetAddress.getByName("10.20.30.40")} : InetAddress.getAllByName(host);
        };
        var sleeper = new TestSupport.RecordingSleeper();
        ingest = Ingest.create(kafka, config, new SimpleMeterRegistry(), null, Ingest.Options.defaults().withSleeper(sleeper).withResolver(resolver));

        Map<String, PollResult> results = new java.util.LinkedHashMap<>();
        for (String source : ingest.sources()) {
            results.put(source, ingest.pollNow(source));
        }

        assertThat(results.get("esign-hr")).satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(PollOutcome.FAILED);
            assertThat(r.errorKind()).isEqualTo(SourceException.TLS);
            assertThat(r.errorMessage()).isEqualTo("source esign-hr: GET " + tls.url("localhost") + "/api/api/v1/certificates/expiring-soon:"
                    + " TLS: the server's certificate is not trusted (self-signed or unknown issuer)");
        });
        assertThat(tls.requests()).as("no request reached the untrusted server").isZero();

        assertThat(results.get("smoxy-acme")).satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(PollOutcome.FAILED);
            assertThat(r.errorKind()).isEqualTo(SourceException.REDIRECT);
            assertThat(r.errorMessage()).isEqualTo("source smoxy-acme: GET " + wm.baseUrl() + IngestIntegrationTest.CERTS
                    + ": HTTP 302 redirect not followed");
        });
        assertThat(lookedUp).as("the redirect's target was never even looked up").doesNotContain("169.254.169.254");

        assertThat(results.get("pbx-internal")).satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(PollOutcome.FAILED);
            assertThat(r.errorKind()).isEqualTo(SourceException.BLOCKED_ADDRESS);
            assertThat(r.errorMessage()).startsWith("source pbx-internal: POST https://pbx.corp.example/openapi/v1.0/get_token: ")
                    .contains("refused to connect to pbx.corp.example: 10.20.30.40 is private")
                    .contains("allowPrivateNetworks");
        });

        assertThat(sleeper.waits).as("none of the three is retried").isEmpty();
        assertThat(wm.countRequestsMatching(anyRequestedFor(urlPathEqualTo(IngestIntegrationTest.CERTS)).build()).getCount())
                .as("the redirecting source asked once").isEqualTo(1);
        assertThat(results.get("pbx-berlin").outcome()).as("a healthy source in the same process").isEqualTo(PollOutcome.SUCCESS);
        assertThat(results.get("pbx-berlin").changed()).isPositive();
    }
}
