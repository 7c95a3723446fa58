package dev.certflow.streams;

import com.fasterxml.jackson.databind.JsonNode;
import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.Silence;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Writes through the query API on the real broker: a silence written to one instance is listed by
 * both (each keeps the silences topic in a global store), expired through the other, and an
 * acknowledgement sent to either finds the alert wherever its partition is hosted; reads need the
 * read token, which the instances also send to each other.
 */
class AlertWritesIntegrationTest {
    private static final String WRITE = "it-write-token-0123456789";
    private static final String READ = "it-read-token-0123456789";

    @AutoClose
    private final Closeables closeables = new Closeables();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<String> urls = new ArrayList<>();

    private StreamsApp instance(KafkaSettings kafka, String appId, Path stateDir) throws Exception {
        StreamsSettings s = new StreamsSettings();
        s.applicationId = appId;
        s.stateDir = stateDir.toString();
        s.commitInterval = Duration.ofMillis(100);
        s.properties.put("session.timeout.ms", "6000");
        s.properties.put("heartbeat.interval.ms", "1000");
        s.api.writeToken = Secret.of(WRITE);
        s.api.readToken = Secret.of(READ);
        OpsServer ops = OpsServer.start("127.0.0.1", 0, OpsServer.newRegistry());
        closeables.add(ops);
        StreamsApp app = StreamsApp.start(kafka, s, ops.registry(), ops);
        closeables.add(app);
        urls.add(ops.url());
        return app;
    }

    private HttpResponse<String> send(String method, String url, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode read(String url) throws Exception {
        HttpResponse<String> r = send("GET", url, READ, null);
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
        return AvroJson.MAPPER.readTree(r.body());
    }

    @Test
    void bothInstancesSeeTheSameSilencesAndEitherAcknowledges(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("writes");
        new TopicManager(kafka).ensure(Topics.ALL);
        Topics topics = kafka.topics();
        Instant now = Instant.now();
        List<ProducerRecord<String, Certificate>> certs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            CertificateKey key = Fixtures.key("acme", "w" + i);
            certs.add(new ProducerRecord<>(topics.certificates().name(), Fixtures.k(key), Fixtures.cert(key, now.plus(Duration.ofDays(3)))));
        }
        KafkaIo.produce(kafka, topics.certificates().name(), Serdes.String().serializer(), topics.certificates().valueSerde().serializer(), certs);
        String appId = TestKafka.uniqueId("writes-app");
        StreamsApp a = instance(kafka, appId, dir.resolve("a"));
        StreamsApp b = instance(kafka, appId, dir.resolve("b"));

        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(a.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(b.state()).isEqualTo(KafkaStreams.State.RUNNING);
            // each certificate: EXPIRING (3 days left) and RENEWAL_OVERDUE (renewed by hand, 30 days' lead), steps of one incident
            assertThat(read(urls.get(0) + "/v1/alerts").path("count").asInt()).isEqualTo(24);
            assertThat(read(urls.get(1) + "/v1/alerts").path("count").asInt()).isEqualTo(24);
        });
        assertThat(send("GET", urls.get(0) + "/v1/alerts", null, null).statusCode()).isEqualTo(401);

        HttpResponse<String> created = send("POST", urls.get(0) + "/v1/silences", WRITE,
                "{\"matchers\": [{\"name\": \"tenant\", \"value\": \"acme\"}], \"duration\": \"1h\", \"createdBy\": \"it\", \"comment\": \"window\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = AvroJson.MAPPER.readTree(created.body()).path("silenceId").asText();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (String url : urls) {
                JsonNode list = read(url + "/v1/silences?active=true");
                assertThat(list.path("count").asInt()).as(url).isEqualTo(1);
                assertThat(list.path("items").get(0).path("silenceId").asText()).isEqualTo(id);
            }
        });
        HttpResponse<String> expired = send("DELETE", urls.get(1) + "/v1/silences/" + id, WRITE, null);
        assertThat(expired.statusCode()).as(expired.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (String url : urls) {
                assertThat(read(url + "/v1/silences?active=true").path("count").asInt()).as(url).isZero();
                assertThat(read(url + "/v1/silences").path("items").get(0).path("state").asText()).isEqualTo("expired");
            }
        });
        List<ConsumerRecord<String, Silence>> silences = KafkaIo.readUntil(kafka, topics.alertSilences().name(), Serdes.String().deserializer(),
                topics.alertSilences().valueSerde().deserializer(), l -> l.size() >= 2, Duration.ofSeconds(30), Duration.ZERO);
        assertThat(silences).extracting(ConsumerRecord::key).containsExactly(id, id);
        assertThat(silences.get(1).value().getEndsAt()).isBefore(silences.get(0).value().getEndsAt());

        // every alert is acknowledged through instance b, wherever its partition lives
        JsonNode alerts = read(urls.get(0) + "/v1/alerts").path("items");
        List<String> incidents = new ArrayList<>();
        for (JsonNode alert : alerts) {
            HttpResponse<String> r = send("POST", urls.get(1) + "/v1/alerts/" + alert.path("alertId").asText() + "/ack", WRITE,
                    "{\"acknowledgedBy\": \"it\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            incidents.add(alert.path("incidentId").asText());
        }
        List<ConsumerRecord<String, Acknowledgement>> acks = KafkaIo.readUntil(kafka, topics.alertAcknowledgements().name(),
                Serdes.String().deserializer(), topics.alertAcknowledgements().valueSerde().deserializer(), l -> l.size() >= 24,
                Duration.ofSeconds(30), Duration.ZERO);
        assertThat(acks).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(incidents);
        assertThat(acks).allSatisfy(r -> assertThat(r.value().getIncidentId()).isEqualTo(r.key()));
        assertThat(new java.util.HashSet<>(incidents)).hasSize(12);
    }
}
