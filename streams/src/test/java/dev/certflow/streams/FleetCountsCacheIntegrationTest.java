package dev.certflow.streams;

import dev.certflow.events.Certificate;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On a real broker: the dashboard's counters (fleet-counts-store, built with caching) reach their
 * changelog once per counter per commit, not once per certificate: 200 certificates of one tenant,
 * source and expiry day touch about 15 counters, so far fewer than 200 changelog records carry
 * them, and the fleet's total that the changelog ends with is 200.
 */
class FleetCountsCacheIntegrationTest {
    private static final int CERTIFICATES = 200;

    @Test
    void countersReachTheChangelogOncePerCommitNotOncePerCertificate(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("fleet-counts");
        new TopicManager(kafka).ensure(Topics.ALL);
        Topics.Topic<String, Certificate> topic = kafka.topics().certificates();
        Instant notAfter = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofDays(200)).plusSeconds(3600);
        List<ProducerRecord<String, Certificate>> records = new ArrayList<>();
        for (int i = 0; i < CERTIFICATES; i++) {
            Certificate c = Fixtures.cert(Fixtures.key("acme", "c" + i), notAfter);
            records.add(new ProducerRecord<>(topic.name(), Fixtures.k(c.getKey()), c));
        }
        KafkaIo.produce(kafka, topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer(), records);

        StreamsSettings s = new StreamsSettings();
        s.applicationId = TestKafka.uniqueId("fleet-counts-app");
        s.stateDir = dir.toString();
        s.commitInterval = Duration.ofSeconds(2);
        try (StreamsApp app = StreamsApp.start(kafka, s, null, null)) {
            KafkaIo.awaitCommitted(kafka, s.applicationId, topic.name(), Duration.ofSeconds(90));
        }
        byte[] fleetTotal = FleetIndex.counter(new byte[]{FleetIndex.SCOPE_FLEET}, FleetIndex.ALL).get();
        List<ConsumerRecord<Bytes, Long>> changelog = KafkaIo.readUntil(kafka, s.applicationId + "-" + Names.FLEET_COUNTS_STORE + "-changelog",
                Serdes.Bytes().deserializer(), Serdes.Long().deserializer(), read -> fleetTotal(read, fleetTotal) == CERTIFICATES,
                Duration.ofSeconds(30), Duration.ofSeconds(2));
        assertThat(fleetTotal(changelog, fleetTotal)).isEqualTo(CERTIFICATES);
        assertThat(changelog.size()).as("changelog records of the counters").isLessThan(CERTIFICATES);
    }

    /** The fleet's total as the changelog ends: each partition's (task's) last value of the counter, added up. */
    private static long fleetTotal(List<ConsumerRecord<Bytes, Long>> changelog, byte[] key) {
        Map<Integer, Long> last = new HashMap<>();
        for (ConsumerRecord<Bytes, Long> r : changelog) {
            if (Arrays.equals(r.key().get(), key)) {
                last.put(r.partition(), r.value() == null ? 0 : r.value());
            }
        }
        return last.values().stream().mapToLong(Long::longValue).sum();
    }
}
