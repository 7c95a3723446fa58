package dev.certflow.reliability;

import dev.certflow.schemas.registry.HttpSchemaRegistryClient;
import dev.certflow.schemas.registry.SchemaRegistryException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Writes poison pills onto topics a running pipeline reads: values no reader can decode, under keys no
 * certificate has ({@link #KEY_PREFIX}), so they are not fleet data and the oracle does not change.
 * Three kinds, drawn from the trial's {@link Random}: {@code bad-magic} (a first byte other than the
 * Confluent wire format's 0, then random bytes), {@code unknown-schema-id} (magic 0 and a schema id the
 * registry never gave out) and {@code truncated} (magic 0, the topic's registered schema id, and no
 * Avro body; {@code unknown-schema-id} on a topic with no schema yet). Every pill is remembered with its
 * partition and offset, which its dead letters must carry in their origin headers.
 */
final class PoisonPills implements AutoCloseable {
    static final String KEY_PREFIX = "poison-pill/";
    static final List<String> KINDS = List.of("bad-magic", "unknown-schema-id", "truncated");

    /** One injected record. */
    record Pill(String topic, int partition, long offset, String kind, byte[] value) {
        String origin() {
            return topic + "/" + partition + "@" + offset;
        }
    }

    private final KafkaProducer<String, byte[]> producer;
    private final Admin admin;
    private final HttpSchemaRegistryClient registry;
    private final Random random;
    private final List<Pill> pills = new ArrayList<>();
    private final Map<String, Long> seen = new HashMap<>();

    PoisonPills(String bootstrap, String registryUrl, Random random) {
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer());
        admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap));
        registry = new HttpSchemaRegistryClient(List.of(registryUrl), null, null, Duration.ofSeconds(10));
        this.random = random;
    }

    /**
     * One round on each topic: about {@code percent} % of the records written to it since the last round
     * (its end offsets), at least one pill.
     */
    void round(List<String> topics, double percent) throws Exception {
        for (String topic : topics) {
            long end = endOffsets(topic);
            long added = Math.max(0, end - seen.getOrDefault(topic, 0L));
            int n = (int) Math.max(1, Math.ceil(added * percent / 100));
            for (int i = 0; i < n; i++) {
                inject(topic, KINDS.get(random.nextInt(KINDS.size())));
            }
            seen.put(topic, endOffsets(topic));
        }
    }

    Pill inject(String topic, String kind) throws Exception {
        byte[] value = switch (kind) {
            case "bad-magic" -> {
                byte[] b = new byte[5 + random.nextInt(60)];
                random.nextBytes(b);
                b[0] = (byte) (1 + random.nextInt(255));
                yield b;
            }
            case "unknown-schema-id" -> wire(2_000_000_000 + random.nextInt(100_000), 1 + random.nextInt(40));
            case "truncated" -> {
                Integer id = registeredId(topic + "-value");
                if (id == null) {
                    yield wire(2_000_000_000 + random.nextInt(100_000), 1 + random.nextInt(40));
                }
                yield wire(id, 0);
            }
            default -> throw new IllegalArgumentException("no poison of kind " + kind);
        };
        String key = KEY_PREFIX + topic + "/" + pills.size();
        RecordMetadata m = producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        Pill pill = new Pill(topic, m.partition(), m.offset(), kind, value);
        pills.add(pill);
        return pill;
    }

    /** Magic byte 0, the schema id, then {@code body} random bytes. */
    private byte[] wire(int schemaId, int body) {
        byte[] rest = new byte[body];
        random.nextBytes(rest);
        return ByteBuffer.allocate(5 + body).put((byte) 0).putInt(schemaId).put(rest).array();
    }

    private Integer registeredId(String subject) {
        try {
            return registry.version(subject, -1).id();
        } catch (SchemaRegistryException e) {
            if (e.httpStatus() == 404) {
                return null; // nothing registered under it yet
            }
            throw e;
        }
    }

    private long endOffsets(String topic) throws Exception {
        List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic)
                .partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        return admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
                .all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(i -> i.offset()).sum();
    }

    List<Pill> pills() {
        return List.copyOf(pills);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
    }
}
