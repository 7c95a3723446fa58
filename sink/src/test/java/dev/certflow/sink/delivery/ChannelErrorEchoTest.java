package dev.certflow.sink.delivery;

import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.runtime.config.Secret;
import dev.certflow.sink.Fixtures;
import dev.certflow.sink.RecordingReceiver;
import dev.certflow.sink.SinkConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14 row 10 for the sink's channels: a receiver (or a proxy before it) that echoes the request
 * back in its error body must not get a channel credential into the attempt's error, which goes to
 * the log, {@code delivery_attempts} and the dead-letter headers.
 */
class ChannelErrorEchoTest {
    private static final String CANARY = "CANARY-chan-7f3a9e21c4";

    private static SinkConfig sink() {
        SinkConfig sink = new SinkConfig();
        sink.connectTimeout = Duration.ofSeconds(2);
        sink.requestTimeout = Duration.ofSeconds(2);
        return sink;
    }

    private static ChannelConfig channel(String type) {
        ChannelConfig c = new ChannelConfig();
        c.name = "echo-" + type;
        c.type = type;
        c.allowedNetworks = List.of("127.0.0.0/8");
        return c;
    }

    @Test
    void aSecretEchoedWhereTheErrorIsCutIsMaskedWholeNotHalf() throws Exception {
        try (RecordingReceiver receiver = new RecordingReceiver(400)) {
            // the routing key starts a few characters before the 200-character cut of the stored error
            String padding = "x".repeat(166); // the key at characters 195-220
            receiver.answering(400, "{\"message\":\"" + padding + "\",\"routing_key\":\"" + CANARY + "-pd\"}");
            ChannelConfig c = channel("pagerduty");
            c.url = receiver.url("/v2/enqueue");
            c.routingKey = Secret.of(CANARY + "-pd");
            Channel.Attempt a = new HttpChannel(c, sink()).send(Fixtures.alert("al-echo", AlertStatus.FIRING, Severity.CRITICAL));
            assertThat(receiver.requests().get(0).body()).as("the routing key was sent (PagerDuty needs it)").contains(CANARY + "-pd");
            assertThat(a.delivered()).isFalse();
            assertThat(a.error()).startsWith("HTTP 400: {\"message\":\"xxx").doesNotContain("CANARY").doesNotContain("CANA");
        }
    }

    @Test
    void aSlackUrlsPathEchoedWithoutTheHostIsMasked() throws Exception {
        try (RecordingReceiver receiver = new RecordingReceiver(500)) {
            String path = "/services/T0001/B0002/" + CANARY + "-slack";
            receiver.answering(500, "no route for POST " + path);
            ChannelConfig c = channel("slack");
            c.webhookUrl = Secret.of(receiver.url(path));
            Channel.Attempt a = new HttpChannel(c, sink()).send(Fixtures.alert("al-echo", AlertStatus.FIRING, Severity.CRITICAL));
            assertThat(receiver.count()).isEqualTo(1);
            assertThat(a.retryable()).isTrue();
            assertThat(a.error()).isEqualTo("HTTP 500: no route for POST " + Secret.MASK);
        }
    }

    @Test
    void aWebhookThatEchoesItsSignatureKeyIsMasked() throws Exception {
        try (RecordingReceiver receiver = new RecordingReceiver(401)) {
            receiver.answering(401, "{\"error\":\"bad signature, key " + CANARY + "-hmac\"}");
            ChannelConfig c = channel("webhook");
            c.url = receiver.url("/hook");
            c.secret = Secret.of(CANARY + "-hmac");
            Channel.Attempt a = new HttpChannel(c, sink()).send(Fixtures.alert("al-echo", AlertStatus.FIRING, Severity.CRITICAL));
            assertThat(a.error()).isEqualTo("HTTP 401: {\"error\":\"bad signature, key " + Secret.MASK + "\"}");
        }
    }
}
