package dev.certflow.ingest;

import dev.certflow.runtime.config.KafkaSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads a topic completely (read_committed, up to the end offsets at the time of the call). */
final class KafkaReads {
    private KafkaReads() {
    }

    static List<ConsumerRecord<byte[], byte[]>> raw(KafkaSettings kafka, String topic) {
        Map<String, Object> props = kafka.consumer("unused", "test-reader");
        props.remove("group.id");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                assertThat(System.nanoTime()).as("read %s to its end within 30 s", topic).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /** Values deserialized (null for tombstones), in partition order per key. */
    static <V> List<Map.Entry<String, V>> values(KafkaSettings kafka, String topic, Deserializer<V> deserializer) {
        List<Map.Entry<String, V>> out = new ArrayList<>();
        for (var r : raw(kafka, topic)) {
            String key = r.key() == null ? null : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
            out.add(new java.util.AbstractMap.SimpleEntry<>(key, r.value() == null ? null : deserializer.deserialize(topic, r.value())));
        }
        return out;
    }
}
