package dev.certflow.streams;

import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.TopicSpec;
import dev.certflow.testkit.SecureTestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link StreamsProperties} carries the {@code kafka} section's TLS and SCRAM settings: an exactly_once_v2 application runs over SASL_SSL. */
class StreamsSecurityIntegrationTest {
    private static final String PASSWORD = "scram-CANARY-streams";

    @TempDir
    Path dir;

    @Test
    void exactlyOnceApplicationRunsOverSaslSsl() throws Exception {
        try (SecureTestKafka secure = SecureTestKafka.start(dir, PASSWORD)) {
            KafkaSettings kafka = secure.saslSsl("streams-sasl", PASSWORD);
            String in = "secure-in-" + UUID.randomUUID();
            String out = "secure-out-" + UUID.randomUUID();
            new TopicManager(kafka).ensure(List.of(new TopicSpec(in, 1, TopicSpec.Cleanup.DELETE, null, "test", String.class, "test", "test"),
                    new TopicSpec(out, 1, TopicSpec.Cleanup.DELETE, null, "test", String.class, "test", "test")));
            StreamsSettings streams = new StreamsSettings();
            streams.applicationId = "secure-streams-" + UUID.randomUUID();
            streams.stateDir = Files.createTempDirectory(dir, "state").toString();
            Properties props = StreamsProperties.of(kafka, streams, null, null);
            StreamsBuilder builder = new StreamsBuilder();
            builder.stream(in, Consumed.with(Serdes.String(), Serdes.String()).withName("secure-in"))
                    .mapValues(v -> v.toUpperCase(), Named.as("secure-upper"))
                    .to(out, Produced.with(Serdes.String(), Serdes.String()).withName("secure-out"));
            try (KafkaStreams app = new KafkaStreams(builder.build(props), props)) {
                app.start();
                try (KafkaProducer<String, String> producer = new KafkaProducer<>(kafka.producer("secure-input"), new StringSerializer(), new StringSerializer())) {
                    producer.send(new ProducerRecord<>(in, "k", "renewed")).get();
                }
                List<String> values = new ArrayList<>();
                try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(kafka.consumer("secure-check", "secure-check"),
                        new StringDeserializer(), new StringDeserializer())) {
                    consumer.subscribe(List.of(out));
                    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (values.isEmpty() && System.nanoTime() < deadline) {
                        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                            values.add(r.value());
                        }
                    }
                }
                assertThat(values).containsExactly("RENEWED");
            }
        }
    }
}
