package dev.certflow.sink;

import dev.certflow.sink.delivery.ChannelConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.Topics;
import dev.certflow.sink.delivery.AlertDelivery;
import dev.certflow.testkit.TestKafka;
import dev.certflow.testkit.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Delivery to a real Prometheus Alertmanager (Debian's {@code prometheus-alertmanager}, started
 * on loopback), checked through its own API v2: firing alerts active with the expected labels,
 * resolved ones ended, firing ones re-sent while they last. Skipped only when the binary is absent
 * ({@code apt-get install -y prometheus-alertmanager}).
 */
class AlertmanagerIntegrationTest {
    private static final Path BINARY = Path.of(System.getenv().getOrDefault("CERTFLOW_ALERTMANAGER_BIN", "/usr/bin/prometheus-alertmanager"));
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Process alertmanager;
    private String amUrl;
    private HikariDataSource ds;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void startAlertmanager() throws Exception {
        assumeTrue(Files.isExecutable(BINARY), "Alertmanager binary " + BINARY + " is absent: install it with "
                + "'apt-get install -y prometheus-alertmanager' (or set CERTFLOW_ALERTMANAGER_BIN); skipping");
        Path config = dir.resolve("alertmanager.yml");
        Files.writeString(config, """
                route:
                  receiver: blackhole
                  group_wait: 1s
                receivers:
                  - name: blackhole
                """);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        amUrl = "http://127.0.0.1:" + port;
        alertmanager = new ProcessBuilder(BINARY.toString(), "--config.file=" + config, "--storage.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=")
                .redirectErrorStream(true).redirectOutput(dir.resolve("alertmanager.log").toFile()).start();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> get("/-/ready").statusCode() == 200);
        // Alertmanager ends a resolved alert at the endsAt the sink stamps with this JVM's clock: the two must agree.
        // Under .ci/clock-ahead they do not (faketime moves this JVM, not a Go program), and the check would be void.
        Instant peer = get("/-/ready").headers().firstValue("Date").map(d -> java.time.ZonedDateTime.parse(d,
                java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()).orElseThrow();
        Duration skew = Duration.between(Instant.now(), peer).abs();
        assumeTrue(skew.compareTo(Duration.ofMinutes(1)) < 0, "Alertmanager's clock reads " + peer + ", this JVM's " + Instant.now()
                + " (a faked clock, as under .ci/clock-ahead: faketime does not reach Go programs); skipping");
        ds = SinkDatabase.dataSource(TestPostgres.freshDatabase(), "postgres", "postgres", 2);
        SinkDatabase.migrate(ds);
    }

    @AfterEach
    void stop() throws Exception {
        if (alertmanager != null) {
            alertmanager.destroy();
            alertmanager.waitFor(10, TimeUnit.SECONDS);
        }
        if (ds != null) {
            ds.close();
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(amUrl + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<JsonNode> alerts() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(get("/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true").body()).forEach(out::add);
        return out;
    }

    private JsonNode alert(String id) throws Exception {
        return alerts().stream().filter(a -> id.equals(a.at("/labels/alert_id").asText())).findFirst().orElse(null);
    }

    @Test
    void firingAlertsAreActiveWithTheirLabelsAndResolvedOnesEnd() throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("alertmanager");
        new TopicManager(kafka).ensure(Topics.ALL);
        SinkConfig config = new SinkConfig();
        config.groupId = TestKafka.uniqueId("sink");
        config.pollTimeout = Duration.ofMillis(100);
        config.alertmanagerResendInterval = Duration.ofSeconds(1);
        ChannelConfig am = new ChannelConfig();
        am.name = "am";
        am.type = "alertmanager";
        am.url = amUrl;
        am.allowedNetworks = java.util.List.of("127.0.0.0/8");
        config.channels.add(am);
        config.validate("sink.", null);

        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Alert keep = Alert.newBuilder(Fixtures.alert("am-keep", AlertStatus.FIRING, Severity.CRITICAL)).setFiredAt(now.minusSeconds(60)).build();
        Alert gone = Alert.newBuilder(Fixtures.alert("am-gone", AlertStatus.FIRING, Severity.WARNING)).setFiredAt(now.minusSeconds(60)).build();
        Alert goneResolved = Alert.newBuilder(gone).setStatus(AlertStatus.RESOLVED).setResolvedAt(now).build();

        var topic = kafka.topics().certificateAlerts();
        try (AlertDelivery delivery = new AlertDelivery(kafka, config, ds, new SimpleMeterRegistry(), FaultHook.NONE, null).start();
             var producer = new KafkaProducer<>(kafka.producer("test"), topic.keySerde().serializer(), topic.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(topic.name(), keep.getAlertId(), keep)).get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(topic.name(), gone.getAlertId(), gone)).get(30, TimeUnit.SECONDS);

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(alert("am-keep")).isNotNull();
                assertThat(alert("am-gone")).isNotNull();
            });
            JsonNode k = alert("am-keep");
            assertThat(k.at("/labels/alertname").asText()).isEqualTo("CertflowExpiring");
            assertThat(k.at("/labels/severity").asText()).isEqualTo("critical");
            assertThat(k.at("/labels/tenant").asText()).isEqualTo("acme");
            assertThat(k.at("/labels/source").asText()).isEqualTo("pbx-berlin");
            assertThat(k.at("/labels/certificate_key").asText()).isEqualTo("yeastar/pbx-berlin/acme/c-am-keep");
            assertThat(k.at("/labels/department").asText()).isEqualTo("ops-team");
            assertThat(k.at("/annotations/summary").asText()).isEqualTo(keep.getSummary());
            assertThat(k.at("/status/state").asText()).isEqualTo("active");
            assertThat(Instant.parse(k.at("/startsAt").asText())).isEqualTo(keep.getFiredAt());

            producer.send(new ProducerRecord<>(topic.name(), goneResolved.getAlertId(), goneResolved)).get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(alert("am-gone")).as("resolved alert ended").isNull();
                assertThat(alert("am-keep")).isNotNull();
            });
            // the firing alert is re-sent while it lasts (Alertmanager would time it out otherwise)
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(Fixtures.count(ds, "SELECT count(*) FROM delivery_attempts WHERE alert_id = 'am-keep' AND resend AND outcome = 'DELIVERED'"))
                            .isGreaterThanOrEqualTo(2));
            assertThat(Fixtures.count(ds, "SELECT count(*) FROM delivery_attempts WHERE alert_id = 'am-gone' AND resend AND attempted_at > "
                    + "(SELECT max(attempted_at) FROM delivery_attempts WHERE alert_id = 'am-gone' AND alert_status = 'RESOLVED')")).isZero();
            assertThat(delivery.firingOnAlertmanager()).isEqualTo(1);
            assertThat(alert("am-keep").at("/status/state").asText()).isEqualTo("active");
        }
    }
}
