package dev.certflow.ingest;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.IngestCheckpoint;
import dev.certflow.ingest.source.CertState;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceStatus;
import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.ingest.config.LeegalitySourceConfig;
import dev.certflow.ingest.config.SmoxySourceConfig;
import dev.certflow.ingest.config.YeastarSourceConfig;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.DeadLetters;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static com.github.tomakehurst.wiremock.client.WireMock.*;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The workers against WireMock stubs of all three APIs and the real broker: Avro read back,
 * change-only publishing, tombstones, attempts, source status, dead letters, and a restart that
 * rebuilds the state from ingest-checkpoints without republishing or losing attempts.
 */
class IngestIntegrationTest {
    static final String LEE = "/api/api/v1/certificates/expiring-soon";
    static final String CERTS = "/api/organizations/org-1/certificates";
    WireMockServer wm;
    KafkaSettings kafka;
    Topics topics;
    IngestConfig config;
    Ingest ingest;

    @BeforeEach
    void setUp() {
        wm = new WireMockServer(options().dynamicPort());
        wm.start();
        kafka = TestKafka.freshSettings("ingest-it");
        topics = kafka.topics();
        new TopicManager(kafka).ensure(Ingest.TOPICS);
        config = config(wm.baseUrl());
        stubLeegality("""
                {"data":[{"id":"L1","name":"hr-signer","certificateType":"PKCS12_PFX","expiry":"2027-03-01T00:00:00","departmentId":"dep-1"},
                         {"id":"L2","name":"ops-signer","certificateType":"PKCS11","expiry":"2027-04-01T00:00:00+05:30","departmentId":"dep-1"},
                         {"name":"no id at all"}]}""");
        wm.stubFor(get(urlPathEqualTo(CERTS)).willReturn(okJson("""
                {"member":[{"id":"S1","domainName":"a.example","type":"auto_managed","status":"active","expiresAt":"2027-01-01T00:00:00+00:00",
                            "privateKeyData":"-----BEGIN PRIVATE KEY-----x","lastAttempt":{"id":"A2"}}],"totalItems":1}""")));
        stubAttempts("{\"member\":[" + SmoxyClientTest.attempt("A2", "failed", "2026-11-21T10:00:00+00:00") + ","
                + SmoxyClientTest.attempt("A1", "succeeded", "2026-08-21T10:00:00+00:00") + "]}");
        wm.stubFor(post(urlEqualTo("/openapi/v1.0/get_token")).willReturn(okJson(TestSupport.sample("yeastar-get-token-200.json"))));
        stubYeastar(TestSupport.sample("yeastar-certificate-list-200.json"));
    }

    @AfterEach
    void tearDown() {
        if (ingest != null) {
            ingest.close();
        }
        wm.stop();
    }

    static IngestConfig config(String base) {
        IngestConfig c = new IngestConfig();
        c.pollThreads = 2;
        c.maxRetries = 0;
        var l = new LeegalitySourceConfig();
        l.name = "esign-hr";
        l.baseUrl = base + "/api";
        l.token = Secret.of("lee-token-it");
        l.zone = ZoneId.of("Asia/Kolkata");
        var s = new SmoxySourceConfig();
        s.name = "smoxy-acme";
        s.baseUrl = base;
        s.organizationId = "org-1";
        s.token = Secret.of("smoxy-token-it");
        var y = new YeastarSourceConfig();
        y.name = "pbx-berlin";
        y.baseUrl = base;
        y.clientId = Secret.of("pbx-id-it");
        y.clientSecret = Secret.of("pbx-secret-it");
        y.zone = ZoneId.of("Europe/Berlin");
        c.sources = List.of(l, s, y);
        for (var src : c.sources) {
            src.pollInterval = Duration.ofMillis(300);
            src.allowedNetworks = List.of("127.0.0.0/8", "::1/128"); // WireMock on loopback
        }
        return c;
    }

    void stubLeegality(String body) {
        wm.stubFor(get(urlPathEqualTo(LEE)).willReturn(okJson(body)));
    }

    void stubAttempts(String body) {
        wm.stubFor(get(urlPathEqualTo(CERTS + "/S1/attempts")).willReturn(okJson(body)));
    }

    void stubYeastar(String body) {
        wm.stubFor(get(urlPathEqualTo("/openapi/v1.0/certificate/list")).willReturn(okJson(body)));
    }

    Ingest create(SimpleMeterRegistry registry) throws Exception {
        return Ingest.create(kafka, config, registry, null, Ingest.Options.defaults().withSleeper(new TestSupport.RecordingSleeper()));
    }

    List<Map.Entry<String, Certificate>> certificates() {
        return KafkaReads.values(kafka, topics.certificates().name(), topics.certificates().valueSerde().deserializer());
    }

    List<Map.Entry<String, RenewalAttempt>> attempts() {
        return KafkaReads.values(kafka, topics.renewalAttempts().name(), topics.renewalAttempts().valueSerde().deserializer());
    }

    PollResult poll(String source) throws InterruptedException {
        return ingest.pollNow(source);
    }

    @Test
    void publishesChangesOnlyRemovesWhatDisappearsAndSurvivesARestart() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ingest = create(registry);

        PollResult lee = poll("esign-hr");
        PollResult smoxy = poll("smoxy-acme");
        PollResult pbx = poll("pbx-berlin");
        assertThat(lee.outcome()).isEqualTo(PollOutcome.PARTIAL); // the item without id
        assertThat(lee.itemErrors()).isEqualTo(1);
        assertThat(smoxy.outcome()).isEqualTo(PollOutcome.SUCCESS);
        assertThat(pbx.outcome()).isEqualTo(PollOutcome.SUCCESS);

        var certs = certificates();
        assertThat(certs).extracting(Map.Entry::getKey).containsExactlyInAnyOrder(
                "leegality/esign-hr/dep-1/L1", "leegality/esign-hr/dep-1/L2", "smoxy/smoxy-acme/org-1/S1",
                "yeastar/pbx-berlin/pbx-berlin/1", "yeastar/pbx-berlin/pbx-berlin/2", "yeastar/pbx-berlin/pbx-berlin/3");
        Certificate l1 = certs.stream().filter(e -> e.getKey().endsWith("/L1")).findFirst().orElseThrow().getValue();
        assertThat(l1.getNotAfter()).isEqualTo(java.time.Instant.parse("2027-02-28T18:30:00Z")); // Asia/Kolkata
        var attempts = attempts();
        assertThat(attempts).extracting(e -> e.getValue().getAttemptId()).containsExactly("A1", "A2"); // oldest first
        assertThat(attempts.get(1).getValue().getStatus()).isEqualTo(AttemptStatus.FAILED);

        var statuses = KafkaReads.values(kafka, topics.sourceStatus().name(), topics.sourceStatus().valueSerde().deserializer());
        assertThat(statuses).extracting(Map.Entry::getKey).containsExactlyInAnyOrder("esign-hr", "smoxy-acme", "pbx-berlin");
        SourceStatus leeStatus = statuses.stream().filter(e -> e.getKey().equals("esign-hr")).findFirst().orElseThrow().getValue();
        assertThat(leeStatus.getCertificatesSeen()).isEqualTo(2);
        assertThat(leeStatus.getItemErrors()).isEqualTo(1);
        assertThat(leeStatus.getOutcome()).isEqualTo(PollOutcome.PARTIAL);

        var dlq = KafkaReads.raw(kafka, topics.deadLetters().name());
        assertThat(dlq).hasSize(1);
        assertThat(new String(dlq.get(0).value())).contains("no id at all");
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.APPLICATION)).isEqualTo("ingest/esign-hr");
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.ORIGIN_TOPIC)).isEqualTo(topics.certificates().name());

        // the same answers again: nothing new anywhere but the status
        assertThat(poll("esign-hr").changed()).isZero();
        assertThat(poll("smoxy-acme").attemptsPublished()).isZero();
        assertThat(poll("pbx-berlin").changed()).isZero();
        assertThat(certificates()).hasSize(6);
        assertThat(attempts()).hasSize(2);

        // the PBX: certificate 2 gone, certificate 3 failed its issuance
        stubYeastar("""
                {"errcode":0,"errmsg":"SUCCESS","total_number":2,"certificate_list":[
                  {"id":1,"name":"wildcard_example_com.crt","type":"trusted","issue_to":"*.example.com","expiration":"2025/05/25 03:03:10 PM","apply_status":"issuance_success"},
                  {"id":3,"name":"docs.example.com.pem","type":"server","issue_to":"docs.example.com","expiration":"-","ca_type":"apply","auto_renewal":1,
                   "dns_provider":"alidns","apply_status":"issuance_fail","apply_tip_code":30001,"auth_info_list":[{"k":"AccessKeyId","sv":"x"}]}]}""");
        PollResult changed = poll("pbx-berlin");
        assertThat(changed.changed()).isEqualTo(1);
        assertThat(changed.removed()).as("missing from one complete listing: not removed yet (removeAfterListings 2)").isZero();
        assertThat(changed.attemptsPublished()).isEqualTo(1);
        assertThat(certificates()).filteredOn(e -> e.getKey().equals("yeastar/pbx-berlin/pbx-berlin/2")).noneMatch(e -> e.getValue() == null);
        PollResult second = poll("pbx-berlin");
        assertThat(second.changed()).isZero();
        assertThat(second.removed()).as("missing from the second complete listing in a row").isEqualTo(1);
        var after = certificates();
        assertThat(after.get(after.size() - 1)).satisfies(e -> {
            assertThat(e.getKey()).isIn("yeastar/pbx-berlin/pbx-berlin/2", "yeastar/pbx-berlin/pbx-berlin/3");
        });
        assertThat(after).filteredOn(e -> e.getKey().equals("yeastar/pbx-berlin/pbx-berlin/2")).last()
                .satisfies(e -> assertThat(e.getValue()).as("tombstone").isNull());
        RenewalAttempt pbxFail = attempts().stream().map(Map.Entry::getValue)
                .filter(a -> a.getCertificateKey().getSourceName().equals("pbx-berlin")).findFirst().orElseThrow();
        assertThat(pbxFail.getErrorCode()).isEqualTo("30001");

        // metrics
        assertThat(registry.get("certflow.ingest.polls").tag("source", "pbx-berlin").tag("outcome", "success").counter().count()).isEqualTo(4);
        assertThat(registry.get("certflow.ingest.certificates.removed").tag("source", "pbx-berlin").counter().count()).isEqualTo(1);
        assertThat(registry.get("certflow.ingest.attempts.published").tag("source", "smoxy-acme").counter().count()).isEqualTo(2);
        assertThat(registry.get("certflow.ingest.errors").tag("source", "esign-hr").tag("kind", "bad_item").counter().count()).isEqualTo(2);
        assertThat(registry.get("certflow.ingest.last.success.age").tag("source", "pbx-berlin").gauge().value()).isLessThan(60);

        // restart: a new instance rebuilds its state from ingest-checkpoints and certificates, exactly as it was
        Map<String, Map<String, CertState>> before = new java.util.HashMap<>();
        for (String source : List.of("esign-hr", "smoxy-acme", "pbx-berlin")) {
            before.put(source, ingest.states(source));
        }
        ingest.close();
        int certsBefore = certificates().size();
        int attemptsBefore = attempts().size();
        var checkpoints = KafkaReads.values(kafka, topics.ingestCheckpoints().name(), topics.ingestCheckpoints().valueSerde().deserializer());
        assertThat(checkpoints).filteredOn(e -> e.getKey().equals("smoxy/smoxy-acme/org-1/S1")).last()
                .satisfies(e -> assertThat(e.getValue().getLastAttemptId()).isEqualTo("A2"));
        ingest = create(new SimpleMeterRegistry());
        for (String source : before.keySet()) {
            assertThat(ingest.states(source)).as(source).isEqualTo(before.get(source));
        }
        assertThat(ingest.stateOf("pbx-berlin", "yeastar/pbx-berlin/pbx-berlin/3").lastStatus()).isEqualTo("issuance_fail");
        assertThat(ingest.stateOf("pbx-berlin", "yeastar/pbx-berlin/pbx-berlin/2")).isNull();

        // a new smoxy attempt appeared while we were down; the PBX re-polled unchanged
        stubAttempts("{\"member\":[" + SmoxyClientTest.attempt("A3", "succeeded", "2026-11-22T09:00:00+00:00") + ","
                + SmoxyClientTest.attempt("A2", "failed", "2026-11-21T10:00:00+00:00") + ","
                + SmoxyClientTest.attempt("A1", "succeeded", "2026-08-21T10:00:00+00:00") + "]}");
        wm.stubFor(get(urlPathEqualTo(CERTS)).willReturn(okJson("""
                {"member":[{"id":"S1","domainName":"a.example","type":"auto_managed","status":"active","expiresAt":"2027-01-01T00:00:00+00:00",
                            "lastAttempt":{"id":"A3"}}]}""")));
        assertThat(poll("esign-hr").changed()).isZero();
        PollResult s2 = poll("smoxy-acme");
        assertThat(s2.attemptsPublished()).isEqualTo(1);
        assertThat(s2.changed()).isEqualTo(1); // lastAttemptId attribute moved
        PollResult p2 = poll("pbx-berlin");
        assertThat(p2.changed()).isZero();
        assertThat(p2.attemptsPublished()).isZero();
        assertThat(attempts()).hasSize(attemptsBefore + 1);
        assertThat(attempts()).filteredOn(e -> e.getKey().equals("smoxy/smoxy-acme/org-1/S1")).extracting(e -> e.getValue().getAttemptId())
                .containsExactly("A1", "A2", "A3");
        assertThat(certificates()).hasSize(certsBefore + 1);
    }

    @Test
    void aFailingSourceReportsItsStatusAndTheSchedulerKeepsPollingTheOthers() throws Exception {
        wm.stubFor(get(urlPathEqualTo(CERTS)).willReturn(aResponse().withStatus(503)));
        var registry = OpsServer.newRegistry();
        try (OpsServer ops = OpsServer.start("127.0.0.1", 0, registry)) {
            ingest = Ingest.start(kafka, config, registry, ops);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                var statuses = KafkaReads.values(kafka, topics.sourceStatus().name(), topics.sourceStatus().valueSerde().deserializer());
                assertThat(statuses.stream().filter(e -> e.getKey().equals("esign-hr")).count()).isGreaterThanOrEqualTo(3);
                assertThat(statuses.stream().filter(e -> e.getKey().equals("smoxy-acme")).map(Map.Entry::getValue)
                        .filter(s -> s.getOutcome() == PollOutcome.FAILED && Objects.equals(s.getErrorKind(), "http_5xx")
                                && s.getConsecutiveFailures() >= 1)).isNotEmpty();
            });
            HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ops.url() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body()).contains("certflow_ingest_polls_total{outcome=\"failed\",source=\"smoxy-acme\"}")
                    .contains("certflow_ingest_errors_total{kind=\"http_5xx\",source=\"smoxy-acme\"}")
                    .contains("certflow_ingest_last_success_age_seconds{source=\"pbx-berlin\"}");
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ops.url() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            ingest.close();
        }
    }

    @Test
    void aReplacementFencesAWorkerThatDidNotStopAndTakesOverItsState() throws Exception {
        Ingest zombie = create(new SimpleMeterRegistry());
        try {
            assertThat(zombie.pollNow("smoxy-acme").attemptsPublished()).isEqualTo(2);
            // a second instance starts while the first still runs (a hung process, a split deployment)
            ingest = create(new SimpleMeterRegistry());
            PollResult fenced = zombie.pollNow("smoxy-acme");
            assertThat(fenced.outcome()).isEqualTo(PollOutcome.FAILED);
            assertThat(fenced.errorKind()).isEqualTo("kafka");
            // the old one does not fight back (re-initialising would fence the replacement)
            assertThat(zombie.pollNow("smoxy-acme").errorKind()).isEqualTo("kafka");
            PollResult taken = poll("smoxy-acme");
            assertThat(taken.outcome()).isEqualTo(PollOutcome.SUCCESS);
            assertThat(taken.changed()).isZero();
            assertThat(taken.attemptsPublished()).isZero();
            assertThat(attempts()).hasSize(2);
        } finally {
            zombie.close();
        }
    }

    @Test
    void aTransactionThatFailsWhileThePollGoesOnFailsThePollAndChangesNoState() throws Exception {
        config.transactionRecords = 1; // every page but the last commits on the committer thread while the poll reads on
        String member = "{\"id\":\"%s\",\"domainName\":\"%s.example\",\"type\":\"custom\",\"expiresAt\":\"%s\",\"lastAttempt\":null}";
        java.util.function.Consumer<String> stubPages = expiry -> {
            wm.stubFor(get(urlPathEqualTo(CERTS)).withQueryParam("page", equalTo("1")).willReturn(okJson("{\"member\":["
                    + member.formatted("P1", "p1", expiry) + "," + member.formatted("P2", "p2", expiry) + "],\"view\":{\"next\":\""
                    + CERTS + "?page=2&itemsPerPage=100\"}}")));
            wm.stubFor(get(urlPathEqualTo(CERTS)).withQueryParam("page", equalTo("2")).willReturn(okJson("{\"member\":["
                    + member.formatted("P3", "p3", expiry) + "]}").withFixedDelay(500)));
        };
        stubPages.accept("2027-01-01T00:00:00Z");
        Ingest zombie = create(new SimpleMeterRegistry());
        try {
            assertThat(zombie.pollNow("smoxy-acme").changed()).isEqualTo(3);
            String p1 = "smoxy/smoxy-acme/org-1/P1";
            String before = zombie.stateOf("smoxy-acme", p1).fingerprint();
            ingest = create(new SimpleMeterRegistry()); // fences the first instance's producer
            stubPages.accept("2028-01-01T00:00:00Z");
            // page 1's transaction is refused while page 2 is read: the poll fails, as when the commit ran in the poll's thread
            PollResult fenced = zombie.pollNow("smoxy-acme");
            assertThat(fenced.outcome()).isEqualTo(PollOutcome.FAILED);
            assertThat(fenced.errorKind()).isEqualTo("kafka");
            assertThat(fenced.changed()).isZero();
            assertThat(zombie.stateOf("smoxy-acme", p1).fingerprint()).as("nothing of the refused transaction is taken as published")
                    .isEqualTo(before);
            PollResult taken = poll("smoxy-acme");
            assertThat(taken.outcome()).isEqualTo(PollOutcome.SUCCESS);
            assertThat(taken.changed()).isEqualTo(3);
            assertThat(certificates().stream().filter(e -> e.getKey().equals(p1)).map(e -> e.getValue().getNotAfter()).toList())
                    .containsExactly(java.time.Instant.parse("2027-01-01T00:00:00Z"), java.time.Instant.parse("2028-01-01T00:00:00Z"));
        } finally {
            zombie.close();
        }
    }

    @Test
    void checkpointsCarryOnlyWhatTheCertificateRecordsDoNot() throws Exception {
        ingest = create(new SimpleMeterRegistry());
        poll("esign-hr");
        poll("pbx-berlin");
        poll("smoxy-acme");
        // Leegality has no attempts, the PBX's status is on its certificate records (first seen, no transition):
        // the certificate record is all a restart needs; smoxy's published attempts are not on it
        var cps = KafkaReads.values(kafka, topics.ingestCheckpoints().name(), topics.ingestCheckpoints().valueSerde().deserializer());
        assertThat(cps).extracting(Map.Entry::getKey).containsExactly("smoxy/smoxy-acme/org-1/S1");
        IngestCheckpoint s1 = cps.get(0).getValue();
        assertThat(s1.getLastAttemptId()).isEqualTo("A2");
        assertThat(s1.getContentFingerprint()).hasSize(32);
        assertThat(ingest.stateOf("pbx-berlin", "yeastar/pbx-berlin/pbx-berlin/1").lastStatus()).isEqualTo("issuance_success");
        assertThat(ingest.stateOf("pbx-berlin", "yeastar/pbx-berlin/pbx-berlin/1").checkpointed()).isFalse();
        assertThat(ingest.stateOf("smoxy-acme", "smoxy/smoxy-acme/org-1/S1").checkpointed()).isTrue();

        // a PBX transition (issuing -> issuance_fail) is an attempt: that certificate gets a checkpoint
        stubYeastar("""
                {"errcode":0,"errmsg":"SUCCESS","total_number":3,"certificate_list":[
                  {"id":1,"name":"wildcard_example_com.crt","type":"trusted","issue_to":"*.example.com","expiration":"2025/05/25 03:03:10 PM","apply_status":"issuance_success"},
                  {"id":2,"name":"example.domain.com.crt","type":"server","issue_to":"example.domain.com","expiration":"2025/05/25 10:45:42 AM","ca_type":"upload","apply_status":"issuance_success"},
                  {"id":3,"name":"docs.example.com.pem","type":"server","issue_to":"docs.example.com","expiration":"-","ca_type":"apply","auto_renewal":1,
                   "dns_provider":"alidns","apply_status":"issuance_fail","apply_tip_code":30001}]}""");
        assertThat(poll("pbx-berlin").attemptsPublished()).isEqualTo(1);
        cps = KafkaReads.values(kafka, topics.ingestCheckpoints().name(), topics.ingestCheckpoints().valueSerde().deserializer());
        assertThat(cps).extracting(Map.Entry::getKey).containsExactlyInAnyOrder("smoxy/smoxy-acme/org-1/S1", "yeastar/pbx-berlin/pbx-berlin/3");
        IngestCheckpoint c3 = cps.stream().filter(e -> e.getKey().endsWith("/3")).findFirst().orElseThrow().getValue();
        assertThat(c3.getLastStatus()).isEqualTo("issuance_fail");
        assertThat(c3.getLastAttemptId()).startsWith("yeastar-");

        // unreadable records on both topics (a bad magic byte, an unknown schema id) under this source's keys: a restart
        // skips them and rebuilds everything else as it was
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(kafka.producer("poison"),
                new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            for (String topic : List.of(topics.certificates().name(), topics.ingestCheckpoints().name())) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, "yeastar/pbx-berlin/pbx-berlin/99", new byte[]{7, 1, 2}));
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, "smoxy/smoxy-acme/org-1/S99",
                        new byte[]{0, 0x7f, 0x7f, 0x7f, 0x7f, 2}));
            }
        }
        Map<String, Map<String, CertState>> before = new java.util.HashMap<>();
        for (String source : List.of("esign-hr", "smoxy-acme", "pbx-berlin")) {
            before.put(source, ingest.states(source));
        }
        ingest.close();
        ingest = create(new SimpleMeterRegistry());
        for (String source : before.keySet()) {
            assertThat(ingest.states(source)).as(source).isEqualTo(before.get(source));
        }
        assertThat(ingest.states("smoxy-acme")).doesNotContainKey("smoxy/smoxy-acme/org-1/S99");
    }

    @Test
    void theMetersMoveDuringAMultiPagePollNotOnlyAtItsEnd() throws Exception {
        config.transactionRecords = 1; // every page commits on its own
        String member = "{\"id\":\"%s\",\"domainName\":\"%s.example\",\"type\":\"custom\",\"expiresAt\":\"2027-01-01T00:00:00Z\",\"lastAttempt\":null}";
        wm.stubFor(get(urlPathEqualTo(CERTS)).withQueryParam("page", equalTo("1")).willReturn(okJson("{\"member\":["
                + member.formatted("P1", "p1") + "," + member.formatted("P2", "p2") + "],\"view\":{\"next\":\"" + CERTS + "?page=2&itemsPerPage=100\"}}")));
        // the second page is slow to come: the poll is still running while the test looks at the meters
        wm.stubFor(get(urlPathEqualTo(CERTS)).withQueryParam("page", equalTo("2")).willReturn(okJson("{\"member\":["
                + member.formatted("P3", "p3") + "]}").withFixedDelay(4000)));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ingest = create(registry);
        var poll = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return poll("smoxy-acme");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        var seen = registry.get("certflow.ingest.certificates.seen").tag("source", "smoxy-acme").counter();
        var changed = registry.get("certflow.ingest.certificates.changed").tag("source", "smoxy-acme").counter();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen.count() == 2 && changed.count() == 2);
        assertThat(poll).as("the poll is still reading page 2").isNotDone();
        assertThat(registry.find("certflow.ingest.polls").counters()).isEmpty();

        PollResult result = poll.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(result.outcome()).isEqualTo(PollOutcome.SUCCESS);
        assertThat(result.seen()).isEqualTo(3);
        assertThat(seen.count()).isEqualTo(3);
        assertThat(changed.count()).isEqualTo(3);
        assertThat(registry.get("certflow.ingest.polls").tag("source", "smoxy-acme").tag("outcome", "success").counter().count()).isEqualTo(1);
    }
}
