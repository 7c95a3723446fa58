package dev.certflow.streams;

import com.fasterxml.jackson.databind.JsonNode;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.DeadLetters;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two instances of the application on a real broker answer the query API identically; poison goes to the DLQ. */
class TwoInstancesQueryIntegrationTest {
    @AutoClose
    private final Closeables closeables = new Closeables();
    private final HttpClient http = HttpClient.newHttpClient();

    /** Settings for one of several instances of the application in a test: quick commits, quick to notice a peer gone. */
    static StreamsSettings settings(String appId, Path stateDir) {
        StreamsSettings s = new StreamsSettings();
        s.applicationId = appId;
        s.stateDir = stateDir.toString();
        s.commitInterval = Duration.ofMillis(100);
        s.properties.put("session.timeout.ms", "6000");
        s.properties.put("heartbeat.interval.ms", "1000");
        return s;
    }

    private StreamsApp instance(KafkaSettings kafka, String appId, Path stateDir) throws Exception {
        StreamsSettings s = settings(appId, stateDir);
        OpsServer ops = OpsServer.start("127.0.0.1", 0, OpsServer.newRegistry());
        closeables.add(ops);
        StreamsApp app = StreamsApp.start(kafka, s, ops.registry(), ops);
        closeables.add(app);
        opsUrls.add(ops.url());
        return app;
    }

    private final List<String> opsUrls = new ArrayList<>();

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anyInstanceGivesTheSameAnswer(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("iq");
        // a planted secret: it must reach no log event, no HTTP answer, no topic
        String canary = "CANARY-" + java.util.UUID.randomUUID();
        kafka.schemaRegistryUserInfo = dev.certflow.runtime.config.Secret.of("svc:" + canary);
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs = new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        root.addAppender(logs);
        closeables.add(() -> root.detachAppender(logs));
        new TopicManager(kafka).ensure(Topics.ALL);
        Topics topics = kafka.topics();
        Instant now = Instant.now();
        List<ProducerRecord<String, Certificate>> certs = new ArrayList<>();
        List<ProducerRecord<String, RenewalAttempt>> attempts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            CertificateKey key = Fixtures.key(i % 2 == 0 ? "acme" : "bank", "c" + i);
            // 20 within 30 days (i < 20), 20 far away; an hour short of whole days, so no certificate's days left
            // or bucket changes while the test runs (at now + i seconds the two instances' answers could differ)
            Instant notAfter = now.plus(Duration.ofDays(i < 20 ? 1 + i : 100 + i)).minus(Duration.ofHours(1)).plusSeconds(i);
            certs.add(new ProducerRecord<>(topics.certificates().name(), Fixtures.k(key), Fixtures.cert(key, notAfter)));
            if (i % 5 == 0) {
                attempts.add(new ProducerRecord<>(topics.renewalAttempts().name(), Fixtures.k(key),
                        Fixtures.attempt(key, "a" + i, AttemptStatus.FAILED, now.minusSeconds(600 + i), "boom " + i)));
            }
        }
        CertificateKey noExpiry = Fixtures.key("acme", "no-expiry");
        certs.add(new ProducerRecord<>(topics.certificates().name(), Fixtures.k(noExpiry), Fixtures.cert(noExpiry, null)));
        KafkaIo.produce(kafka, topics.certificates().name(), Serdes.String().serializer(), topics.certificates().valueSerde().serializer(), certs);
        KafkaIo.produce(kafka, topics.renewalAttempts().name(), Serdes.String().serializer(), topics.renewalAttempts().valueSerde().serializer(), attempts);
        // a poison record in the middle of the certificates topic
        KafkaIo.produce(kafka, topics.certificates().name(), Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(),
                List.of(new ProducerRecord<>(topics.certificates().name(), "poison".getBytes(StandardCharsets.UTF_8), new byte[]{0, 0, 0, 0, 42, 1})));

        String appId = TestKafka.uniqueId("iq-app");
        StreamsApp a = instance(kafka, appId, dir.resolve("a"));
        StreamsApp b = instance(kafka, appId, dir.resolve("b"));

        String query = "/v1/certificates/expiring-soon?days=30";
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(a.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(b.state()).isEqualTo(KafkaStreams.State.RUNNING);
            HttpResponse<String> ra = get(opsUrls.get(0) + query);
            HttpResponse<String> rb = get(opsUrls.get(1) + query);
            assertThat(ra.statusCode()).isEqualTo(200);
            assertThat(AvroJson.MAPPER.readTree(ra.body()).get("count").asInt()).isEqualTo(20);
            assertThat(rb.body()).isEqualTo(ra.body());
        });
        JsonNode all = AvroJson.MAPPER.readTree(get(opsUrls.get(0) + query).body());
        List<String> expiries = new ArrayList<>();
        all.get("items").forEach(n -> expiries.add(n.path("certificate").path("notAfter").asText()));
        assertThat(expiries.stream().map(Instant::parse).toList()).isSorted();
        assertThat(all.get("items").get(0).get("bucket").asText()).isEqualTo("1d");
        // each instance answers for its own partitions only when asked locally; together they are complete
        int localA = AvroJson.MAPPER.readTree(get(opsUrls.get(0) + query + "&local=true").body()).get("count").asInt();
        int localB = AvroJson.MAPPER.readTree(get(opsUrls.get(1) + query + "&local=true").body()).get("count").asInt();
        assertThat(localA + localB).isEqualTo(20);
        assertThat(localA).isBetween(1, 19);

        String tenantQuery = "/v1/certificates/expiring-soon?days=9&tenant=bank";
        String ta = get(opsUrls.get(0) + tenantQuery).body();
        assertThat(get(opsUrls.get(1) + tenantQuery).body()).isEqualTo(ta);
        JsonNode tenantItems = AvroJson.MAPPER.readTree(ta).get("items");
        assertThat(tenantItems.size()).isEqualTo(4); // c1, c3, c5, c7 expire in 2..8 days
        tenantItems.forEach(n -> assertThat(n.path("certificate").path("key").path("tenant").asText()).isEqualTo("bank"));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String fa = get(opsUrls.get(0) + "/v1/renewals/failed").body();
            assertThat(AvroJson.MAPPER.readTree(fa).get("count").asInt()).isEqualTo(8);
            assertThat(get(opsUrls.get(1) + "/v1/renewals/failed").body()).isEqualTo(fa);
        });
        // renewed by hand (no issuance method), 30 days' lead: the 20 within 30 days are past their point plus grace
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String oa = get(opsUrls.get(0) + "/v1/certificates/renewal-overdue").body();
            assertThat(AvroJson.MAPPER.readTree(oa).get("count").asInt()).isEqualTo(20);
            assertThat(get(opsUrls.get(1) + "/v1/certificates/renewal-overdue").body()).isEqualTo(oa);
        });
        int overdueA = AvroJson.MAPPER.readTree(get(opsUrls.get(0) + "/v1/certificates/renewal-overdue?local=true").body()).get("count").asInt();
        int overdueB = AvroJson.MAPPER.readTree(get(opsUrls.get(1) + "/v1/certificates/renewal-overdue?local=true").body()).get("count").asInt();
        assertThat(overdueA + overdueB).isEqualTo(20);
        assertThat(overdueA).isBetween(1, 19);
        String unknownA = get(opsUrls.get(0) + "/v1/certificates/expiry-unknown").body();
        assertThat(get(opsUrls.get(1) + "/v1/certificates/expiry-unknown").body()).isEqualTo(unknownA);
        JsonNode unknown = AvroJson.MAPPER.readTree(unknownA);
        assertThat(unknown.get("count").asInt()).isEqualTo(1);
        assertThat(unknown.get("items").get(0).get("key").asText()).isEqualTo(Fixtures.k(noExpiry));
        assertThat(unknown.get("items").get(0).path("value").path("expiryStatus").asText()).isEqualTo("MISSING");
        for (int i : new int[]{0, 1, 2, 3}) {
            String key = Fixtures.k(Fixtures.key(i % 2 == 0 ? "acme" : "bank", "c" + i));
            HttpResponse<String> ca = get(opsUrls.get(0) + "/v1/certificates/" + key);
            assertThat(ca.statusCode()).isEqualTo(200);
            assertThat(get(opsUrls.get(1) + "/v1/certificates/" + key).body()).isEqualTo(ca.body());
            assertThat(AvroJson.MAPPER.readTree(ca.body()).get("key").asText()).isEqualTo(key);
            // the same key URL-encoded as one segment, on both instances (one of them asks the other)
            String encoded = java.net.URLEncoder.encode(key, StandardCharsets.UTF_8);
            assertThat(encoded).doesNotContain("/");
            for (String url : opsUrls) {
                HttpResponse<String> r = get(url + "/v1/certificates/" + encoded);
                assertThat(r.statusCode()).as(url + " " + encoded).isEqualTo(200);
                assertThat(r.body()).isEqualTo(ca.body());
            }
        }
        assertThat(get(opsUrls.get(1) + "/v1/certificates/smoxy/smoxy-eu/acme/nope").statusCode()).isEqualTo(404);
        assertThat(get(opsUrls.get(0) + "/v1/certificates/expiring-soon?days=abc").statusCode()).isEqualTo(400);
        assertThat(get(opsUrls.get(0) + "/ready").statusCode()).isEqualTo(200);

        // the poison record is in the dead-letter topic with its origin, byte for byte
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaIo.readUntil(kafka, topics.deadLetters().name(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), l -> !l.isEmpty(), Duration.ofSeconds(30), Duration.ZERO);
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).key()).isEqualTo("poison".getBytes(StandardCharsets.UTF_8));
        assertThat(dead.get(0).value()).isEqualTo(new byte[]{0, 0, 0, 0, 42, 1});
        assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.ORIGIN_TOPIC)).isEqualTo(topics.certificates().name());
        assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.STAGE)).isEqualTo("deserialization");
        assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.ORIGIN_OFFSET)).isNotNull();
        assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.APPLICATION)).isEqualTo(appId);

        String metricsA = get(opsUrls.get(0) + "/metrics").body() + get(opsUrls.get(1) + "/metrics").body();
        assertThat(metricsA).contains("certflow_streams_alerts_fired_total{kind=\"EXPIRING\"")
                .contains("certflow_streams_dead_letters_total{stage=\"deserialization\"")
                .contains("certflow_streams_table_size{store=\"expiring-store\"")
                .contains("certflow_streams_tick_duration_seconds")
                .contains("kafka_stream_");

        assertThat(metricsA).doesNotContain(canary);
        assertThat(all.toString()).doesNotContain(canary);
        dead.forEach(r -> r.headers().forEach(h -> assertThat(new String(h.value(), StandardCharsets.UTF_8)).doesNotContain(canary)));
        assertThat(logs.list).isNotEmpty();
        for (ch.qos.logback.classic.spi.ILoggingEvent e : List.copyOf(logs.list)) {
            assertThat(e.getFormattedMessage()).doesNotContain(canary);
            if (e.getThrowableProxy() != null) {
                assertThat(e.getThrowableProxy().getMessage() == null ? "" : e.getThrowableProxy().getMessage()).doesNotContain(canary);
            }
        }
    }
}
