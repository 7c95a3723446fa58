package dev.certflow.schemas.serde;

/** Setting names the serde understands; the same names Confluent's serializers use. */
public final class AvroSerdeConfig {
    /** Register the writer schema under the TopicNameStrategy subject when serializing (default true). */
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    /**
     * certflow's own: how long a serializer or deserializer waits for a schema registry that cannot answer
     * (unreachable, timed out, 5xx) before it fails (default 0: at once). See {@link RegistryRetry}.
     */
    public static final String REGISTRY_RETRY_MAX_MS = "certflow.schema.registry.retry.max.ms";

    private AvroSerdeConfig() {
    }

    /** TopicNameStrategy: {@code <topic>-key} or {@code <topic>-value}. */
    public static String subject(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }
}
