package dev.certflow.sink;

import dev.certflow.sink.views.ViewWriter;
import dev.certflow.sink.delivery.ChannelConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.DeadLetters;
import dev.certflow.schemas.Topics;
import dev.certflow.sink.delivery.AlertDelivery;
import dev.certflow.sink.delivery.Payloads;
import dev.certflow.testkit.TestKafka;
import dev.certflow.testkit.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Alert delivery from a real broker to real HTTP receivers on loopback and the console:
 * delivery and resolve per channel, retries on 500/429, dead-lettering with the last error, a
 * slow receiver not blocking the others, redelivery after a crash deduplicable by the
 * idempotent keys, and secrets (planted canaries) in no log line, table row or DLQ header.
 */
class AlertDeliveryIntegrationTest {
    private static final String PD_CANARY = "pdkey-CANARY-7f3a9c";
    private static final String SLACK_CANARY = "slack-CANARY-x81Qz";
    private static final String HMAC_CANARY = "hmac-CANARY-b33f00d";
    private static final ObjectMapper JSON = new ObjectMapper();

    private KafkaSettings kafka;
    private Topics topics;
    private String jdbcUrl;
    private HikariDataSource ds;
    private SinkConfig config;
    private RecordingReceiver pd;
    private RecordingReceiver slack;
    private RecordingReceiver hook;
    private ByteArrayOutputStream consoleBytes;
    private LogCapture logs;

    @BeforeEach
    void setUp() throws Exception {
        logs = new LogCapture();
        kafka = TestKafka.freshSettings("delivery");
        new TopicManager(kafka).ensure(Topics.ALL);
        topics = kafka.topics();
        jdbcUrl = TestPostgres.freshDatabase();
        ds = SinkDatabase.dataSource(jdbcUrl, "postgres", "postgres", 2);
        SinkDatabase.migrate(ds);
        pd = new RecordingReceiver(202);
        slack = new RecordingReceiver(200);
        hook = new RecordingReceiver(200);
        consoleBytes = new ByteArrayOutputStream();
        config = new SinkConfig();
        config.jdbcUrl = jdbcUrl;
        config.password = Secret.of("postgres");
        config.groupId = TestKafka.uniqueId("sink");
        config.pollTimeout = Duration.ofMillis(100);
        config.maxAttempts = 3;
        config.initialBackoff = Duration.ofMillis(20);
        config.maxBackoff = Duration.ofMillis(100);
        config.requestTimeout = Duration.ofMillis(500);
        config.viewsEnabled = false;
        config.channels.add(channel("pd", "pagerduty", c -> {
            c.url = pd.url("/v2/enqueue");
            c.routingKey = Secret.of(PD_CANARY);
        }));
        config.channels.add(channel("slack", "slack", c -> c.webhookUrl = Secret.of(slack.url("/services/T0/B0/" + SLACK_CANARY))));
        config.channels.add(channel("hook", "webhook", c -> {
            c.url = hook.url("/hooks/certflow");
            c.secret = Secret.of(HMAC_CANARY);
        }));
        config.channels.add(channel("stdout", "console", c -> { }));
        config.validate("sink.", null);
    }

    private static ChannelConfig channel(String name, String type, java.util.function.Consumer<ChannelConfig> f) {
        ChannelConfig c = new ChannelConfig();
        c.name = name;
        c.type = type;
        c.allowedNetworks = java.util.List.of("127.0.0.0/8"); // the receivers run on loopback
        f.accept(c);
        return c;
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            // the canaries: no secret in any log line, any recorded error, or any delivery dead letter
            for (String canary : List.of(PD_CANARY, SLACK_CANARY, HMAC_CANARY)) {
                assertThat(logs.lines()).noneMatch(l -> l.contains(canary));
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM delivery_attempts WHERE error LIKE '%" + canary + "%'")).isZero();
            }
        } finally {
            logs.close();
            pd.close();
            slack.close();
            hook.close();
            ds.close();
        }
    }

    private void produce(Alert... alerts) throws Exception {
        var t = topics.certificateAlerts();
        try (var p = new KafkaProducer<>(kafka.producer("test"), t.keySerde().serializer(), t.valueSerde().serializer())) {
            for (Alert a : alerts) {
                p.send(new ProducerRecord<>(t.name(), a.getAlertId(), a)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private long committed(String group) throws Exception {
        try (Admin admin = Admin.create(kafka.admin("test-admin"))) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).values().stream()
                    .filter(Objects::nonNull).mapToLong(o -> o.offset()).sum();
        }
    }

    private String group() {
        return kafka.topicPrefix + config.groupId + "-delivery";
    }

    @Test
    void deliversAndResolvesOnEveryChannelAndExposesMetrics() throws Exception {
        var registry = OpsServer.newRegistry();
        try (OpsServer ops = OpsServer.start("127.0.0.1", 0, registry);
             Sink sink = Sink.start(kafka, config, registry, ops, FaultHook.NONE, new PrintStream(consoleBytes, true, StandardCharsets.UTF_8))) {
            produce(Fixtures.alert("al-1", AlertStatus.FIRING, Severity.CRITICAL), Fixtures.alert("al-1", AlertStatus.RESOLVED, Severity.CRITICAL));

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(pd.count()).isEqualTo(2);
                assertThat(slack.count()).isEqualTo(2);
                assertThat(hook.count()).isEqualTo(2);
                assertThat(consoleBytes.toString(StandardCharsets.UTF_8).lines().count()).isEqualTo(2);
                assertThat(committed(group())).isEqualTo(2);
            });

            // PagerDuty Events API v2: trigger then resolve under the same dedup_key
            JsonNode trigger = JSON.readTree(pd.requests().get(0).body());
            JsonNode resolve = JSON.readTree(pd.requests().get(1).body());
            assertThat(pd.requests().get(0).path()).isEqualTo("/v2/enqueue");
            assertThat(trigger.path("event_action").asText()).isEqualTo("trigger");
            assertThat(trigger.path("routing_key").asText()).isEqualTo(PD_CANARY);
            assertThat(trigger.path("dedup_key").asText()).isEqualTo("al-1");
            assertThat(trigger.at("/payload/severity").asText()).isEqualTo("critical");
            assertThat(trigger.at("/payload/source").asText()).isEqualTo("pbx-berlin");
            assertThat(trigger.at("/payload/custom_details/alert_id").asText()).isEqualTo("al-1");
            assertThat(trigger.at("/payload/custom_details/certificate/commonName").asText()).isEqualTo("c-al-1.example.com");
            assertThat(resolve.path("event_action").asText()).isEqualTo("resolve");
            assertThat(resolve.path("dedup_key").asText()).isEqualTo("al-1");

            // Slack: readable, resolved marked
            assertThat(slack.requests().get(0).path()).endsWith(SLACK_CANARY);
            assertThat(JSON.readTree(slack.requests().get(0).body()).path("text").asText()).contains("[FIRING]").contains("expires in 5 days");
            assertThat(JSON.readTree(slack.requests().get(1).body()).path("text").asText()).contains("[RESOLVED]");

            // webhook: verifiable signature, distinct idempotency keys for the two transitions
            for (RecordingReceiver.Request r : hook.requests()) {
                assertThat(r.header("X-Certflow-Signature")).isEqualTo(Payloads.signature(HMAC_CANARY, r.body().getBytes(StandardCharsets.UTF_8)));
            }
            assertThat(hook.requests().get(0).header("Idempotency-Key")).startsWith("al-1:FIRING:");
            assertThat(hook.requests().get(1).header("Idempotency-Key")).startsWith("al-1:RESOLVED:");
            assertThat(JSON.readTree(hook.requests().get(1).body()).path("resolvedAt").asText()).isEqualTo("2026-11-22T13:00:00Z");

            assertThat(consoleBytes.toString(StandardCharsets.UTF_8)).contains("FIRING CRITICAL EXPIRING yeastar/pbx-berlin/acme/c-al-1")
                    .contains("RESOLVED CRITICAL EXPIRING");
            assertThat(Fixtures.count(ds, "SELECT count(*) FROM delivery_attempts WHERE outcome = 'DELIVERED' AND alert_id = 'al-1'")).isEqualTo(8);
            assertThat(Fixtures.count(ds, "SELECT count(*) FROM delivery_attempts WHERE channel = 'pd' AND http_status = 202")).isEqualTo(2);

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ops.url() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("certflow_sink_deliveries_total{channel=\"pd\",outcome=\"delivered\"} 2.0")
                    .contains("certflow_sink_consumer_lag{consumer=\"delivery\"}")
                    .contains("certflow_sink_delivery_retries_total{channel=\"hook\"} 0.0");
            assertThat(sink.isHealthy()).isTrue();
        }
    }

    @Test
    void retriesOn5xxAnd429ThenDeadLettersWithTheLastErrorWhenAttemptsRunOut() throws Exception {
        pd.then(500, 429); // then 202
        hook.answering(503, "down for maintenance; secret " + HMAC_CANARY + " rejected"); // a receiver that echoes the secret
        config.channels.removeIf(c -> c.name.equals("slack") || c.name.equals("stdout"));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (AlertDelivery delivery = new AlertDelivery(kafka, config, ds, registry, FaultHook.NONE, null).start();
             var dlq = new KafkaConsumer<>(kafka.consumer(TestKafka.uniqueId("dlq"), "dlq"), new StringDeserializer(),
                     topics.alertDeliveriesDlq().valueSerde().deserializer())) {
            produce(Fixtures.alert("al-9", AlertStatus.FIRING, Severity.ERROR));

            dlq.subscribe(List.of(topics.alertDeliveriesDlq().name()));
            List<ConsumerRecord<String, Alert>> dead = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (dead.isEmpty() && System.nanoTime() < deadline) {
                dlq.poll(Duration.ofMillis(200)).forEach(dead::add);
            }
            assertThat(dead).as("dead letters; hook got %s, attempts %s / %s", hook.count(), outcomes("hook"), outcomes("pd")).hasSize(1);
            ConsumerRecord<String, Alert> d = dead.get(0);
            assertThat(d.value().getAlertId()).isEqualTo("al-9");
            assertThat(DeadLetters.header(d.headers(), AlertDelivery.CHANNEL_HEADER)).isEqualTo("hook");
            assertThat(DeadLetters.header(d.headers(), DeadLetters.STAGE)).isEqualTo("delivery");
            assertThat(DeadLetters.header(d.headers(), DeadLetters.ORIGIN_TOPIC)).isEqualTo(topics.certificateAlerts().name());
            assertThat(DeadLetters.header(d.headers(), DeadLetters.ERROR_MESSAGE)).startsWith("HTTP 503").contains("******")
                    .doesNotContain(HMAC_CANARY);

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(committed(group())).isEqualTo(1));
            assertThat(pd.count()).isEqualTo(3);
            assertThat(outcomes("pd")).containsExactly("RETRYING/500", "RETRYING/429", "DELIVERED/202");
            assertThat(outcomes("hook")).containsExactly("RETRYING/503", "RETRYING/503", "FAILED/503", "DEAD_LETTERED/null");
            assertThat(hook.count()).isEqualTo(3);
            assertThat(registry.get("certflow.sink.delivery.retries").tag("channel", "pd").counter().count()).isEqualTo(2.0);
            assertThat(registry.get("certflow.sink.delivery.dead.lettered").tag("channel", "hook").counter().count()).isEqualTo(1.0);
            assertThat(registry.get("certflow.sink.deliveries").tag("channel", "hook").tag("outcome", "dead_lettered").counter().count()).isEqualTo(1.0);
        }
    }

    @Test
    void aSlowReceiverDoesNotHoldBackTheOtherChannels() throws Exception {
        slack.slow(Duration.ofSeconds(2)); // each attempt times out after 500 ms
        config.channels.stream().filter(c -> c.name.equals("slack")).forEach(c -> c.maxAttempts = 2);
        try (AlertDelivery delivery = new AlertDelivery(kafka, config, ds, new SimpleMeterRegistry(), FaultHook.NONE,
                new PrintStream(consoleBytes, true, StandardCharsets.UTF_8)).start()) {
            List<Alert> alerts = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                alerts.add(Fixtures.alert("al-s" + i, AlertStatus.FIRING, Severity.WARNING));
            }
            produce(alerts.toArray(Alert[]::new));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(pd.count()).isEqualTo(5);
                assertThat(hook.count()).isEqualTo(5);
            });
            // slack needs >= 5 x 2 x 500 ms; the others did not wait for it
            assertThat(Fixtures.count(ds, "SELECT count(*) FROM delivery_attempts WHERE channel = 'slack' AND outcome = 'DEAD_LETTERED'")).isLessThan(5);
            assertThat(committed(group())).as("no offset passes an alert slack has not finished").isLessThan(5);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM delivery_attempts WHERE channel = 'slack' AND outcome = 'DEAD_LETTERED'")).isEqualTo(5);
                assertThat(committed(group())).isEqualTo(5);
            });
            assertThat(Fixtures.string(ds, "SELECT error FROM delivery_attempts WHERE channel = 'slack' AND outcome = 'FAILED' LIMIT 1"))
                    .startsWith("timeout");
        }
    }

    @Test
    void aCrashBeforeTheOffsetCommitRedeliversWithTheSameIdempotencyKeys() throws Exception {
        config.channels.removeIf(c -> !c.name.equals("hook") && !c.name.equals("pd"));
        produce(Fixtures.alert("al-r", AlertStatus.FIRING, Severity.CRITICAL));
        AlertDelivery first = new AlertDelivery(kafka, config, ds, new SimpleMeterRegistry(), point -> {
            if (point.equals(FaultHook.DELIVERY_BEFORE_COMMIT) && hook.count() >= 1 && pd.count() >= 1) {
                throw new ViewWriterIntegrationTest.InjectedCrash(point);
            }
        }, null).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> !first.isHealthy());
        first.close();
        assertThat(committed(group())).as("the crash came before the commit").isZero();

        try (AlertDelivery second = new AlertDelivery(kafka, config, ds, new SimpleMeterRegistry(), FaultHook.NONE, null).start()) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(hook.count()).isEqualTo(2);
                assertThat(pd.count()).isEqualTo(2);
                assertThat(committed(group())).isEqualTo(1);
            });
        }
        // delivered twice (at least once), but identically: the receivers dedupe by key
        var h = hook.requests();
        assertThat(h.get(1).header("Idempotency-Key")).isEqualTo(h.get(0).header("Idempotency-Key"));
        assertThat(h.get(1).header("X-Certflow-Signature")).isEqualTo(h.get(0).header("X-Certflow-Signature"));
        assertThat(h.get(1).body()).isEqualTo(h.get(0).body());
        assertThat(JSON.readTree(pd.requests().get(1).body()).path("dedup_key").asText())
                .isEqualTo(JSON.readTree(pd.requests().get(0).body()).path("dedup_key").asText()).isEqualTo("al-r");
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM delivery_attempts WHERE alert_id = 'al-r' AND outcome = 'DELIVERED'")).isEqualTo(4);
    }

    @Test
    void unreadableAlertsAreDeadLetteredAndNonRetryableStatusesGiveUpAtOnce() throws Exception {
        hook.then(400); // a receiver that refuses the request: retrying cannot help
        config.channels.removeIf(c -> !c.name.equals("hook"));
        try (AlertDelivery delivery = new AlertDelivery(kafka, config, ds, new SimpleMeterRegistry(), FaultHook.NONE, null).start();
             var raw = new KafkaProducer<>(kafka.producer("raw"), new org.apache.kafka.common.serialization.StringSerializer(),
                     new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(topics.certificateAlerts().name(), 0, "junk", new byte[]{0, 0, 0, 0, 99, 1})).get(30, TimeUnit.SECONDS);
            produce(Fixtures.alert("al-400", AlertStatus.FIRING, Severity.INFO), Fixtures.alert("al-ok", AlertStatus.FIRING, Severity.INFO));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(outcomes("hook")).contains("FAILED/400", "DEAD_LETTERED/null", "DELIVERED/200");
                assertThat(committed(group())).isEqualTo(3);
            });
            assertThat(hook.count()).isEqualTo(2); // one attempt each: 400 is not retried
            assertThat(delivery.isHealthy()).isTrue();
        }
        try (var dlq = new KafkaConsumer<>(kafka.consumer(TestKafka.uniqueId("dlq"), "dlq"), new StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            dlq.subscribe(List.of(topics.deadLetters().name()));
            List<ConsumerRecord<String, byte[]>> dead = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (dead.isEmpty() && System.nanoTime() < deadline) {
                dlq.poll(Duration.ofMillis(200)).forEach(dead::add);
            }
            assertThat(dead).hasSize(1);
            assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.STAGE)).isEqualTo("deserialization");
            assertThat(dead.get(0).value()).containsExactly(0, 0, 0, 0, 99, 1);
        }
    }

    @Test
    void firingAlertsFromTheHistoryAreReSentToAlertmanagerAfterARestart() throws Exception {
        RecordingReceiver am = new RecordingReceiver(200);
        try (am; var c = ds.getConnection(); var st = c.createStatement()) {
            st.execute("INSERT INTO alert_history (alert_id, kind, status, severity, summary, cert_key, fired_at, resolved_at, labels, "
                    + "kafka_topic, kafka_partition, kafka_offset) VALUES "
                    + "('still-firing', 'EXPIRED', 'FIRING', 'CRITICAL', 'expired', 'yeastar/pbx-berlin/acme/9', now() - interval '1 hour', null, '{\"department\": \"ops\"}', 't', 0, 0),"
                    + "('was-resolved', 'EXPIRING', 'FIRING', 'WARNING', 'soon', null, now() - interval '2 hours', null, '{}', 't', 0, 1),"
                    + "('was-resolved', 'EXPIRING', 'RESOLVED', 'WARNING', 'soon', null, now() - interval '2 hours', now(), '{}', 't', 0, 2)");
            config.channels.clear();
            config.channels.add(channel("am", "alertmanager", ch -> ch.url = am.url("")));
            config.alertmanagerResendInterval = Duration.ofMillis(200);
            try (AlertDelivery delivery = new AlertDelivery(kafka, config, ds, new SimpleMeterRegistry(), FaultHook.NONE, null).start()) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(am.count()).isGreaterThanOrEqualTo(2));
                assertThat(delivery.firingOnAlertmanager()).isEqualTo(1);
            }
            for (RecordingReceiver.Request r : am.requests()) {
                assertThat(r.path()).isEqualTo("/api/v2/alerts");
                JsonNode a = JSON.readTree(r.body()).get(0);
                assertThat(a.at("/labels/alert_id").asText()).isEqualTo("still-firing");
                assertThat(a.at("/labels/certificate_key").asText()).isEqualTo("yeastar/pbx-berlin/acme/9");
                assertThat(a.at("/labels/department").asText()).isEqualTo("ops");
                assertThat(a.has("endsAt")).isFalse();
            }
        }
    }

    private List<String> outcomes(String channel) throws Exception {
        List<String> out = new ArrayList<>();
        try (var c = ds.getConnection(); var ps = c.prepareStatement("SELECT outcome, http_status FROM delivery_attempts WHERE channel = ? ORDER BY id")) {
            ps.setString(1, channel);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1) + "/" + rs.getObject(2));
                }
            }
        }
        return out;
    }
}
