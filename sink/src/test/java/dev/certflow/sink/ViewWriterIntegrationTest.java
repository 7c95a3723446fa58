package dev.certflow.sink;

import dev.certflow.sink.views.ViewWriter;
import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.Severity;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import dev.certflow.testkit.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The view writer on a real broker and a real PostgreSQL: topics to tables, tombstones, and the
 * offsets-in-the-same-transaction guarantee under crashes injected between the writes and
 * between the database commit and the Kafka commit.
 */
class ViewWriterIntegrationTest {
    /** A simulated process death: an Error the writer does not recover from. */
    static final class InjectedCrash extends Error {
        InjectedCrash(String point) {
            super("injected crash at " + point);
        }
    }

    private KafkaSettings kafka;
    private Topics topics;
    private HikariDataSource ds;
    private SinkConfig config;

    @BeforeEach
    void setUp() {
        kafka = TestKafka.freshSettings("views");
        new TopicManager(kafka).ensure(Topics.ALL);
        topics = kafka.topics();
        ds = SinkDatabase.dataSource(TestPostgres.freshDatabase(), "postgres", "postgres", 4);
        SinkDatabase.migrate(ds);
        config = new SinkConfig();
        config.groupId = TestKafka.uniqueId("sink");
        config.pollTimeout = Duration.ofMillis(100);
    }

    @AfterEach
    void tearDown() {
        ds.close();
    }

    private <V> void produce(Topics.Topic<String, V> topic, String key, V value) throws Exception {
        try (var p = new KafkaProducer<>(kafka.producer("test"), topic.keySerde().serializer(), topic.valueSerde().serializer())) {
            p.send(new ProducerRecord<>(topic.name(), key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void writesEveryTopicToItsTableAndDeletesOnTombstones() throws Exception {
        Certificate a = Fixtures.certificate("acme", "a", Fixtures.NOW.plus(Duration.ofDays(20)));
        Certificate b = Fixtures.certificate("acme", "b", null);
        produce(topics.certificates(), Fixtures.key(a), a);
        produce(topics.certificates(), Fixtures.key(b), b);
        produce(topics.certificatesExpiring(), Fixtures.key(a), Fixtures.expiring(a, 20));
        produce(topics.renewalsFailed(), Fixtures.key(a), Fixtures.failed(a, "1001"));
        produce(topics.sourceStatus(), "pbx-berlin", Fixtures.sourceStatus("pbx-berlin", PollOutcome.PARTIAL));
        produce(topics.certificateAlerts(), "al-1", Fixtures.alert("al-1", AlertStatus.FIRING, Severity.WARNING));
        produce(topics.certificateAlerts(), "al-1", Fixtures.alert("al-1", AlertStatus.RESOLVED, Severity.WARNING));

        try (ViewWriter writer = new ViewWriter(kafka, config, ds, new SimpleMeterRegistry(), FaultHook.NONE).start()) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates")).isEqualTo(2);
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM expiring_certificates")).isEqualTo(1);
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM failed_renewals")).isEqualTo(1);
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM source_status")).isEqualTo(1);
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM alert_history")).isEqualTo(2);
            });
            assertThat(Fixtures.string(ds, "SELECT expiry_status || '/' || coalesce(not_after::text, 'none') FROM certificates WHERE cert_key = '"
                    + Fixtures.key(b) + "'")).isEqualTo("PENDING/none");
            assertThat(Fixtures.string(ds, "SELECT last_error_code FROM failed_renewals")).isEqualTo("1001");
            assertThat(Fixtures.string(ds, "SELECT outcome FROM source_status WHERE source_name = 'pbx-berlin'")).isEqualTo("PARTIAL");
            assertThat(Fixtures.string(ds, "SELECT (resolved_at - fired_at)::text FROM alert_history WHERE status = 'RESOLVED'")).isEqualTo("03:00:00");
            assertThat(Fixtures.string(ds, "SELECT tenant FROM alert_history LIMIT 1")).isEqualTo("acme");

            // tombstones: the certificate left, the expiring row left, the failed renewal resolved
            produce(topics.certificates(), Fixtures.key(a), null);
            produce(topics.certificatesExpiring(), Fixtures.key(a), null);
            produce(topics.renewalsFailed(), Fixtures.key(a), null);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates")).isEqualTo(1);
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM expiring_certificates")).isZero();
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM failed_renewals")).isZero();
            });
            assertThat(writer.isHealthy()).isTrue();
        }
    }

    @Test
    void crashesBetweenWritesAndBetweenDatabaseAndKafkaCommitNeitherLoseNorDoubleRows() throws Exception {
        int alerts = 40;
        int certs = 20;
        var alertTopic = topics.certificateAlerts();
        var certTopic = topics.certificates();
        try (var p = new KafkaProducer<>(kafka.producer("test"), alertTopic.keySerde().serializer(), alertTopic.valueSerde().serializer());
             var pc = new KafkaProducer<>(kafka.producer("test-c"), certTopic.keySerde().serializer(), certTopic.valueSerde().serializer())) {
            for (int i = 0; i < alerts; i++) {
                Alert a = Fixtures.alert("al-" + i, AlertStatus.FIRING, Severity.ERROR);
                p.send(new ProducerRecord<>(alertTopic.name(), a.getAlertId(), a));
            }
            for (int i = 0; i < certs; i++) {
                Certificate c = Fixtures.certificate("acme", "c" + i, Fixtures.NOW.plus(Duration.ofDays(i + 1)));
                pc.send(new ProducerRecord<>(certTopic.name(), Fixtures.key(c), c));
            }
            p.flush();
            pc.flush();
        }
        config.batchSize = 5; // many small transactions, so the crashes land mid-stream

        // 1. crash after the database commit, before the Kafka commit, on the third batch
        AtomicInteger commits = new AtomicInteger();
        ViewWriter first = new ViewWriter(kafka, config, ds, new SimpleMeterRegistry(), point -> {
            if (point.equals(FaultHook.VIEWS_AFTER_DB_COMMIT) && commits.incrementAndGet() == 3) {
                throw new InjectedCrash(point);
            }
        }).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> !first.isAlive());
        assertThat(first.isHealthy()).isFalse();
        first.close();
        long storedAfterFirst = Fixtures.count(ds, "SELECT coalesce(sum(next_offset), 0) FROM kafka_offsets WHERE consumer_group = '" + first.groupId() + "'");
        long rowsAfterFirst = Fixtures.count(ds, "SELECT count(*) FROM alert_history") + Fixtures.count(ds, "SELECT count(*) FROM certificates");
        assertThat(rowsAfterFirst).as("three batches committed to PostgreSQL").isEqualTo(15);
        assertThat(storedAfterFirst).isEqualTo(15);
        long kafkaCommitted = kafkaCommittedTotal(first.groupId());
        assertThat(kafkaCommitted).as("Kafka's own committed offsets lag behind the database: re-reading from them would double rows")
                .isLessThan(storedAfterFirst);

        // 2. crash between the row writes and the offset write, in the second batch
        AtomicInteger batches = new AtomicInteger();
        ViewWriter second = new ViewWriter(kafka, config, ds, new SimpleMeterRegistry(), point -> {
            if (point.equals(FaultHook.VIEWS_AFTER_ROWS) && batches.incrementAndGet() == 2) {
                throw new InjectedCrash(point);
            }
        }).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> !second.isAlive());
        second.close();
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM alert_history") + Fixtures.count(ds, "SELECT count(*) FROM certificates"))
                .as("the rolled-back batch left nothing behind").isEqualTo(20);

        // 3. a clean restart finishes the job: every record exactly once
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ViewWriter third = new ViewWriter(kafka, config, ds, registry, FaultHook.NONE).start()) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM alert_history")).isEqualTo(alerts);
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates")).isEqualTo(certs);
            });
            assertThat(Fixtures.count(ds, "SELECT count(DISTINCT alert_id) FROM alert_history")).isEqualTo(alerts);
            assertThat(Fixtures.count(ds, "SELECT coalesce(sum(next_offset), 0) FROM kafka_offsets WHERE consumer_group = '" + third.groupId() + "'"))
                    .isEqualTo(alerts + certs);
            // the clean run read only what was not committed yet: 60 records minus the 20 committed before
            double upserted = registry.get("certflow.sink.view.rows.upserted").tag("table", "alert_history").counter().count()
                    + registry.get("certflow.sink.view.rows.upserted").tag("table", "certificates").counter().count();
            assertThat(upserted).isEqualTo(alerts + certs - 20);
            assertThat(registry.get("certflow.sink.view.dead.lettered").counter().count()).isZero();
            assertThat(third.isHealthy()).isTrue();
        }
    }

    @Test
    void unreadableAndRefusedRecordsGoToTheDeadLetterTopicAndTheRestIsWritten() throws Exception {
        var certTopic = topics.certificates();
        Certificate good = Fixtures.certificate("acme", "good", Fixtures.NOW.plus(Duration.ofDays(5)));
        // KNOWN without an expiry: the table's CHECK refuses it (the streams/ingest contract says it cannot happen)
        Certificate refused = Certificate.newBuilder(Fixtures.certificate("acme", "refused", Fixtures.NOW.plus(Duration.ofDays(5))))
                .setNotAfter(null).build();
        Certificate later = Fixtures.certificate("acme", "later", Fixtures.NOW.plus(Duration.ofDays(6)));
        try (var raw = new KafkaProducer<>(kafka.producer("raw"), new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
             var p = new KafkaProducer<>(kafka.producer("test"), certTopic.keySerde().serializer(), certTopic.valueSerde().serializer())) {
            p.send(new ProducerRecord<>(certTopic.name(), 0, Fixtures.key(good), good)).get(30, TimeUnit.SECONDS);
            raw.send(new ProducerRecord<>(certTopic.name(), 0, "yeastar/x/-/junk", "not avro at all".getBytes())).get(30, TimeUnit.SECONDS);
            p.send(new ProducerRecord<>(certTopic.name(), 0, Fixtures.key(refused), refused)).get(30, TimeUnit.SECONDS);
            p.send(new ProducerRecord<>(certTopic.name(), 0, Fixtures.key(later), later)).get(30, TimeUnit.SECONDS);
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ViewWriter writer = new ViewWriter(kafka, config, ds, registry, FaultHook.NONE).start();
             var dlq = new org.apache.kafka.clients.consumer.KafkaConsumer<>(kafka.consumer(TestKafka.uniqueId("dlq"), "dlq"),
                     new org.apache.kafka.common.serialization.StringDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates")).isEqualTo(2));
            assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates WHERE cert_key IN ('" + Fixtures.key(good) + "', '" + Fixtures.key(later) + "')"))
                    .isEqualTo(2);
            dlq.subscribe(java.util.List.of(topics.deadLetters().name()));
            java.util.List<org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]>> dead = new java.util.ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (dead.size() < 2 && System.nanoTime() < deadline) {
                dlq.poll(Duration.ofMillis(200)).forEach(dead::add);
            }
            assertThat(dead).hasSize(2);
            var stages = dead.stream().map(d -> dev.certflow.schemas.DeadLetters.header(d.headers(), dev.certflow.schemas.DeadLetters.STAGE)).toList();
            assertThat(stages).containsExactlyInAnyOrder("deserialization", "processing");
            var junk = dead.stream().filter(d -> "deserialization".equals(dev.certflow.schemas.DeadLetters.header(d.headers(),
                    dev.certflow.schemas.DeadLetters.STAGE))).findFirst().orElseThrow();
            assertThat(new String(junk.value())).isEqualTo("not avro at all"); // original bytes untouched
            assertThat(dev.certflow.schemas.DeadLetters.header(junk.headers(), dev.certflow.schemas.DeadLetters.ORIGIN_TOPIC)).isEqualTo(certTopic.name());
            assertThat(dev.certflow.schemas.DeadLetters.header(junk.headers(), dev.certflow.schemas.DeadLetters.ORIGIN_OFFSET)).isEqualTo("1");
            var refusedDl = dead.stream().filter(d -> "processing".equals(dev.certflow.schemas.DeadLetters.header(d.headers(),
                    dev.certflow.schemas.DeadLetters.STAGE))).findFirst().orElseThrow();
            assertThat(dev.certflow.schemas.DeadLetters.header(refusedDl.headers(), dev.certflow.schemas.DeadLetters.ERROR_MESSAGE))
                    .contains("certificates").contains("certificates_not_after_known");
            assertThat(registry.get("certflow.sink.view.dead.lettered").counter().count()).isEqualTo(2.0);
            assertThat(writer.isHealthy()).isTrue();
        }
    }

    private long kafkaCommittedTotal(String group) throws Exception {
        try (Admin admin = Admin.create(kafka.admin("test-admin"))) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).values().stream()
                    .filter(java.util.Objects::nonNull).mapToLong(o -> o.offset()).sum();
        }
    }
}
