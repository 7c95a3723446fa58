package dev.certflow.ingest;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.certflow.events.PollOutcome;
import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.ingest.config.LeegalitySourceConfig;
import dev.certflow.ingest.config.SmoxySourceConfig;
import dev.certflow.ingest.config.YeastarSourceConfig;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.testkit.TestKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.*;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Plants one canary in every credential, in the tokens the PBX hands out, in auth_info_list values
 * and in smoxy's key material; runs the workers through their success and failure paths; then
 * asserts the canary is in no log line (raw, before the masking layout) and in no byte of any
 * record key, value or header on any topic; and the same when the upstreams' error bodies echo
 * the credentials back.
 */
class CanarySecretIntegrationTest {
    static final String CANARY = "CANARY" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    static final String LIST = "/openapi/v1.0/certificate/list";
    WireMockServer wm;
    KafkaSettings kafka;
    ListAppender<ILoggingEvent> logs;
    ch.qos.logback.classic.Logger certflowLogger;
    Ingest ingest;

    @BeforeEach
    void setUp() {
        wm = new WireMockServer(options().dynamicPort());
        wm.start();
        kafka = TestKafka.freshSettings("canary");
        new TopicManager(kafka).ensure(Ingest.TOPICS);
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        logs = new ListAppender<>();
        logs.setContext(ctx);
        logs.start();
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(logs);
        certflowLogger = ctx.getLogger("dev.certflow");
        certflowLogger.setLevel(Level.DEBUG);
    }

    @AfterEach
    void tearDown() {
        if (ingest != null) {
            ingest.close();
        }
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(logs);
        certflowLogger.setLevel(null);
        wm.stop();
    }

    @Test
    void theCanaryReachesNoLogAndNoTopic() throws Exception {
        // leegality: one answering (with a bad item), one refusing the token
        wm.stubFor(get(urlPathEqualTo("/ok/api/v1/certificates/expiring-soon")).willReturn(okJson("""
                {"data":[{"id":"L1","expiry":"2027-01-01"},{"id":{"bad":true}}]}""")));
        wm.stubFor(get(urlPathEqualTo("/denied/api/v1/certificates/expiring-soon")).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json").withBody(TestSupport.sample("leegality-expiring-soon-401.json"))));
        // smoxy: key material everywhere, one member with a wrong-typed field (goes to the DLQ redacted)
        wm.stubFor(get(urlPathEqualTo("/api/organizations/org-1/certificates")).willReturn(okJson("""
                {"member":[
                  {"id":"S1","domainName":"a.example","type":"auto_managed","expiresAt":"2027-01-01T00:00:00Z","lastAttempt":null,
                   "privateKeyData":"%1$s-pk","certificateData":"%1$s-cd","chainData":"%1$s-ch"},
                  {"id":"S2","domainName":{"oops":1},"privateKeyData":"%1$s-pk2","lastAttempt":null}]}""".formatted(CANARY))));
        // yeastar: tokens from the PBX are secrets too; the first list call says the token expired
        wm.stubFor(post(urlEqualTo("/openapi/v1.0/get_token")).willReturn(okJson("""
                {"errcode":0,"errmsg":"SUCCESS","access_token_expire_time":1800,"access_token":"%1$s-at",
                 "refresh_token_expire_time":86400,"refresh_token":"%1$s-rt"}""".formatted(CANARY))));
        wm.stubFor(get(urlPathEqualTo(LIST)).inScenario("t").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("ok")
                .willReturn(okJson("{\"errcode\":10004,\"errmsg\":\"INVALID ACCESS TOKEN\"}")));
        wm.stubFor(get(urlPathEqualTo(LIST)).inScenario("t").whenScenarioStateIs("ok").willReturn(okJson("""
                {"errcode":0,"errmsg":"SUCCESS","total_number":2,"certificate_list":[
                  {"id":3,"name":"docs","type":"server","expiration":"-","ca_type":"apply","apply_status":"issuance_fail","apply_tip_code":7,
                   "auth_info_list":[{"k":"AccessKeyId","sv":"%1$s-sv1"},{"k":"AccessKeySecret","sv":"%1$s-sv2"},{"k":"TTL","iv":600}]},
                  {"id":4,"name":["bad"],"auth_info_list":[{"k":"AccessKeySecret","sv":"%1$s-sv3"}]}]}""".formatted(CANARY))));
        wm.stubFor(post(urlEqualTo("/pbx2/openapi/v1.0/get_token")).willReturn(okJson("{\"errcode\":20002,\"errmsg\":\"FAILURE\"}")));

        IngestConfig config = new IngestConfig();
        config.maxRetries = 0;
        var ok = leegality("esign-ok", wm.baseUrl() + "/ok");
        var denied = leegality("esign-denied", wm.baseUrl() + "/denied");
        var smoxy = smoxy(wm.baseUrl());
        config.sources = List.of(ok, denied, smoxy, yeastar("pbx-1", wm.baseUrl()), yeastar("pbx-2", wm.baseUrl() + "/pbx2"));
        ingest = Ingest.create(kafka, config, new SimpleMeterRegistry(), null, Ingest.Options.defaults().withSleeper(new TestSupport.RecordingSleeper()));
        List<PollResult> results = new ArrayList<>();
        for (String s : ingest.sources()) {
            results.add(ingest.pollNow(s));
        }
        assertThat(results).extracting(PollResult::outcome).containsExactly(
                PollOutcome.PARTIAL, PollOutcome.FAILED, PollOutcome.PARTIAL, PollOutcome.PARTIAL, PollOutcome.FAILED);
        // the credentials were used (so the test can fail)
        wm.verify(getRequestedFor(urlPathEqualTo("/ok/api/v1/certificates/expiring-soon")).withHeader("X-Auth-Token", equalTo(CANARY + "-lee-esign-ok")));
        wm.verify(getRequestedFor(urlPathEqualTo(LIST)).withQueryParam("access_token", equalTo(CANARY + "-at")));

        assertNoCanaryInLogs();
        assertThat(assertNoCanaryOnTopics()).as("records were published (certificates, attempts, status, checkpoints, dead letters)").isGreaterThan(10);
        assertThat(KafkaReads.raw(kafka, kafka.topics().deadLetters().name())).as("bad items dead-lettered").hasSize(3);
    }

    /**
     * Upstreams that echo the request back in their errors (the Leegality message, the PBX's errmsg,
     * smoxy's detail): the credentials they quote must not come out in a poll's error, a log line or
     * a record. The vendor's codes still do.
     */
    @Test
    void errorBodiesThatEchoTheRequestBackCarryNoCredentialOut() throws Exception {
        String leegalityEcho = """
                {"code":"LE_ERR_SS_%2$s","errors":[{"message":"[you sent days=3650 X-Auth-Token: %1$s-lee-%3$s GET /api/v1/x] Invalid or expired token","path":"/x","code":"LE_ERR_SS_303"}]}""";
        wm.stubFor(get(urlPathEqualTo("/denied/api/v1/certificates/expiring-soon")).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json").withBody(leegalityEcho.formatted(CANARY, "401", "esign-denied"))));
        wm.stubFor(get(urlPathEqualTo("/down/api/v1/certificates/expiring-soon")).willReturn(aResponse().withStatus(500)
                .withHeader("Content-Type", "application/json").withBody(leegalityEcho.formatted(CANARY, "500", "esign-down"))));
        wm.stubFor(get(urlPathEqualTo("/api/organizations/org-1/certificates")).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json").withBody("{\"code\":401,\"message\":\"[you sent Authorization: Bearer %s-smoxy] Invalid JWT Token\"}"
                        .formatted(CANARY))));
        // pbx-1: a token, then every list call refused quoting it (also after authenticating again)
        wm.stubFor(post(urlEqualTo("/openapi/v1.0/get_token")).willReturn(okJson("""
                {"errcode":0,"errmsg":"SUCCESS","access_token_expire_time":1800,"access_token":"%1$s-at",
                 "refresh_token_expire_time":86400,"refresh_token":"%1$s-rt"}""".formatted(CANARY))));
        wm.stubFor(get(urlPathEqualTo(LIST)).willReturn(okJson("""
                {"errcode":10004,"errmsg":"[you sent access_token=%1$s-at&page=1&page_size=100] INVALID OR EXPIRED ACCESS TOKEN"}""".formatted(CANARY))));
        // pbx-2: the login refused quoting user name and password
        wm.stubFor(post(urlEqualTo("/pbx2/openapi/v1.0/get_token")).willReturn(okJson("""
                {"errcode":20002,"errmsg":"[you sent {\\"username\\":\\"%1$s-id-pbx-2\\",\\"password\\":\\"%1$s-secret-pbx-2\\"}] INVALID USERNAME OR PASSWORD"}"""
                .formatted(CANARY))));

        IngestConfig config = new IngestConfig();
        config.maxRetries = 0;
        var smoxy = smoxy(wm.baseUrl());
        config.sources = List.of(leegality("esign-denied", wm.baseUrl() + "/denied"), leegality("esign-down", wm.baseUrl() + "/down"), smoxy,
                yeastar("pbx-1", wm.baseUrl()), yeastar("pbx-2", wm.baseUrl() + "/pbx2"));
        ingest = Ingest.create(kafka, config, new SimpleMeterRegistry(), null, Ingest.Options.defaults().withSleeper(new TestSupport.RecordingSleeper()));
        List<PollResult> results = new ArrayList<>();
        for (String s : ingest.sources()) {
            results.add(ingest.pollNow(s));
        }
        assertThat(results).extracting(PollResult::outcome).containsOnly(PollOutcome.FAILED);
        assertThat(results).extracting(PollResult::errorKind).containsExactly(
                SourceException.AUTH, SourceException.HTTP_5XX, SourceException.AUTH, SourceException.AUTH, SourceException.AUTH);
        assertThat(results).allSatisfy(r -> assertThat(r.errorMessage()).startsWith("source " + r.source() + ":").doesNotContain(CANARY));
        // the vendors' words still come through, the credentials masked
        assertThat(results.get(0).errorMessage()).contains("LE_ERR_SS_401").contains("LE_ERR_SS_303 [you sent days=3650 X-Auth-Token: ******");
        assertThat(results.get(3).errorMessage()).contains("errcode 10004 [you sent access_token=******&page=1");
        assertThat(results.get(4).errorMessage()).contains("errcode 20002");
        wm.verify(2, getRequestedFor(urlPathEqualTo(LIST)).withQueryParam("access_token", equalTo(CANARY + "-at"))); // asked again once

        assertNoCanaryInLogs();
        assertThat(assertNoCanaryOnTopics()).as("status records of the failed polls").isGreaterThanOrEqualTo(5);
    }

    /** Every log event captured, raw (no masking layout), holds no canary. */
    private void assertNoCanaryInLogs() {
        assertThat(logs.list).as("the workers logged something").hasSizeGreaterThan(5);
        for (ILoggingEvent e : logs.list) {
            if (e.getLoggerName().toLowerCase().contains("wiremock")) {
                continue; // the stub server's own logging is not ours
            }
            assertThat(render(e)).as("log line from %s", e.getLoggerName()).doesNotContain(CANARY);
        }
    }

    /** No byte of any record key, value or header on any topic of this run holds the canary; returns the records read. */
    private int assertNoCanaryOnTopics() throws Exception {
        List<String> names;
        try (Admin admin = Admin.create(kafka.admin("canary-admin"))) {
            names = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream().filter(n -> n.startsWith(kafka.topicPrefix)).toList();
        }
        assertThat(names).hasSize(Ingest.TOPICS.size());
        int records = 0;
        byte[] canary = CANARY.getBytes(StandardCharsets.UTF_8);
        for (String topic : names) {
            for (var r : KafkaReads.raw(kafka, topic)) {
                records++;
                assertThat(contains(r.key(), canary)).as("key on %s", topic).isFalse();
                assertThat(contains(r.value(), canary)).as("value on %s", topic).isFalse();
                for (Header h : r.headers()) {
                    assertThat(contains(h.value(), canary)).as("header %s on %s", h.key(), topic).isFalse();
                }
            }
        }
        return records;
    }

    static SmoxySourceConfig smoxy(String base) {
        var smoxy = new SmoxySourceConfig();
        smoxy.name = "smoxy-acme";
        smoxy.baseUrl = base;
        smoxy.organizationId = "org-1";
        smoxy.token = Secret.of(CANARY + "-smoxy");
        smoxy.authScheme = "bearer";
        smoxy.allowedNetworks = List.of("127.0.0.0/8");
        return smoxy;
    }

    static LeegalitySourceConfig leegality(String name, String base) {
        var l = new LeegalitySourceConfig();
        l.name = name;
        l.baseUrl = base;
        l.token = Secret.of(CANARY + "-lee-" + name);
        l.zone = ZoneId.of("UTC");
        l.allowedNetworks = List.of("127.0.0.0/8");
        return l;
    }

    static YeastarSourceConfig yeastar(String name, String base) {
        var y = new YeastarSourceConfig();
        y.name = name;
        y.baseUrl = base;
        y.clientId = Secret.of(CANARY + "-id-" + name);
        y.clientSecret = Secret.of(CANARY + "-secret-" + name);
        y.zone = ZoneId.of("Europe/Berlin");
        y.allowedNetworks = List.of("127.0.0.0/8");
        return y;
    }

    static String render(ILoggingEvent e) {
        StringBuilder sb = new StringBuilder(e.getFormattedMessage() == null ? "" : e.getFormattedMessage());
        if (e.getArgumentArray() != null) {
            for (Object a : e.getArgumentArray()) {
                sb.append(' ').append(a);
            }
        }
        e.getMDCPropertyMap().forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
            sb.append(' ').append(t.getClassName()).append(": ").append(t.getMessage());
        }
        return sb.toString();
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        if (haystack == null) {
            return false;
        }
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
