package dev.certflow.ingest.publish;

import dev.certflow.runtime.config.KafkaSettings;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Each source has its own transactional producer: its buffer is sized for one transaction, not Kafka's 32 MiB default. */
class PublisherProducerTest {

    private static long bufferMemory(java.util.Map<String, Object> props) {
        var withSerializers = new java.util.HashMap<>(props);
        withSerializers.put("key.serializer", ByteArraySerializer.class);
        withSerializers.put("value.serializer", ByteArraySerializer.class);
        return new ProducerConfig(withSerializers).getLong(ProducerConfig.BUFFER_MEMORY_CONFIG);
    }

    @Test
    void everySourceProducerBuffersEightMibUnlessKafkaPropertiesSayOtherwise() {
        KafkaSettings kafka = new KafkaSettings();
        kafka.topicPrefix = "t.";
        var props = Publisher.producerProperties(kafka, "pbx-berlin");
        assertThat(bufferMemory(props)).isEqualTo(8L * 1024 * 1024);
        assertThat(props).containsEntry("transactional.id", "certflow-ingest-t.pbx-berlin").containsEntry("client.id", "certflow-ingest-pbx-berlin");

        kafka.properties.put("buffer.memory", "67108864");
        assertThat(bufferMemory(Publisher.producerProperties(kafka, "pbx-berlin")))
                .isEqualTo(64L * 1024 * 1024);
    }
}
