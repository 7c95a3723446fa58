package dev.certflow.runtime.config;

import dev.certflow.schemas.Topics;
import dev.certflow.schemas.registry.SchemaRegistryClients;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code kafka} section every command shares: where the brokers and the schema registry are,
 * the topic name prefix, and client properties passed straight to Kafka ({@code properties},
 * also set by {@code KAFKA_*} environment variables).
 */
public class KafkaSettings implements Validated {
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
    }

    /** Settings common to every client: bootstrap servers plus the pass-through properties. */
    public Map<String, Object> common() {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrapServers);
        props.putAll(properties);
        return props;
    }

    /** An idempotent, acks=all producer. */
    public Map<String, Object> producer(String clientId) {
        Map<String, Object> props = new HashMap<>();
        props.put("client.id", clientId);
        props.put("acks", "all");
        props.put("enable.idempotence", "true");
        props.put("linger.ms", "5");
        props.put("compression.type", "lz4");
        props.putAll(common());
        return props;
    }

    /** A read_committed consumer with manual commits. */
    public Map<String, Object> consumer(String groupId, String clientId) {
        Map<String, Object> props = new HashMap<>();
        props.put("group.id", groupId);
        props.put("client.id", clientId);
        props.put("isolation.level", "read_committed");
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        props.putAll(common());
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
