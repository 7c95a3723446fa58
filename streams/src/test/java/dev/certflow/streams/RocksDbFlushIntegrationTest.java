package dev.certflow.streams;

import dev.certflow.events.Certificate;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On a real broker, with a fleet larger than the memtable budget (4,000 certificates and a 16 MiB
 * budget, as 1M certificates are for the default 48 MiB): each store flushes its own full memtables a
 * few times, and the write buffer manager does not flush on nearly every write. RocksDB numbers every
 * file it creates (each flush and each compaction output takes the next number), so the highest SST
 * file number of a store counts its flushes and compactions. With one third of the budget per memtable
 * (and RocksDB's 1 MiB arena blocks) stores reached about 430 here, and about 20,000 within 90 s in
 * the R3 benchmark; sized per store, 18.
 */
class RocksDbFlushIntegrationTest {
    private static final int CERTIFICATES = 4000;
    /** Far above what a handful of flushes and compactions per store need, far below the flush-per-write numbers. */
    private static final long MAX_FILE_NUMBER = 100;

    @Test
    void storesFlushAFewTimesNotOnEveryWrite(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("rocksdb-flush");
        new TopicManager(kafka).ensure(Topics.ALL);
        Topics.Topic<String, Certificate> topic = kafka.topics().certificates();
        Instant notAfter = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofDays(200));
        List<ProducerRecord<String, Certificate>> records = new ArrayList<>();
        for (int i = 0; i < CERTIFICATES; i++) {
            Certificate c = Fixtures.cert(Fixtures.key("acme", "c" + i), notAfter.plusSeconds(i * 600L));
            records.add(new ProducerRecord<>(topic.name(), Fixtures.k(c.getKey()), c));
        }
        KafkaIo.produce(kafka, topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer(), records);

        StreamsSettings s = new StreamsSettings();
        s.applicationId = TestKafka.uniqueId("rocksdb-flush-app");
        s.stateDir = dir.toString();
        s.rocksdb.cacheMiB = 32;
        s.rocksdb.memtableMiB = 16;
        try (StreamsApp app = StreamsApp.start(kafka, s, null, null)) {
            KafkaIo.awaitCommitted(kafka, s.applicationId, topic.name(), Duration.ofMinutes(3));
        }
        // a clean close flushes every memtable (Kafka Streams writes no RocksDB log), so every store with data has SST files now
        Map<Path, Long> highest = highestFileNumbers(dir);
        assertThat(highest).as("stores in the state directory").hasSizeGreaterThan(kafka.partitions);
        assertThat(highest).allSatisfy((store, number) -> assertThat(number).as("highest file number of " + dir.relativize(store))
                .isLessThan(MAX_FILE_NUMBER));
    }

    /** Each RocksDB store directory (the parent of its SST files) and the highest number among its SST files. */
    private static Map<Path, Long> highestFileNumbers(Path stateDir) throws IOException {
        Map<Path, Long> highest = new HashMap<>();
        try (Stream<Path> files = Files.walk(stateDir)) {
            files.filter(f -> f.getFileName().toString().matches("\\d+\\.sst")).forEach(f -> {
                long n = Long.parseLong(f.getFileName().toString().replace(".sst", ""));
                highest.merge(f.getParent(), n, Math::max);
            });
        }
        return highest;
    }
}
