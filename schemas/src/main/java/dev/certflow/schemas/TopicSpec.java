package dev.certflow.schemas;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The declaration of one topic: its base name (before the configured prefix), partitions,
 * cleanup policy, retention, and what its keys and values are.
 *
 * @param valueType the generated Avro class of the value, or {@code byte[].class} for raw bytes
 */
public record TopicSpec(String baseName, int partitions, Cleanup cleanup, Duration retention,
                        String keyDescription, Class<?> valueType, String producer, String consumers) {

    /** Kafka {@code cleanup.policy}. */
    public enum Cleanup {
        COMPACT("compact"), DELETE("delete");

        private final String policy;

        Cleanup(String policy) {
            this.policy = policy;
        }

        public String policy() {
            return policy;
        }
    }

    /** The full topic name under a prefix ({@code ""} for none). */
    public String name(String prefix) {
        return prefix == null ? baseName : prefix + baseName;
    }

    /** Topic configs to create the topic with and to check an existing one against. */
    public Map<String, String> configs() {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("cleanup.policy", cleanup.policy());
        if (retention != null) {
            configs.put("retention.ms", Long.toString(retention.toMillis()));
        }
        return configs;
    }

    public String valueSchemaName() {
        return valueType == byte[].class ? "bytes" : valueType.getSimpleName();
    }
}
