package dev.certflow.testkit;

import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.Topics;
import dev.certflow.schemas.registry.SchemaRegistryClients;
import dev.certflow.schemas.serde.AvroDeserializer;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole ground on a real broker: topics created and checked, Certificate and RenewalAttempt
 * records produced through the serde with an idempotent producer, read back read_committed, and
 * read again by a consumer that knows only the registry (generic records).
 */
class FoundationIntegrationTest {

    @Test
    void producesAndReadsBackEventsThroughTheSerde() throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("foundation");
        Topics topics = kafka.topics();
        var states = new TopicManager(kafka).ensure(Topics.ALL);
        assertThat(states).hasSize(Topics.ALL.size()).allMatch(TopicManager.TopicState::created);

        Instant now = Instant.parse("2026-11-22T10:00:00Z");
        var key = CertificateKeys.of(SourceKind.YEASTAR, "pbx-berlin", "pbx-berlin", "3");
        Certificate cert = Certificate.newBuilder()
                .setKey(key).setName("docs.example.com.pem").setCommonName("docs.example.com")
                .setType(CertificateType.TLS_SERVER).setSourceType("server")
                .setExpiryStatus(ExpiryStatus.KNOWN).setNotAfter(now.plus(Duration.ofDays(20)))
                .setIssuanceMethod(IssuanceMethod.ACME).setObservedAt(now).build();
        RenewalAttempt attempt = RenewalAttempt.newBuilder()
                .setAttemptId("a-1").setCertificateKey(key).setStatus(AttemptStatus.FAILED).setStatusRaw("issuance_fail")
                .setErrorCode("1001").setObservedAt(now).build();

        var certTopic = topics.certificates();
        var attemptTopic = topics.renewalAttempts();
        try (var producer = new KafkaProducer<>(kafka.producer("it-producer"), certTopic.keySerde().serializer(), certTopic.valueSerde().serializer());
             var attempts = new KafkaProducer<>(kafka.producer("it-producer-2"), attemptTopic.keySerde().serializer(), attemptTopic.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(certTopic.name(), CertificateKeys.format(key), cert)).get();
            attempts.send(new ProducerRecord<>(attemptTopic.name(), CertificateKeys.format(key), attempt)).get();
        }

        try (var consumer = new KafkaConsumer<>(kafka.consumer(TestKafka.uniqueId("g"), "it"), new StringDeserializer(), certTopic.valueSerde().deserializer())) {
            consumer.subscribe(List.of(certTopic.name()));
            List<ConsumerRecord<String, Certificate>> got = pollAtLeast(consumer, 1);
            assertThat(got.get(0).key()).isEqualTo("yeastar/pbx-berlin/pbx-berlin/3");
            assertThat(got.get(0).value()).isEqualTo(cert);
        }

        // another team's consumer: knows the registry, not our classes
        var generic = new AvroDeserializer<GenericRecord>();
        generic.configure(Map.of(SchemaRegistryClients.URL, kafka.schemaRegistryUrl), false);
        try (var consumer = new KafkaConsumer<>(kafka.consumer(TestKafka.uniqueId("g"), "it-generic"), new StringDeserializer(), generic)) {
            consumer.subscribe(List.of(attemptTopic.name()));
            GenericRecord value = pollAtLeast(consumer, 1).get(0).value();
            assertThat(value.getSchema().getFullName()).isEqualTo("dev.certflow.events.RenewalAttempt");
            assertThat(value.get("attemptId").toString()).isEqualTo("a-1");
            assertThat(value.get("status").toString()).isEqualTo("FAILED");
            assertThat(((GenericRecord) value.get("certificateKey")).get("sourceName").toString()).isEqualTo("pbx-berlin");
        }
    }

    static <K, V> List<ConsumerRecord<K, V>> pollAtLeast(KafkaConsumer<K, V> consumer, int n) {
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (out.size() < n && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        assertThat(out).as("records within 30 s").hasSizeGreaterThanOrEqualTo(n);
        return out;
    }
}
