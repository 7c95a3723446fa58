package dev.certflow.sink;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.Certificate;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import dev.certflow.testkit.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One batch written straight through {@link ViewWriter#write} (no broker): keys de-duplicated
 * within the batch with the last value winning, tombstones deleting, offsets stored with the rows.
 */
class ViewWriterBatchTest {
    private HikariDataSource ds;
    private KafkaSettings kafka;
    private Topics topics;
    private SimpleMeterRegistry registry;
    private ViewWriter writer;

    @BeforeEach
    void setUp() {
        ds = SinkDatabase.dataSource(TestPostgres.freshDatabase(), "postgres", "postgres", 2);
        SinkDatabase.migrate(ds);
        kafka = new KafkaSettings();
        kafka.schemaRegistryUrl = "mock://" + TestKafka.uniqueId("batch");
        kafka.topicPrefix = "b.";
        topics = kafka.topics();
        registry = new SimpleMeterRegistry();
        writer = new ViewWriter(kafka, new SinkConfig(), ds, registry, FaultHook.NONE);
    }

    @AfterEach
    void tearDown() {
        ds.close();
    }

    @Test
    void lastValuePerKeyWinsAndTombstonesDelete() throws Exception {
        Certificate a1 = Fixtures.certificate("acme", "a", Fixtures.NOW.plus(Duration.ofDays(10)));
        Certificate a2 = Certificate.newBuilder(a1).setCommonName("renamed.example.com").setNotAfter(Fixtures.NOW.plus(Duration.ofDays(90))).build();
        Certificate b = Fixtures.certificate("acme", "b", null);
        Certificate c = Fixtures.certificate("globex", "c", Fixtures.NOW.plus(Duration.ofDays(3)));
        String certs = topics.certificates().name();
        var ser = topics.certificates().valueSerde().serializer();
        List<ConsumerRecord<String, byte[]>> p0 = new ArrayList<>();
        p0.add(new ConsumerRecord<>(certs, 0, 10, Fixtures.key(a1), ser.serialize(certs, a1)));
        p0.add(new ConsumerRecord<>(certs, 0, 11, Fixtures.key(b), ser.serialize(certs, b)));
        p0.add(new ConsumerRecord<>(certs, 0, 12, Fixtures.key(a2), ser.serialize(certs, a2)));
        p0.add(new ConsumerRecord<>(certs, 0, 13, Fixtures.key(b), null)); // tombstone after the upsert in the same batch
        p0.add(new ConsumerRecord<>(certs, 0, 14, Fixtures.key(c), ser.serialize(certs, c)));
        String exp = topics.certificatesExpiring().name();
        var expSer = topics.certificatesExpiring().valueSerde().serializer();
        ExpiringCertificate e = Fixtures.expiring(c, 3);
        List<ConsumerRecord<String, byte[]>> p1 = List.of(new ConsumerRecord<>(exp, 1, 7, Fixtures.key(c), expSer.serialize(exp, e)));

        writer.write(new ConsumerRecords<>(Map.of(new TopicPartition(certs, 0), p0, new TopicPartition(exp, 1), p1), Map.of()), null);

        assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates")).isEqualTo(2);
        assertThat(Fixtures.string(ds, "SELECT common_name FROM certificates WHERE cert_key = '" + Fixtures.key(a1) + "'")).isEqualTo("renamed.example.com");
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates WHERE cert_key = '" + Fixtures.key(b) + "'")).isZero();
        assertThat(Fixtures.string(ds, "SELECT array_to_string(sans, ',') FROM certificates WHERE cert_key = '" + Fixtures.key(c) + "'"))
                .isEqualTo("c.example.com,www.c.example.com");
        assertThat(Fixtures.string(ds, "SELECT tenant FROM certificates WHERE cert_key = '" + Fixtures.key(c) + "'")).isEqualTo("globex");
        assertThat(Fixtures.string(ds, "SELECT attributes->>'zone' FROM certificates WHERE cert_key = '" + Fixtures.key(c) + "'")).isEqualTo("eu");
        // two upserts, not four: a1 was superseded and b's upsert cancelled by its tombstone inside the batch
        assertThat(registry.get("certflow.sink.view.rows.upserted").tag("table", "certificates").counter().count()).isEqualTo(2.0);
        assertThat(Fixtures.count(ds, "SELECT days_left FROM expiring_certificates WHERE cert_key = '" + Fixtures.key(c) + "'")).isEqualTo(3);
        assertThat(writer.storedOffsets()).containsEntry(new TopicPartition(certs, 0), 15L).containsEntry(new TopicPartition(exp, 1), 8L);

        // a later batch: tombstone for an existing row deletes it
        writer.write(new ConsumerRecords<>(Map.of(new TopicPartition(certs, 0),
                List.of(new ConsumerRecord<>(certs, 0, 15, Fixtures.key(c), (byte[]) null))), Map.of()), null);
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates")).isEqualTo(1);
        assertThat(registry.get("certflow.sink.view.rows.deleted").tag("table", "certificates").counter().count()).isEqualTo(1.0);
        assertThat(writer.storedOffsets()).containsEntry(new TopicPartition(certs, 0), 16L);
    }
}
