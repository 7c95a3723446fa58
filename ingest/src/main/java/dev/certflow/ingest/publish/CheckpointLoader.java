package dev.certflow.ingest.publish;

import dev.certflow.events.Certificate;
import dev.certflow.events.IngestCheckpoint;
import dev.certflow.ingest.source.CertState;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.Topics;
import dev.certflow.schemas.registry.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Rebuilds every worker's certificate state from what it published: the compacted
 * {@code ingest-checkpoints} topic (the attempt progress a certificate record does not carry) and the
 * compacted {@code certificates} topic (every certificate's fingerprint and expiry, and the state of
 * the certificates with no checkpoint). Both are read read_committed from the beginning to the end
 * offsets taken at start (the last stable offsets: call it after the workers' producers have run
 * {@code initTransactions}, which aborts a dead predecessor's open transaction).
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
        long deadline = System.nanoTime() + timeout.toNanos();
        String cpTopic = topics.ingestCheckpoints().name();
        Deserializer<IngestCheckpoint> cpDecoder = topics.ingestCheckpoints().valueSerde().deserializer();
        int[] unreadable = {0};
        int checkpoints = readToEnd(kafka, cpTopic, deadline, timeout, r -> {
            Map<String, CertState> states = statesOf(out, r.key());
            if (states == null) {
                return;
            }
            if (r.value() == null) {
                states.remove(r.key());
                return;
            }
            IngestCheckpoint cp = decode(cpDecoder, r, unreadable);
            if (cp != null) {
                states.put(r.key(), CertState.from(cp));
            }
        });
        Fingerprints fingerprints = new Fingerprints();
        String certTopic = topics.certificates().name();
        Deserializer<Certificate> certDecoder = topics.certificates().valueSerde().deserializer();
        int certificates = readToEnd(kafka, certTopic, deadline, timeout, r -> {
            Map<String, CertState> states = statesOf(out, r.key());
            if (states == null) {
                return;
            }
            if (r.value() == null) {
                states.remove(r.key()); // removed, and its checkpoint with it
                return;
            }
            Certificate cert = decode(certDecoder, r, unreadable);
            if (cert == null) {
                return;
            }
            // from the bytes as published, as the publisher took it (a decoded map re-encoded may come out in another order)
            String fp = fingerprints.of(cert, r.value(), Publisher.WIRE_HEADER);
            CertState cp = states.get(r.key());
            states.put(r.key(), cp != null && cp.checkpointed() ? cp.withCertificate(fp, cert.getNotAfter()) : CertState.derived(cert, fp));
        });
        LOG.info("Rebuilt ingest state from {} checkpoint and {} certificate records ({} unreadable, skipped): {}", checkpoints,
                certificates, unreadable[0],
                out.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().size()).sorted().collect(Collectors.joining(", ")));
        return out;
    }

    /**
     * The record's value, or null when it cannot be read (corrupt, or a schema id the registry does not have): skipped,
     * as streams dead-letters it; a certificate ingest then does not know is published again at its next poll. A
     * registry that does not answer fails the load (start-up retries it).
     */
    private static <V> V decode(Deserializer<V> decoder, ConsumerRecord<String, byte[]> r, int[] unreadable) {
        try {
            return decoder.deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            if (SchemaRegistryException.unavailable(e)) {
                throw e;
            }
            unreadable[0]++;
            LOG.warn("Unreadable record {}/{}@{} skipped while rebuilding the ingest state ({})", r.topic(), r.partition(), r.offset(),
                    e.getClass().getSimpleName());
            return null;
        }
    }

    private static Map<String, CertState> statesOf(Map<String, Map<String, CertState>> out, String key) {
        try {
            return out.get(CertificateKeys.parse(key).getSourceName());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Reads {@code topic} (assigned partitions, no group, no commits) up to its end offsets at start; the records read. */
    private static int readToEnd(KafkaSettings kafka, String topic, long deadline, Duration timeout,
                                 Consumer<ConsumerRecord<String, byte[]>> each) throws TimeoutException {
        Map<String, Object> props = kafka.consumer("unused", "certflow-ingest-state");
        props.remove("group.id");
        int records = 0;
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).collect(Collectors.toList());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, timeout) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("reading " + topic + " did not finish within " + timeout);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    records++;
                    each.accept(r);
                }
            }
        }
        return records;
    }
}
