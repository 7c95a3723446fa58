package dev.certflow.reliability;

import dev.certflow.events.Alert;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.DeadLetters;
import dev.certflow.schemas.TopicSpec;
import dev.certflow.schemas.registry.HttpSchemaRegistryClient;
import dev.certflow.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the pipeline produced, read the way a downstream consumer reads it: every topic with a
 * read_committed consumer from the beginning up to its end offsets, the views with JDBC.
 */
final class Observed {
    /** One alert record: its id, kind, status, threshold and certificate key (null for SOURCE_DOWN). */
    record AlertRecord(String alertId, String kind, String status, String threshold, String key, long firedAt) {
        /** The webhook's Idempotency-Key for this transition. */
        String idempotencyKey() {
            return alertId + ":" + status + ":" + firedAt;
        }

        String slot() {
            // the floor tells EXPIRING alerts of one certificate apart; other kinds have one slot per certificate
            return FleetOracle.slot(kind, kind.equals("EXPIRING") ? threshold : null, key == null ? "-" : key);
        }
    }

    /** One dead letter: its key, its value bytes (the original record's) and its headers (origin, application, error). */
    record DeadLetter(String key, byte[] value, Map<String, String> headers) {
        /** {@code topic/partition@offset} from the origin headers. */
        String origin() {
            return headers.get(DeadLetters.ORIGIN_TOPIC) + "/" + headers.get(DeadLetters.ORIGIN_PARTITION) + "@" + headers.get(DeadLetters.ORIGIN_OFFSET);
        }

        String application() {
            return headers.get(DeadLetters.APPLICATION);
        }
    }

    /** Keys of the records {@link PoisonPills} writes; never a certificate's, so readers of the outputs skip them. */
    static boolean poison(String key) {
        return key != null && key.startsWith(PoisonPills.KEY_PREFIX);
    }

    private final String bootstrap;
    private final String prefix;
    private final HttpSchemaRegistryClient registry;

    Observed(String bootstrap, String registryUrl, String prefix) {
        this.bootstrap = bootstrap;
        this.prefix = prefix;
        this.registry = new HttpSchemaRegistryClient(List.of(registryUrl), null, null, Duration.ofSeconds(10));
    }

    List<AlertRecord> alerts() {
        String topic = topic(dev.certflow.schemas.Topics.CERTIFICATE_ALERTS);
        AvroDeserializer<Alert> values = new AvroDeserializer<>(registry, Alert.class);
        List<AlertRecord> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : read(topic)) {
            if (r.value() == null || poison(r.key())) {
                continue;
            }
            Alert a = values.deserialize(topic, r.value());
            out.add(new AlertRecord(a.getAlertId(), a.getKind().name(), a.getStatus().name(), a.getThreshold(),
                    a.getCertificateKey() == null ? null : CertificateKeys.format(a.getCertificateKey()),
                    a.getFiredAt().toEpochMilli()));
        }
        return out;
    }

    /** Records per key on {@code certificates} (values and tombstones alike). */
    Map<String, Integer> certificateRecords() {
        Map<String, Integer> out = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : read(topic(dev.certflow.schemas.Topics.CERTIFICATES))) {
            out.merge(r.key(), 1, Integer::sum);
        }
        return out;
    }

    /** Keys that got a tombstone on {@code certificates}. */
    java.util.Set<String> tombstones() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (ConsumerRecord<String, byte[]> r : read(topic(dev.certflow.schemas.Topics.CERTIFICATES))) {
            if (r.value() == null) {
                out.add(r.key());
            }
        }
        return out;
    }

    /** Records per {@code attemptId status} on {@code renewal-attempts}. */
    Map<String, Integer> attemptRecords() {
        String topic = topic(dev.certflow.schemas.Topics.RENEWAL_ATTEMPTS);
        AvroDeserializer<dev.certflow.events.RenewalAttempt> values = new AvroDeserializer<>(registry, dev.certflow.events.RenewalAttempt.class);
        Map<String, Integer> out = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : read(topic)) {
            if (r.value() != null && !poison(r.key())) {
                dev.certflow.events.RenewalAttempt a = values.deserialize(topic, r.value());
                out.merge(r.key() + " " + a.getAttemptId() + " " + a.getStatusRaw(), 1, Integer::sum);
            }
        }
        return out;
    }

    /** Committed records per changelog topic of a Kafka Streams application ({@code <applicationId>-...-changelog}). */
    Map<String, Integer> changelogRecords(String applicationId) {
        Map<String, Integer> out = new TreeMap<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            for (String t : c.listTopics(Duration.ofSeconds(30)).keySet()) {
                if (t.startsWith(applicationId + "-") && t.endsWith("-changelog")) {
                    out.put(t, read(t).size());
                }
            }
        }
        return out;
    }

    List<DeadLetter> deadLetters() {
        List<DeadLetter> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : read(topic(dev.certflow.schemas.Topics.DLQ))) {
            Map<String, String> headers = new HashMap<>();
            for (Header h : r.headers()) {
                headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
            }
            out.add(new DeadLetter(r.key(), r.value(), headers));
        }
        return out;
    }

    String topic(TopicSpec spec) {
        return spec.name(prefix);
    }

    /** Every committed record of a topic, up to the end offsets taken when this is called. */
    List<ConsumerRecord<String, byte[]>> read(String topic) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // read_committed end offsets: the last stable offsets
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p, Duration.ofSeconds(30)) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end offsets " + end + " within 60 s");
                }
                consumer.poll(Duration.ofMillis(500)).forEach(out::add);
            }
        }
        return out;
    }

    // ---- the views

    static Map<String, Instant> certificatesView(String jdbcUrl) throws Exception {
        Map<String, Instant> out = new TreeMap<>();
        query(jdbcUrl, "SELECT cert_key, not_after FROM certificates", rs -> {
            java.sql.Timestamp t = rs.getTimestamp(2);
            out.put(rs.getString(1), t == null ? null : t.toInstant());
        });
        return out;
    }

    static List<String> expiringView(String jdbcUrl) throws Exception {
        List<String> out = new ArrayList<>();
        query(jdbcUrl, "SELECT cert_key FROM expiring_certificates ORDER BY cert_key", rs -> out.add(rs.getString(1)));
        return out;
    }

    /** alert_history rows per {@code alert_id status}. */
    static Map<String, Integer> alertHistory(String jdbcUrl) throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        query(jdbcUrl, "SELECT alert_id, status FROM alert_history", rs -> out.merge(rs.getString(1) + " " + rs.getString(2), 1, Integer::sum));
        return out;
    }

    interface Row {
        void accept(ResultSet rs) throws Exception;
    }

    static void query(String jdbcUrl, String sql, Row row) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                row.accept(rs);
            }
        }
    }
}
