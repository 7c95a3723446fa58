package dev.certflow.ingest.publish;

import dev.certflow.events.IngestCheckpoint;
import dev.certflow.ingest.source.CertState;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Rebuilds every worker's certificate state from the compacted {@code ingest-checkpoints} topic,
 * read_committed from the beginning to the end offsets taken at start (the last stable offsets:
 * call it after the workers' producers have run {@code initTransactions}, which aborts a dead
 * predecessor's open transaction).
 */
public final class CheckpointLoader {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointLoader.class);

    private CheckpointLoader() {
    }

    /** State per source name, for the given names only. */
    public static Map<String, Map<String, CertState>> load(KafkaSettings kafka, Topics topics, Set<String> sourceNames, Duration timeout)
            throws TimeoutException {
        Map<String, Map<String, CertState>> out = new HashMap<>();
        sourceNames.forEach(n -> out.put(n, new HashMap<>()));
        var topic = topics.ingestCheckpoints();
        Map<String, Object> props = kafka.consumer("unused", "certflow-ingest-checkpoints");
        props.remove("group.id"); // assigned partitions, no group, no commits
        long deadline = System.nanoTime() + timeout.toNanos();
        int records = 0;
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), topic.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), timeout).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).collect(Collectors.toList());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, timeout) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("reading " + topic.name() + " did not finish within " + timeout);
                }
                for (ConsumerRecord<String, IngestCheckpoint> r : consumer.poll(Duration.ofMillis(200))) {
                    records++;
                    String source = sourceOf(r.key(), r.value());
                    Map<String, CertState> states = source == null ? null : out.get(source);
                    if (states == null) {
                        continue;
                    }
                    if (r.value() == null) {
                        states.remove(r.key());
                    } else {
                        states.put(r.key(), CertState.from(r.value()));
                    }
                }
            }
        }
        LOG.info("Rebuilt ingest state from {} checkpoint records: {}", records,
                out.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().size()).sorted().collect(Collectors.joining(", ")));
        return out;
    }

    private static String sourceOf(String key, IngestCheckpoint value) {
        if (value != null) {
            return value.getCertificateKey().getSourceName();
        }
        try {
            return dev.certflow.schemas.CertificateKeys.parse(key).getSourceName();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
