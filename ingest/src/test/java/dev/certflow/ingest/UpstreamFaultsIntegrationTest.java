package dev.certflow.ingest;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.certflow.events.Certificate;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.SourceStatus;
import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.*;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 14 row 9 through the real workers and the broker: 5xx bursts and 429 with Retry-After inside
 * a poll, a burst that outlasts the retries, and a token revoked mid-run and restored. Each time every
 * certificate ends up on {@code certificates} exactly once, and the other sources keep flowing.
 */
class UpstreamFaultsIntegrationTest {
    static final String LEE = IngestIntegrationTest.LEE;
    static final String CERTS = IngestIntegrationTest.CERTS;
    static final String LIST = "/openapi/v1.0/certificate/list";
    WireMockServer wm;
    KafkaSettings kafka;
    Topics topics;
    IngestConfig config;
    Ingest ingest;

    @BeforeEach
    void setUp() {
        wm = new WireMockServer(options().dynamicPort());
        wm.start();
        kafka = TestKafka.freshSettings("upstream-faults");
        topics = kafka.topics();
        new TopicManager(kafka).ensure(Ingest.TOPICS);
        config = IngestIntegrationTest.config(wm.baseUrl());
        wm.stubFor(get(urlPathEqualTo(LEE)).willReturn(okJson("""
                {"data":[{"id":"L1","expiry":"2027-03-01T00:00:00","departmentId":"dep-1"},{"id":"L2","expiry":"2027-04-01T00:00:00","departmentId":"dep-1"}]}""")));
        stubSmoxy(3);
        wm.stubFor(post(urlEqualTo("/openapi/v1.0/get_token")).willReturn(okJson(TestSupport.sample("yeastar-get-token-200.json"))));
        wm.stubFor(get(urlPathEqualTo(LIST)).willReturn(okJson(TestSupport.sample("yeastar-certificate-list-200.json"))));
    }

    @AfterEach
    void tearDown() {
        if (ingest != null) {
            ingest.close();
        }
        wm.stop();
    }

    /** smoxy lists S1..Sn, none with an attempt to read. */
    void stubSmoxy(int n) {
        stubSmoxy(n, 0);
    }

    void stubSmoxy(int n, int delayMs) {
        String members = java.util.stream.IntStream.rangeClosed(1, n).mapToObj(i -> """
                {"id":"S%d","domainName":"s%d.example","type":"auto_managed","status":"active","expiresAt":"2027-01-0%dT00:00:00+00:00","lastAttempt":null}"""
                .formatted(i, i, i)).collect(Collectors.joining(","));
        wm.stubFor(get(urlPathEqualTo(CERTS)).willReturn(okJson("{\"member\":[" + members + "],\"totalItems\":" + n + "}").withFixedDelay(delayMs)));
    }

    /** How often each certificate key was published (tombstones included). */
    Map<String, Long> publishedPerKey() {
        return KafkaReads.values(kafka, topics.certificates().name(), topics.certificates().valueSerde().deserializer()).stream()
                .collect(Collectors.groupingBy(Map.Entry::getKey, Collectors.counting()));
    }

    List<SourceStatus> statuses(String source) {
        return KafkaReads.values(kafka, topics.sourceStatus().name(), topics.sourceStatus().valueSerde().deserializer()).stream()
                .filter(e -> e.getKey().equals(source)).map(Map.Entry::getValue).toList();
    }

    @Test
    void everySourcesFirstPollRunsSideBySideSoAColdStartTakesTheSlowestNotTheSum() throws Exception {
        config.pollThreads = 3;
        int delayMs = 2_000;
        wm.stubFor(get(urlPathEqualTo(LEE)).willReturn(okJson("""
                {"data":[{"id":"L1","expiry":"2027-03-01T00:00:00","departmentId":"dep-1"}]}""").withFixedDelay(delayMs)));
        stubSmoxy(2, delayMs);
        wm.stubFor(get(urlPathEqualTo(LIST)).willReturn(okJson(TestSupport.sample("yeastar-certificate-list-200.json")).withFixedDelay(delayMs)));
        ingest = Ingest.create(kafka, config, new SimpleMeterRegistry(), null, Ingest.Options.defaults());

        Map<String, PollResult> results = ingest.pollAllNow();

        assertThat(results.keySet()).containsExactlyElementsOf(ingest.sources());
        assertThat(results).allSatisfy((source, r) -> assertThat(r.outcome()).as(source).isEqualTo(PollOutcome.SUCCESS));
        assertThat(results.get("esign-hr").changed()).isEqualTo(1);
        assertThat(results.get("smoxy-acme").changed()).isEqualTo(2);
        // each source's first listing was asked for before any of them was answered: one after another, they
        // would be at least the delay apart
        Map<String, Long> firstAsked = wm.getAllServeEvents().stream()
                .filter(e -> List.of(LEE, CERTS, LIST).contains(e.getRequest().getUrl().split("\\?")[0]))
                .collect(Collectors.toMap(e -> e.getRequest().getUrl().split("\\?")[0], e -> e.getRequest().getLoggedDate().getTime(), Math::min));
        assertThat(firstAsked).hasSize(3);
        long spread = java.util.Collections.max(firstAsked.values()) - java.util.Collections.min(firstAsked.values());
        assertThat(spread).as("ms between the first and the last source's first request").isLessThan(delayMs);
    }

    @Test
    void burstsOf5xxAnd429WithRetryAfterInsideAPollStillIngestEveryCertificateOnce() throws Exception {
        config.maxRetries = 5;
        config.initialBackoff = Duration.ofMillis(100);
        config.maxBackoff = Duration.ofMillis(300);
        // Leegality: 503, 502, 500, then 429 Retry-After 2, then the listing; every later call answers at once
        String[] states = {Scenario.STARTED, "502", "500", "429", "ok"};
        var answers = List.of(aResponse().withStatus(503).withBody("<html>busy</html>"), aResponse().withStatus(502),
                aResponse().withStatus(500).withHeader("Content-Type", "application/json").withBody("{\"code\":\"LE_ERR_SS_500\",\"errors\":[]}"),
                aResponse().withStatus(429).withHeader("Retry-After", "2"));
        for (int i = 0; i < answers.size(); i++) {
            wm.stubFor(get(urlPathEqualTo(LEE)).inScenario("burst").whenScenarioStateIs(states[i]).willSetStateTo(states[i + 1]).willReturn(answers.get(i)));
        }
        wm.stubFor(get(urlPathEqualTo(LEE)).inScenario("burst").whenScenarioStateIs("ok").willReturn(okJson("""
                {"data":[{"id":"L1","expiry":"2027-03-01T00:00:00","departmentId":"dep-1"},{"id":"L2","expiry":"2027-04-01T00:00:00","departmentId":"dep-1"}]}""")));
        var sleeper = new TestSupport.RecordingSleeper();
        ingest = Ingest.create(kafka, config, new SimpleMeterRegistry(), null, Ingest.Options.defaults().withSleeper(sleeper));

        PollResult lee = ingest.pollNow("esign-hr");
        assertThat(lee.outcome()).isEqualTo(PollOutcome.SUCCESS);
        assertThat(lee.changed()).isEqualTo(2);
        wm.verify(5, getRequestedFor(urlPathEqualTo(LEE)));
        assertThat(sleeper.waits).as("three jittered, capped backoffs, then exactly the Retry-After").hasSize(4);
        assertThat(sleeper.waits.get(0)).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
        assertThat(sleeper.waits.get(1)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
        assertThat(sleeper.waits.get(2)).as("capped at maxBackoff").isBetween(Duration.ofMillis(150), Duration.ofMillis(300));
        assertThat(sleeper.waits.get(3)).isEqualTo(Duration.ofSeconds(2));

        // smoxy: a burst that outlasts the 5 retries fails the poll; the next poll ingests
        wm.stubFor(get(urlPathEqualTo(CERTS)).willReturn(aResponse().withStatus(503)));
        PollResult failed = ingest.pollNow("smoxy-acme");
        assertThat(failed.outcome()).isEqualTo(PollOutcome.FAILED);
        assertThat(failed.errorKind()).isEqualTo(SourceException.HTTP_5XX);
        assertThat(failed.errorMessage()).isEqualTo("source smoxy-acme: GET " + wm.baseUrl() + CERTS + ": HTTP 503");
        wm.verify(6, getRequestedFor(urlPathEqualTo(CERTS)));
        stubSmoxy(3);
        assertThat(ingest.pollNow("smoxy-acme").changed()).isEqualTo(3);
        // again, all healthy: nothing republished
        assertThat(ingest.pollNow("esign-hr").changed()).isZero();
        assertThat(ingest.pollNow("smoxy-acme").changed()).isZero();

        assertThat(publishedPerKey()).containsOnlyKeys("leegality/esign-hr/dep-1/L1", "leegality/esign-hr/dep-1/L2",
                "smoxy/smoxy-acme/org-1/S1", "smoxy/smoxy-acme/org-1/S2", "smoxy/smoxy-acme/org-1/S3").allSatisfy((k, n) -> assertThat(n).as(k).isEqualTo(1));
        assertThat(statuses("smoxy-acme")).extracting(SourceStatus::getOutcome)
                .containsExactly(PollOutcome.FAILED, PollOutcome.SUCCESS, PollOutcome.SUCCESS);
    }

    @Test
    void aTokenRevokedMidRunIsReportedBacksOffLeavesTheOthersAloneAndLosesNothingWhenRestored() throws Exception {
        config.maxRetries = 2;
        config.initialBackoff = Duration.ofMillis(20);
        config.maxBackoff = Duration.ofMillis(50);
        config.failureBackoff = Duration.ofMillis(200);
        config.sources.forEach(s -> s.pollInterval = Duration.ofMillis(300));
        var smoxy = config.sources.stream().filter(s -> s.name.equals("smoxy-acme")).findFirst().orElseThrow();
        smoxy.pollInterval = Duration.ofSeconds(3); // the failure backoff doubles from 200 ms up to this
        ingest = Ingest.create(kafka, config, new SimpleMeterRegistry(), null, Ingest.Options.defaults());
        ingest.startPolling();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(statuses("smoxy-acme")).isNotEmpty());

        // revoked: smoxy refuses the token; S4 appears meanwhile
        wm.stubFor(get(urlPathEqualTo(CERTS)).willReturn(aResponse().withStatus(401).withHeader("Content-Type", "application/json")
                .withBody("{\"code\":401,\"message\":\"Invalid API token.\"}")));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(statuses("smoxy-acme"))
                .filteredOn(s -> s.getOutcome() == PollOutcome.FAILED).hasSizeGreaterThanOrEqualTo(4));
        long leegalityBefore = statuses("esign-hr").size();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(statuses("esign-hr").size() - leegalityBefore)
                .as("Leegality polls while smoxy is refused").isGreaterThanOrEqualTo(3));
        stubSmoxy(4);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            List<SourceStatus> s = statuses("smoxy-acme");
            assertThat(s.get(s.size() - 1).getOutcome()).isEqualTo(PollOutcome.SUCCESS);
        });
        ingest.close();

        List<SourceStatus> history = statuses("smoxy-acme");
        List<SourceStatus> failures = history.stream().filter(s -> s.getOutcome() == PollOutcome.FAILED).toList();
        // a clear error: the kind, the source, the status; counted in a row
        assertThat(failures).allSatisfy(s -> {
            assertThat(s.getErrorKind()).isEqualTo(SourceException.AUTH);
            assertThat(s.getErrorMessage()).isEqualTo("source smoxy-acme: GET " + CERTS + ": HTTP 401");
        });
        assertThat(failures).extracting(SourceStatus::getConsecutiveFailures)
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, failures.size()).boxed().toList());
        // no hammering: one request per failed poll (a refusal is not retried), and the polls back off:
        // failure n waits at least half of 200 ms * 2^(n-1), at most the interval, before the next poll
        long refused = wm.getAllServeEvents().stream().filter(e -> e.getRequest().getUrl().startsWith(CERTS))
                .filter(e -> e.getResponse().getStatus() == 401).count();
        assertThat(refused).isEqualTo(failures.size());
        for (int i = 1; i < failures.size(); i++) {
            Duration gap = Duration.between(failures.get(i - 1).getPollFinishedAt(), failures.get(i).getPollStartedAt());
            long floor = Math.min(200L << (i - 1), 3000) / 2;
            assertThat(gap).as("wait after failure %d", i).isGreaterThanOrEqualTo(Duration.ofMillis(floor - 5));
        }
        SourceStatus back = history.get(history.size() - 1);
        assertThat(back.getConsecutiveFailures()).isZero();
        // the others kept flowing while smoxy was refused
        var firstFailure = failures.get(0).getPollStartedAt();
        var lastFailure = failures.get(failures.size() - 1).getPollFinishedAt();
        for (String other : List.of("esign-hr", "pbx-berlin")) {
            assertThat(statuses(other)).filteredOn(s -> s.getPollStartedAt().isAfter(firstFailure) && s.getPollFinishedAt().isBefore(lastFailure))
                    .as(other + " polls during the revocation").hasSizeGreaterThanOrEqualTo(3)
                    .allSatisfy(s -> assertThat(s.getOutcome()).isEqualTo(PollOutcome.SUCCESS));
        }
        // every certificate once, the one added while refused included
        Map<String, Long> published = publishedPerKey();
        assertThat(published).containsKeys("smoxy/smoxy-acme/org-1/S1", "smoxy/smoxy-acme/org-1/S4", "leegality/esign-hr/dep-1/L1",
                "yeastar/pbx-berlin/pbx-berlin/1");
        assertThat(published).allSatisfy((k, n) -> assertThat(n).as(k).isEqualTo(1));
        Certificate s4 = KafkaReads.values(kafka, topics.certificates().name(), topics.certificates().valueSerde().deserializer()).stream()
                .filter(e -> e.getKey().endsWith("/S4")).findFirst().orElseThrow().getValue();
        assertThat(s4.getNotAfter()).isEqualTo(java.time.Instant.parse("2027-01-04T00:00:00Z"));
    }
}
