package dev.certflow.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.certflow.schemas.registry.MockSchemaRegistry;
import dev.certflow.schemas.registry.MockSchemaRegistry.Compatibility;
import dev.certflow.schemas.registry.MockSchemaRegistry.StoredVersion;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The embedded registry's schemas kept where Confluent's registry keeps them: a compacted
 * one-partition {@code _schemas} topic on the same broker, in Confluent's record layout (JSON key
 * {@code {"keytype":"SCHEMA","subject":..,"version":..,"magic":1}} with value
 * {@code {"subject","version","id","schema","deleted"}}; {@code {"keytype":"CONFIG",..}} with
 * {@code {"compatibilityLevel":..}}; a tombstone for a permanent delete). Every change is written,
 * acknowledged by the broker, before the registry answers; on start the topic is read to its end
 * and every version comes back with its number, id and deleted flag.
 */
public final class KafkaSchemaLog implements AutoCloseable {
    /** Confluent's default {@code kafkastore.topic}. */
    public static final String TOPIC = "_schemas";
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSchemaLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;

    private KafkaSchemaLog(String topic, KafkaProducer<byte[], byte[]> producer) {
        this.topic = topic;
        this.producer = producer;
    }

    /** Creates the topic when missing, loads what it holds into {@code store}, and writes every later change to it. */
    public static KafkaSchemaLog open(String bootstrapServers, MockSchemaRegistry store) {
        Map<String, Object> common = Map.of("bootstrap.servers", bootstrapServers, "client.id", "certflow-embedded-registry");
        try (Admin admin = Admin.create(common)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, Optional.of(1), Optional.empty())
                    .configs(Map.of("cleanup.policy", "compact")))).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create the schema registry's topic " + TOPIC + " on " + bootstrapServers
                        + ": " + e.getCause().getMessage(), e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating " + TOPIC, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot create the schema registry's topic " + TOPIC + " on " + bootstrapServers
                    + " within " + TIMEOUT, e);
        }
        int loaded = load(common, store);
        Map<String, Object> producerProps = new HashMap<>(common);
        producerProps.put("acks", "all");
        producerProps.put("enable.idempotence", "true");
        LOG.info("Embedded schema registry: {} versions loaded from topic {}", loaded, TOPIC);
        return new KafkaSchemaLog(TOPIC, new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer()));
    }

    private record VersionKey(String subject, int version) {
    }

    private static int load(Map<String, Object> common, MockSchemaRegistry store) {
        Map<VersionKey, StoredVersion> versions = new TreeMap<>(Comparator.comparing(VersionKey::subject).thenComparingInt(VersionKey::version));
        Map<String, Compatibility> subjectLevels = new HashMap<>();
        Compatibility global = null;
        int maxId = 0;
        Map<String, Object> props = new HashMap<>(common);
        props.put("enable.auto.commit", "false");
        TopicPartition partition = new TopicPartition(TOPIC, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (consumer.position(partition, TIMEOUT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot read the schema registry's topic " + TOPIC + " to offset " + end + " within " + TIMEOUT);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode key = parse(r.key(), r.offset(), "key");
                    JsonNode value = r.value() == null ? null : parse(r.value(), r.offset(), "value");
                    if (key == null || (r.value() != null && value == null)) {
                        continue;
                    }
                    String subject = key.path("subject").isTextual() ? key.get("subject").asText() : null;
                    switch (key.path("keytype").asText()) {
                        case "SCHEMA" -> {
                            VersionKey k = new VersionKey(subject, key.path("version").asInt());
                            if (value == null) {
                                versions.remove(k);
                            } else {
                                int id = value.path("id").asInt();
                                maxId = Math.max(maxId, id);
                                versions.put(k, new StoredVersion(subject, k.version(), id,
                                        new Schema.Parser().parse(value.path("schema").asText()), value.path("deleted").asBoolean(false)));
                            }
                        }
                        case "CONFIG" -> {
                            Compatibility level = value == null ? null : Compatibility.parse(value.path("compatibilityLevel").asText());
                            if (subject == null) {
                                global = level;
                            } else if (level == null) {
                                subjectLevels.remove(subject);
                            } else {
                                subjectLevels.put(subject, level);
                            }
                        }
                        default -> {
                            // NOOP, DELETE_SUBJECT, MODE, ...: nothing this registry keeps
                        }
                    }
                }
            }
        }
        versions.values().forEach(store::restore);
        store.reserveIdsUpTo(maxId); // ids of versions permanently deleted since stay used
        if (global != null) {
            store.globalCompatibility(global);
        }
        subjectLevels.forEach(store::subjectCompatibility);
        return versions.size();
    }

    private static JsonNode parse(byte[] bytes, long offset, String part) {
        try {
            return bytes == null ? null : JSON.readTree(bytes);
        } catch (IOException e) {
            LOG.warn("Skipping the record at offset {} of {}: its {} is not JSON", offset, TOPIC, part);
            return null;
        }
    }

    /** Writes what changed in one subject's versions between {@code before} and {@code after}. */
    void recordVersions(List<StoredVersion> before, List<StoredVersion> after) {
        Map<Integer, StoredVersion> old = new HashMap<>();
        before.forEach(v -> old.put(v.version(), v));
        for (StoredVersion v : after) {
            StoredVersion was = old.remove(v.version());
            if (was == null || was.deleted() != v.deleted() || was.id() != v.id()) {
                ObjectNode value = JSON.createObjectNode();
                value.put("subject", v.subject());
                value.put("version", v.version());
                value.put("id", v.id());
                value.put("schema", v.schema().toString());
                value.put("deleted", v.deleted());
                send(schemaKey(v.subject(), v.version()), value);
            }
        }
        old.values().forEach(v -> send(schemaKey(v.subject(), v.version()), null)); // permanently deleted
    }

    /** Writes a changed compatibility level; {@code subject} null for the global one, {@code after} null when it was dropped. */
    void recordCompatibility(String subject, Compatibility before, Compatibility after) {
        if (Objects.equals(before, after)) {
            return;
        }
        ObjectNode key = JSON.createObjectNode();
        key.put("keytype", "CONFIG");
        if (subject == null) {
            key.putNull("subject");
        } else {
            key.put("subject", subject);
        }
        key.put("magic", 0);
        send(key, after == null ? null : JSON.createObjectNode().put("compatibilityLevel", after.name()));
    }

    private static ObjectNode schemaKey(String subject, int version) {
        ObjectNode key = JSON.createObjectNode();
        key.put("keytype", "SCHEMA");
        key.put("subject", subject);
        key.put("version", version);
        key.put("magic", 1);
        return key;
    }

    private void send(ObjectNode key, ObjectNode value) {
        try {
            producer.send(new ProducerRecord<>(topic, JSON.writeValueAsBytes(key), value == null ? null : JSON.writeValueAsBytes(value)))
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (IOException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot write to the schema registry's topic " + topic + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing to " + topic, e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
