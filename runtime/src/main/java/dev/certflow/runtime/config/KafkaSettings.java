package dev.certflow.runtime.config;

import dev.certflow.schemas.Topics;
import dev.certflow.schemas.registry.SchemaRegistryClients;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code kafka} section every command shares: where the brokers and the schema registry are,
 * the topic name prefix, the producers' compression, and client properties passed straight to
 * Kafka ({@code properties}, also set by {@code KAFKA_*} environment variables) except the ones
 * certflow's guarantees depend on ({@link ReservedProperties}).
 */
public class KafkaSettings implements Validated {
    /** Codecs Kafka producers can write; only {@code none} and {@code gzip} are read by every client without optional codec packages. */
    public static final List<String> COMPRESSION_TYPES = List.of("none", "gzip", "snappy", "lz4", "zstd");

    /** Bootstrap servers; {@code embedded} starts the in-JVM broker (the one-JVM mode only). */
    public String bootstrapServers = "localhost:9092";
    /** {@code http(s)://...}, {@code mock://scope}, or {@code embedded} for the in-JVM registry. */
    public String schemaRegistryUrl = "http://localhost:8081";
    /** {@code user:password} for the registry's basic auth. */
    public Secret schemaRegistryUserInfo;
    public String topicPrefix = "";
    /** Partitions for topics certflow creates; 0 keeps each topic's declared count. */
    public int partitions = 0;
    /** Replication factor for topics certflow creates; -1 takes the broker default. */
    public short replicationFactor = -1;
    /** Create missing topics at start (otherwise only check them). */
    public boolean createTopics = true;
    /**
     * Compression of every producer certflow runs, Kafka Streams' included. gzip: every mainstream
     * client (kafkajs, librdkafka, kafka-python, Sarama) decodes it without an optional codec.
     */
    public String compressionType = "gzip";
    /** Extra Kafka client properties, for example security.protocol. */
    public Map<String, String> properties = new LinkedHashMap<>();

    @Override
    public void validate(String prefix, ConfigTree tree) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new ConfigException("missing required configuration key '" + prefix + "bootstrapServers'");
        }
        if (schemaRegistryUrl == null || schemaRegistryUrl.isBlank()) {
            throw new ConfigException("missing required configuration key '" + prefix + "schemaRegistryUrl'");
        }
        if (partitions < 0) {
            throw new ConfigException("bad value '" + partitions + "' for configuration key '" + prefix + "partitions'" + tree.from(prefix + "partitions") + ": must be 0 or more");
        }
        if (!COMPRESSION_TYPES.contains(compressionType)) {
            throw new ConfigException("bad value '" + compressionType + "' for configuration key '" + prefix + "compressionType'"
                    + tree.from(prefix + "compressionType") + ": must be one of " + String.join(", ", COMPRESSION_TYPES)
                    + " (none and gzip are the ones every Kafka client reads without optional codecs)");
        }
        ReservedProperties.check(prefix + "properties", properties, tree);
    }

    /** Settings common to every client: bootstrap servers plus the pass-through properties. */
    public Map<String, Object> common() {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrapServers);
        props.putAll(properties);
        return props;
    }

    /** An idempotent, acks=all producer compressing with {@link #compressionType}. */
    public Map<String, Object> producer(String clientId) {
        Map<String, Object> props = new HashMap<>();
        props.put("client.id", clientId);
        props.put("linger.ms", "5");
        props.putAll(common());
        // after the pass-through properties: validation refuses these there, and code-built settings must not win either
        props.put("acks", "all");
        props.put("enable.idempotence", "true");
        props.put("compression.type", compressionType);
        return props;
    }

    /** A read_committed consumer with manual commits. */
    public Map<String, Object> consumer(String groupId, String clientId) {
        Map<String, Object> props = new HashMap<>();
        props.put("client.id", clientId);
        props.put("auto.offset.reset", "earliest");
        props.putAll(common());
        props.put("group.id", groupId);
        props.put("isolation.level", "read_committed");
        props.put("enable.auto.commit", "false");
        return props;
    }

    public Map<String, Object> admin(String clientId) {
        Map<String, Object> props = new HashMap<>();
        props.put("client.id", clientId);
        props.putAll(common());
        return props;
    }

    /** The serde settings: registry URL and credentials. */
    public Map<String, Object> serdeConfig() {
        Map<String, Object> props = new HashMap<>();
        props.put(SchemaRegistryClients.URL, schemaRegistryUrl);
        if (schemaRegistryUserInfo != null) {
            props.put(SchemaRegistryClients.CREDENTIALS_SOURCE, "USER_INFO");
            props.put(SchemaRegistryClients.USER_INFO, schemaRegistryUserInfo.reveal());
        }
        properties.forEach((k, v) -> {
            if (k.startsWith("schema.registry.")) {
                props.put(k, v);
            }
        });
        return props;
    }

    /** The topic declarations bound to this prefix and registry. */
    public Topics topics() {
        return new Topics(topicPrefix, serdeConfig());
    }
}
