package dev.certflow.schemas.serde;

/** Setting names the serde understands; the same names Confluent's serializers use. */
public final class AvroSerdeConfig {
    /** Register the writer schema under the TopicNameStrategy subject when serializing (default true). */
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";

    private AvroSerdeConfig() {
    }

    /** TopicNameStrategy: {@code <topic>-key} or {@code <topic>-value}. */
    public static String subject(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }
}
