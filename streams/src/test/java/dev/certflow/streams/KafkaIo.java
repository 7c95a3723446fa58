package dev.certflow.streams;

import dev.certflow.runtime.kafka.Offsets;
import dev.certflow.runtime.config.KafkaSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/** Produce and consume helpers for the broker tests (read_committed, deadline-bounded polling). */
final class KafkaIo {
    private KafkaIo() {
    }

    static <K, V> void produce(KafkaSettings kafka, String topic, Serializer<K> ks, Serializer<V> vs, List<ProducerRecord<K, V>> records) {
        try (KafkaProducer<K, V> p = new KafkaProducer<>(kafka.producer("test-producer"), ks, vs)) {
            records.forEach(p::send);
            p.flush();
        }
    }

    /**
     * Reads a topic from the start with read_committed until {@code done} holds for what was read,
     * then keeps reading for {@code settle} more (so duplicates arriving late are seen), or fails at the deadline.
     */
    static <K, V> List<ConsumerRecord<K, V>> readUntil(KafkaSettings kafka, String topic, Deserializer<K> kd, Deserializer<V> vd,
                                                        Predicate<List<ConsumerRecord<K, V>>> done, Duration timeout, Duration settle) {
        return readUntil(kafka, topic, kd, vd, done, timeout, settle, true);
    }

    /** As above; {@code committedOnly=false} reads with read_uncommitted, to see work inside open transactions. */
    static <K, V> List<ConsumerRecord<K, V>> readUntil(KafkaSettings kafka, String topic, Deserializer<K> kd, Deserializer<V> vd,
                                                        Predicate<List<ConsumerRecord<K, V>>> done, Duration timeout, Duration settle,
                                                        boolean committedOnly) {
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        java.util.Map<String, Object> props = kafka.consumer("test-" + UUID.randomUUID(), "test-consumer");
        props.put("isolation.level", committedOnly ? "read_committed" : "read_uncommitted");
        try (KafkaConsumer<K, V> c = new KafkaConsumer<>(props, kd, vd)) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            long settleUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settleUntil)) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
                if (settleUntil == Long.MAX_VALUE && done.test(out)) {
                    settleUntil = System.nanoTime() + settle.toNanos();
                }
            }
            if (settleUntil == Long.MAX_VALUE) {
                throw new AssertionError("gave up after " + timeout + " reading " + topic + ": " + out.size() + " records");
            }
        }
        return out;
    }

    /** Waits until the application has committed every record {@code topic} holds now, on every partition. */
    static void awaitCommitted(KafkaSettings kafka, String applicationId, String topic, Duration atMost) throws Exception {
        try (Admin admin = Admin.create(kafka.admin("test-admin"))) {
            Map<TopicPartition, Long> ends = Offsets.ends(admin, List.of(topic));
            await().atMost(atMost).until(() -> Offsets.behind(admin, applicationId, ends) == 0);
        }
    }
}
