package dev.certflow.sink.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.runtime.config.Secret;
import dev.certflow.sink.delivery.ChannelConfig;
import dev.certflow.sink.SinkConfig;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The wire formats of every channel, without HTTP. */
class PayloadsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant FIRED = Instant.parse("2026-11-22T10:00:00Z");

    private static Alert alert(AlertKind kind, AlertStatus status, Severity severity) {
        return Alert.newBuilder().setAlertId("id-1").setKind(kind).setStatus(status).setSeverity(severity).setSummary("Source pbx-x is down")
                .setFiredAt(FIRED).setResolvedAt(status == AlertStatus.RESOLVED ? FIRED.plusSeconds(600) : null)
                .setLabels(Map.of("source", "pbx-x", "tenant", "acme", "weird-label.name", "v", "empty", "")).build();
    }

    @Test
    void pagerDutyMapsEverySeverityAndResolvesByDedupKey() throws Exception {
        for (Severity s : Severity.values()) {
            JsonNode e = JSON.readTree(Payloads.pagerDuty(alert(AlertKind.SOURCE_DOWN, AlertStatus.FIRING, s), "rk"));
            assertThat(e.at("/payload/severity").asText()).isEqualTo(Map.of(Severity.CRITICAL, "critical", Severity.ERROR, "error",
                    Severity.WARNING, "warning", Severity.INFO, "info").get(s));
        }
        JsonNode trigger = JSON.readTree(Payloads.pagerDuty(alert(AlertKind.SOURCE_DOWN, AlertStatus.FIRING, Severity.ERROR), "rk"));
        assertThat(trigger.path("event_action").asText()).isEqualTo("trigger");
        assertThat(trigger.path("dedup_key").asText()).isEqualTo("id-1");
        assertThat(trigger.at("/payload/source").asText()).isEqualTo("pbx-x"); // from the labels when there is no certificate
        assertThat(trigger.at("/payload/group").asText()).isEqualTo("acme");
        assertThat(trigger.at("/payload/timestamp").asText()).isEqualTo("2026-11-22T10:00:00Z");
        JsonNode resolve = JSON.readTree(Payloads.pagerDuty(alert(AlertKind.SOURCE_DOWN, AlertStatus.RESOLVED, Severity.ERROR), "rk"));
        assertThat(resolve.path("event_action").asText()).isEqualTo("resolve");
        assertThat(resolve.path("dedup_key").asText()).isEqualTo("id-1");
        assertThat(resolve.has("payload")).isFalse();
    }

    @Test
    void alertmanagerLabelsAreValidAndEndsAtIsSetOnlyOnResolve() throws Exception {
        JsonNode firing = JSON.readTree(Payloads.alertmanager(alert(AlertKind.SOURCE_DOWN, AlertStatus.FIRING, Severity.WARNING), FIRED)).get(0);
        assertThat(firing.at("/labels/alertname").asText()).isEqualTo("CertflowSourceDown");
        assertThat(firing.at("/labels/alert_id").asText()).isEqualTo("id-1");
        assertThat(firing.at("/labels/weird_label_name").asText()).isEqualTo("v");
        assertThat(firing.path("labels").has("empty")).isFalse();
        firing.path("labels").fieldNames().forEachRemaining(n -> assertThat(n).matches("[a-zA-Z_][a-zA-Z0-9_]*"));
        assertThat(firing.at("/annotations/summary").asText()).isEqualTo("Source pbx-x is down");
        assertThat(firing.has("endsAt")).isFalse();
        JsonNode resolved = JSON.readTree(Payloads.alertmanager(alert(AlertKind.SOURCE_DOWN, AlertStatus.RESOLVED, Severity.WARNING), FIRED)).get(0);
        assertThat(resolved.path("endsAt").asText()).isEqualTo("2026-11-22T10:10:00Z");
        assertThat(resolved.path("labels")).isEqualTo(firing.path("labels")); // same identity, so Alertmanager ends the same alert
    }

    @Test
    void slackMarksResolvedAndConsoleIsOneLine() {
        assertThat(Payloads.slackText(alert(AlertKind.EXPIRED, AlertStatus.FIRING, Severity.CRITICAL))).startsWith(":rotating_light: *[FIRING]* [CRITICAL]");
        assertThat(Payloads.slackText(alert(AlertKind.EXPIRED, AlertStatus.RESOLVED, Severity.CRITICAL))).startsWith(":white_check_mark: *[RESOLVED]*")
                .contains("resolved 2026-11-22T10:10:00Z");
        assertThat(Payloads.consoleLine(alert(AlertKind.EXPIRED, AlertStatus.RESOLVED, Severity.INFO)))
                .isEqualTo("2026-11-22T10:10:00Z RESOLVED INFO EXPIRED source pbx-x - Source pbx-x is down (alert id-1)").doesNotContain("\n");
    }

    @Test
    void webhookSignatureIsHmacSha256OfTheBodyAndKeysDifferPerTransition() {
        // RFC 4231 test case 2
        assertThat(Payloads.signature("Jefe", "what do ya want for nothing?".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        Alert firing = alert(AlertKind.EXPIRING, AlertStatus.FIRING, Severity.WARNING);
        Alert resolved = alert(AlertKind.EXPIRING, AlertStatus.RESOLVED, Severity.WARNING);
        Alert refired = alert(AlertKind.EXPIRING, AlertStatus.FIRING, Severity.WARNING);
        refired.setFiredAt(FIRED.plusSeconds(3600));
        assertThat(Payloads.idempotencyKey(firing)).isEqualTo(Payloads.idempotencyKey(alert(AlertKind.EXPIRING, AlertStatus.FIRING, Severity.WARNING)))
                .isNotEqualTo(Payloads.idempotencyKey(resolved)).isNotEqualTo(Payloads.idempotencyKey(refired));
    }

    @Test
    void httpChannelScrubsSecretsFromErrorsAndPutsTheSignatureHeaderOn() {
        ChannelConfig cc = new ChannelConfig();
        cc.name = "hook";
        cc.type = "webhook";
        cc.url = "http://127.0.0.1:9/x";
        cc.allowedNetworks = java.util.List.of("127.0.0.0/8");
        cc.secret = Secret.of("s3cr3t-value");
        HttpChannel ch = new HttpChannel(cc, new SinkConfig());
        assertThat(ch.scrub("rejected s3cr3t-value!")).isEqualTo("rejected ******!");
        var headers = ch.headers(alert(AlertKind.EXPIRING, AlertStatus.FIRING, Severity.WARNING));
        assertThat(headers.get("Idempotency-Key")).containsExactly("id-1:FIRING:" + FIRED.toEpochMilli());
        assertThat(headers.get("X-Certflow-Signature").get(0)).startsWith("sha256=").hasSize(7 + 64);
        // a receiver that is not there: a retryable failure, not an exception
        Channel.Attempt a = ch.send(alert(AlertKind.EXPIRING, AlertStatus.FIRING, Severity.WARNING));
        assertThat(a.delivered()).isFalse();
        assertThat(a.retryable()).isTrue();
    }
}
