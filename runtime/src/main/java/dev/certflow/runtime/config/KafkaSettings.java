package dev.certflow.runtime.config;

import dev.certflow.schemas.Topics;
import dev.certflow.schemas.registry.SchemaRegistryClients;

import com.fasterxml.jackson.annotation.JsonIgnore;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code kafka} section every command shares: where the brokers and the schema registry are,
 * the topic name prefix, the producers' compression, and client properties passed straight to
 * Kafka ({@code properties}, also set by {@code KAFKA_*} environment variables) except the ones
 * certflow's guarantees depend on ({@link ReservedProperties}); and how the clients connect:
 * {@link #securityProtocol}, {@link #tls} and {@link #sasl}, which every client certflow runs takes
 * (ingest, streams, sink, {@code tail}, {@code topics}).
 */
public class KafkaSettings implements Validated {
    /** Codecs Kafka producers can write; only {@code none} and {@code gzip} are read by every client without optional codec packages. */
    public static final List<String> COMPRESSION_TYPES = List.of("none", "gzip", "snappy", "lz4", "zstd");
    public static final List<String> SECURITY_PROTOCOLS = List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");

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
    /**
     * PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; null leaves {@code security.protocol} to
     * {@code properties} (Kafka's default: PLAINTEXT).
     */
    public String securityProtocol;
    /** Trust store (and key store for mutual TLS) for SSL and SASL_SSL; host names are always verified. */
    public KafkaTls tls = new KafkaTls();
    /** The SASL login for SASL_SSL and SASL_PLAINTEXT. */
    public KafkaSasl sasl = new KafkaSasl();
    /**
     * Extra Kafka client properties, also set by {@code KAFKA_*} variables. A credential among them
     * ({@code sasl.jaas.config}, {@code ssl.*.password}, ...) is written as {@code ${ENV_VAR}} or
     * {@code file:/path}, as every secret.
     */
    public Map<String, String> properties = new LinkedHashMap<>();
    /** The values of the credentials in {@link #properties}, which hold their references once validated. */
    @JsonIgnore
    private Map<String, Secret> secretProperties = Map.of();

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
        secretProperties = SensitiveProperties.resolve(prefix + "properties", properties, tree);
        validateSecurity(prefix, tree);
    }

    private void validateSecurity(String prefix, ConfigTree tree) {
        String key = prefix + "securityProtocol";
        if (securityProtocol == null) {
            if (tls.configured() || sasl.configured()) {
                throw new ConfigException("missing required configuration key '" + key + "': " + prefix
                        + (sasl.configured() ? "sasl" : "tls") + " is set, so say how to connect: " + String.join(", ", SECURITY_PROTOCOLS)
                        + " (SASL_SSL for a user name and password over TLS)");
            }
            return;
        }
        if (!SECURITY_PROTOCOLS.contains(securityProtocol)) {
            throw new ConfigException("bad value '" + securityProtocol + "' for configuration key '" + key + "'" + tree.from(key)
                    + ": must be one of " + String.join(", ", SECURITY_PROTOCOLS));
        }
        boolean usesTls = securityProtocol.endsWith("SSL");
        boolean usesSasl = securityProtocol.startsWith("SASL_");
        conflict(prefix, key, "security.protocol", tree);
        if (tls.configured() && !usesTls) {
            throw new ConfigException("configuration key '" + prefix + "tls' is set but '" + key + "'" + tree.from(key) + " is "
                    + securityProtocol + ", which does not use TLS (SSL or SASL_SSL do)");
        }
        if (tls.configured()) {
            tls.validate(prefix + "tls.", tree);
            Map<String, Object> set = new HashMap<>();
            tls.apply(set);
            set.keySet().forEach(p -> conflict(prefix, prefix + "tls", p, tree));
        }
        if (sasl.configured() && !usesSasl) {
            throw new ConfigException("configuration key '" + prefix + "sasl' is set but '" + key + "'" + tree.from(key) + " is "
                    + securityProtocol + ", which does not log in (SASL_SSL does)");
        }
        if (usesSasl && (sasl.configured() || !properties.containsKey("sasl.jaas.config"))) {
            sasl.validate(prefix + "sasl.", tree, securityProtocol);
            Map<String, Object> set = new HashMap<>();
            sasl.apply(set);
            set.keySet().forEach(p -> conflict(prefix, prefix + "sasl", p, tree));
        }
    }

    /** A typed key and a pass-through property must not both set one client property. */
    private void conflict(String prefix, String typedKey, String property, ConfigTree tree) {
        if (properties.containsKey(property)) {
            String full = prefix + "properties." + property;
            throw new ConfigException("configuration key '" + full + "'" + tree.from(full) + " conflicts with '" + typedKey + "'"
                    + tree.from(typedKey) + ", which sets " + property + ": remove one");
        }
    }

    /** Settings common to every client: bootstrap servers, the pass-through properties and the connection security. */
    public Map<String, Object> common() {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrapServers);
        props.putAll(properties);
        secretProperties.forEach((k, v) -> props.put(k, v.reveal()));
        if (securityProtocol != null) {
            props.put("security.protocol", securityProtocol);
            if (securityProtocol.endsWith("SSL")) {
                tls.apply(props);
            }
            if (securityProtocol.startsWith("SASL_") && sasl.configured()) {
                sasl.apply(props);
            }
        }
        // after the pass-through properties: validation refuses turning it off there, and a certificate for another host must fail
        props.put("ssl.endpoint.identification.algorithm", "https");
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
                props.put(k, secretProperties.containsKey(k) ? secretProperties.get(k).reveal() : v);
            }
        });
        return props;
    }

    /** The topic declarations bound to this prefix and registry. */
    public Topics topics() {
        return new Topics(topicPrefix, serdeConfig());
    }
}
