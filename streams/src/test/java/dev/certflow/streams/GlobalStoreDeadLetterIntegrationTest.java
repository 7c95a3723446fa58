package dev.certflow.streams;

import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.DeadLetters;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A record no one can decode on a topic streams keeps in a global store (alert-silences,
 * alert-acknowledgements) is dead-lettered with its origin and the application keeps RUNNING. Found by
 * the fault-injection suite's row 7: Kafka Streams 4.4's global thread cannot send the dead letters a
 * handler returns (a ClassCastException), so the first such record took the whole application to ERROR.
 */
class GlobalStoreDeadLetterIntegrationTest {
    @AutoClose
    private final Closeables closeables = new Closeables();

    @Test
    void aPoisonPillOnAGlobalStoreTopicIsDeadLetteredAndStreamsRunsOn(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("global-dlq");
        new TopicManager(kafka).ensure(Topics.ALL);
        Topics topics = kafka.topics();
        StreamsSettings s = new StreamsSettings();
        s.applicationId = TestKafka.uniqueId("global-dlq-app");
        s.stateDir = dir.toString();
        s.commitInterval = Duration.ofMillis(100);
        OpsServer ops = closeables.add(OpsServer.start("127.0.0.1", 0, OpsServer.newRegistry()));
        StreamsApp app = closeables.add(StreamsApp.start(kafka, s, ops.registry(), ops));
        await().atMost(Duration.ofSeconds(90)).until(() -> app.state() == KafkaStreams.State.RUNNING);

        byte[] badMagic = {0x45, 1, 2, 3};
        byte[] unknownId = {0, 0x7f, 0, 0, 1, 2};
        for (String topic : List.of(topics.alertSilences().name(), topics.alertAcknowledgements().name())) {
            KafkaIo.produce(kafka, topic, Serdes.String().serializer(), new ByteArraySerializer(),
                    List.of(new ProducerRecord<>(topic, "pill-1", badMagic), new ProducerRecord<>(topic, "pill-2", unknownId)));
        }
        List<ConsumerRecord<byte[], byte[]>> dlq = KafkaIo.readUntil(kafka, topics.deadLetters().name(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer(), l -> l.size() >= 4, Duration.ofSeconds(60), Duration.ofSeconds(2));
        assertThat(dlq).hasSize(4);
        assertThat(dlq).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.ORIGIN_TOPIC))
                .containsOnly(topics.alertSilences().name(), topics.alertAcknowledgements().name());
        assertThat(dlq).allSatisfy(r -> {
            assertThat(DeadLetters.header(r.headers(), DeadLetters.ORIGIN_PARTITION)).matches("\\d+");
            assertThat(DeadLetters.header(r.headers(), DeadLetters.ORIGIN_OFFSET)).matches("\\d+");
            assertThat(DeadLetters.header(r.headers(), DeadLetters.APPLICATION)).isEqualTo(s.applicationId);
            assertThat(DeadLetters.header(r.headers(), DeadLetters.STAGE)).isEqualTo("deserialization");
        });
        assertThat(dlq).extracting(ConsumerRecord::value).anySatisfy(v -> assertThat(v).isEqualTo(badMagic))
                .anySatisfy(v -> assertThat(v).isEqualTo(unknownId));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> app.state() == KafkaStreams.State.RUNNING);
    }
}
