package dev.certflow.streams;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.certflow.embedded.registry.EmbeddedSchemaRegistry;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.Offsets;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The schema registry goes away while streams processes (reliability row 5s, seed 1309731845: the broker
 * froze, and the registry in its process with it, as the first certificate was processed). The state
 * stores' serializers cannot get their schema ids; the record must be neither dead-lettered nor lost:
 * once the registry answers again, its alert fires, and the application never stops.
 */
class RegistryOutageIntegrationTest {
    @AutoClose
    private final Closeables closeables = new Closeables();
    private final AtomicBoolean down = new AtomicBoolean(true);
    private final AtomicInteger refused = new AtomicInteger();

    /** In front of the registry: while down, every POST (register, look up a schema's id) answers 503; reads pass. */
    private HttpServer gate(String registryUrl) throws IOException {
        HttpClient client = HttpClient.newHttpClient();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", (HttpExchange ex) -> {
            try (ex) {
                byte[] body;
                try (InputStream in = ex.getRequestBody()) {
                    body = in.readAllBytes();
                }
                if (down.get() && ex.getRequestMethod().equals("POST")) {
                    refused.incrementAndGet();
                    byte[] err = "{\"error_code\":50003,\"message\":\"unavailable\"}".getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
                    ex.sendResponseHeaders(503, err.length);
                    ex.getResponseBody().write(err);
                    return;
                }
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(registryUrl + ex.getRequestURI()))
                        .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
                String type = ex.getRequestHeaders().getFirst("Content-Type");
                if (type != null) {
                    b.header("Content-Type", type);
                }
                HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                r.headers().firstValue("Content-Type").ifPresent(t -> ex.getResponseHeaders().add("Content-Type", t));
                ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(r.body());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        closeables.add(() -> server.stop(0));
        return server;
    }

    @Test
    void aRecordProcessedWhileTheRegistryIsAwayIsProcessedWhenItIsBackNotDeadLettered(@TempDir Path dir) throws Exception {
        EmbeddedSchemaRegistry registry = closeables.add(EmbeddedSchemaRegistry.start(0));
        HttpServer gate = gate(registry.url());
        KafkaSettings direct = TestKafka.freshSettings("registry-outage");
        direct.schemaRegistryUrl = registry.url();
        new TopicManager(direct).ensure(Topics.ALL);
        Topics topics = direct.topics();
        KafkaSettings throughGate = TestKafka.freshSettings("unused");
        throughGate.topicPrefix = direct.topicPrefix;
        throughGate.schemaRegistryUrl = "http://127.0.0.1:" + gate.getAddress().getPort();

        // written with the registry reachable (the producer registers directly): the record itself is fine
        CertificateKey key = Fixtures.key("acme", "outage-1");
        Certificate cert = Fixtures.cert(key, Instant.now().plus(Duration.ofDays(3)).plus(Duration.ofHours(5)));
        KafkaIo.produce(direct, topics.certificates().name(), Serdes.String().serializer(), topics.certificates().valueSerde().serializer(),
                List.of(new ProducerRecord<>(topics.certificates().name(), Fixtures.k(key), cert)));

        StreamsSettings s = new StreamsSettings();
        s.applicationId = TestKafka.uniqueId("registry-outage-app");
        s.stateDir = dir.toString();
        s.commitInterval = Duration.ofMillis(100);
        s.maxThreadReplacements = 1; // the outage must not count toward it
        s.renewal.enabled = false; // one alert: EXPIRING
        StreamsApp app = closeables.add(StreamsApp.start(throughGate, s, null, null));

        // the stores' serializers are refused, and refused again as they retry; or (the bug) the record is dead-lettered at once
        try (Admin admin = Admin.create(direct.admin("registry-outage-test"))) {
            await().atMost(Duration.ofSeconds(90)).dontCatchUncaughtExceptions().until(() -> refused.get() >= 4
                    || Offsets.ends(admin, List.of(topics.deadLetters().name())).values().stream().mapToLong(Long::longValue).sum() > 0);
        }
        down.set(false);
        assertThat(KafkaIo.readUntil(direct, topics.deadLetters().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer(), l -> true,
                Duration.ofSeconds(5), Duration.ofSeconds(1))).as("dead letters while the registry was away").isEmpty();
        List<ConsumerRecord<String, Alert>> alerts = KafkaIo.readUntil(direct, topics.certificateAlerts().name(), Serdes.String().deserializer(),
                topics.certificateAlerts().valueSerde().deserializer(),
                l -> l.stream().anyMatch(r -> r.value().getStatus() == AlertStatus.FIRING), Duration.ofSeconds(90), Duration.ofSeconds(1));
        assertThat(alerts).filteredOn(r -> r.value().getStatus() == AlertStatus.FIRING).hasSize(1)
                .allSatisfy(r -> assertThat(r.value().getCertificateKey()).isEqualTo(key));
        assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaIo.readUntil(direct, topics.deadLetters().name(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer(), l -> true, Duration.ofSeconds(5), Duration.ofSeconds(2));
        assertThat(dead).as("a valid record the registry's outage kept from being processed").isEmpty();
    }
}
