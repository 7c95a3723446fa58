package dev.certflow.sink.delivery;

import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.net.NetworkPolicy;
import dev.certflow.runtime.net.OutboundHttp;
import dev.certflow.sink.delivery.ChannelConfig;
import dev.certflow.sink.Fixtures;
import dev.certflow.sink.SinkConfig;
import dev.certflow.testkit.TestTls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 14 row 11 for the sink: hostile channel URLs and certificates are refused naming the channel and the reason. */
class ChannelSecurityTest {
    private static final String SLACK_SECRET = "T000/B000/slack-CANARY-9z";

    @TempDir
    Path dir;

    private SinkConfig bind(String channelYaml, Map<String, String> env) throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "sink:\n  channels:\n" + channelYaml);
        return ConfigLoader.load(file, env, List.of()).bind("sink", SinkConfig.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"file:/etc/passwd", "jar:file:/x.jar!/", "ftp://h.example/x", "gopher://h.example/"})
    void otherSchemesAreRefusedNamingTheChannelAndTheKey(String url) {
        assertThatThrownBy(() -> bind("    - {name: cmdb, type: webhook, url: '" + url + "', secret: '${S}'}\n", Map.of("S", "k")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("configuration key 'sink.channels[0].url'")
                .hasMessageContaining("only http and https URLs are fetched")
                .hasMessageEndingWith("(webhook channel 'cmdb')");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://169.254.169.254/", "http://127.0.0.1:9093", "http://[::1]:9093", "http://192.168.0.10:9093",
            "http://metadata.google.internal/", "http://[::ffff:10.0.0.1]/"})
    void nonPublicAlertmanagerUrlsAreRefusedUnlessAllowed(String url) throws Exception {
        assertThatThrownBy(() -> bind("    - {name: am, type: alertmanager, url: '" + url + "'}\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'sink.channels[0].url'")
                .hasMessageEndingWith("(alertmanager channel 'am')");
    }

    @Test
    void theAllowKeysOpenWhatTheySayAndBadEntriesNameTheirKey() throws Exception {
        SinkConfig ok = bind("    - {name: am, type: alertmanager, url: 'http://192.168.0.10:9093', allowPrivateNetworks: true}\n"
                + "    - {name: am2, type: alertmanager, url: 'http://127.0.0.1:9093', allowedNetworks: [127.0.0.1/32]}\n", Map.of());
        assertThat(ok.channels).hasSize(2);
        assertThat(ok.channels.get(1).networkPolicy().refusal(InetAddress.getByName("127.0.0.2"))).isPresent();
        assertThatThrownBy(() -> bind("    - {name: am, type: alertmanager, url: 'https://am.example', allowedNetworks: [am.internal]}\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("bad value 'am.internal' for configuration key 'sink.channels[0].allowedNetworks[0]'")
                .hasMessageEndingWith("(alertmanager channel 'am')");
    }

    @Test
    void aSlackWebhookUrlIsCheckedButNeverQuoted() {
        assertThatThrownBy(() -> bind("    - {name: team, type: slack, webhookUrl: '${SLACK}'}\n",
                Map.of("SLACK", "http://10.0.0.1/services/" + SLACK_SECRET)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'sink.channels[0].webhookUrl'").hasMessageContaining("private (RFC 1918)")
                .message().doesNotContain(SLACK_SECRET).doesNotContain("10.0.0.1/services");
        assertThatThrownBy(() -> bind("    - {name: team, type: slack, webhookUrl: '${SLACK}'}\n", Map.of("SLACK", "file:/services/" + SLACK_SECRET)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("only http and https")
                .message().doesNotContain(SLACK_SECRET);
    }

    private static HttpChannel channel(String type, String url, OutboundHttp client) {
        ChannelConfig c = new ChannelConfig();
        c.name = "hook";
        c.type = type;
        c.url = url;
        c.secret = Secret.of("hmac-key");
        SinkConfig sink = new SinkConfig();
        sink.connectTimeout = Duration.ofSeconds(2);
        sink.requestTimeout = Duration.ofSeconds(5);
        return new HttpChannel(c, sink, client);
    }

    @Test
    void aNameResolvingToARefusedAddressIsAFinalFailureNamingTheChannel() throws Exception {
        OutboundHttp.Resolver toLoopback = host -> new InetAddress[]{InetAddress.getLoopbackAddress()};
        try (HttpChannel ch = channel("webhook", "https://hooks.example/certflow", OutboundHttp.builder("webhook channel 'hook'",
                NetworkPolicy.PUBLIC_ONLY).resolver(toLoopback).build())) {
            Channel.Attempt a = ch.send(Fixtures.alert("a1", AlertStatus.FIRING, Severity.CRITICAL));
            assertThat(a.delivered()).isFalse();
            assertThat(a.retryable()).as("a refused address does not become allowed by retrying").isFalse();
            assertThat(a.error()).isEqualTo("webhook channel 'hook': refused to connect to hooks.example: 127.0.0.1 is loopback (127.0.0.0/8);"
                    + " allowPrivateNetworks: true or an allowedNetworks entry holding it allows it");
        }
    }

    @Test
    void selfSignedAndWrongHostCertificatesAreFinalFailuresWithTheReason() throws Exception {
        try (TestTls selfSigned = TestTls.start("localhost");
             TestTls otherHost = TestTls.start("hooks.other.example");
             HttpChannel untrusting = channel("webhook", selfSigned.url("localhost") + "/hook",
                     OutboundHttp.builder("webhook channel 'hook'", NetworkPolicy.loopback()).build());
             HttpChannel wrongHost = channel("webhook", otherHost.url("localhost") + "/hook",
                     OutboundHttp.builder("webhook channel 'hook'", NetworkPolicy.loopback()).sslContext(otherHost.trustingContext()).build());
             HttpChannel trusting = channel("webhook", selfSigned.url("localhost") + "/hook",
                     OutboundHttp.builder("webhook channel 'hook'", NetworkPolicy.loopback()).sslContext(selfSigned.trustingContext()).build())) {
            Channel.Attempt a = untrusting.send(Fixtures.alert("a1", AlertStatus.FIRING, Severity.CRITICAL));
            assertThat(a.delivered()).isFalse();
            assertThat(a.retryable()).isFalse();
            assertThat(a.error()).isEqualTo("TLS: the server's certificate is not trusted (self-signed or unknown issuer)");
            Channel.Attempt b = wrongHost.send(Fixtures.alert("a1", AlertStatus.FIRING, Severity.CRITICAL));
            assertThat(b.retryable()).isFalse();
            assertThat(b.error()).startsWith("TLS: the server's certificate is not valid for this host").contains("localhost");
            assertThat(selfSigned.requests() + otherHost.requests()).isZero();
            assertThat(trusting.send(Fixtures.alert("a1", AlertStatus.FIRING, Severity.CRITICAL)).delivered()).isTrue();
        }
    }

    @Test
    void aRedirectIsAFinalFailureAndItsTargetIsNeverAsked() throws Exception {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        java.util.concurrent.atomic.AtomicInteger followed = new java.util.concurrent.atomic.AtomicInteger();
        server.createContext("/elsewhere", ex -> {
            followed.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        java.util.concurrent.atomic.AtomicReference<String> location = new java.util.concurrent.atomic.AtomicReference<>();
        server.createContext("/hook", ex -> {
            ex.getResponseHeaders().set("Location", location.get());
            ex.sendResponseHeaders(307, -1);
            ex.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            for (String target : List.of("http://169.254.169.254/latest/meta-data/", base + "/elsewhere")) {
                location.set(target);
                try (HttpChannel ch = channel("webhook", base + "/hook", OutboundHttp.builder("webhook channel 'hook'", NetworkPolicy.loopback()).build())) {
                    Channel.Attempt a = ch.send(Fixtures.alert("a1", AlertStatus.FIRING, Severity.CRITICAL));
                    assertThat(a.delivered()).isFalse();
                    assertThat(a.retryable()).as("a redirect is not retried").isFalse();
                    assertThat(a.httpStatus()).isEqualTo(307);
                    assertThat(a.error()).isEqualTo("HTTP 307");
                }
            }
            assertThat(followed.get()).as("redirects are never followed").isZero();
        } finally {
            server.stop(0);
        }
    }
}
