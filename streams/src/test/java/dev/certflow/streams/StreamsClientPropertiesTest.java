package dev.certflow.streams;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.KafkaSettings;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What Kafka Streams' own clients end up with: its producer (which writes certificates-expiring,
 * renewals-failed, certificate-alerts and dead letters) compresses like every other certflow
 * producer, and {@code streams.properties} cannot take over what certflow's guarantees rest on.
 */
class StreamsClientPropertiesTest {

    private static Map<String, Object> streamsProducer(ConfigTree tree) {
        KafkaSettings kafka = tree.bind("kafka", KafkaSettings.class);
        kafka.schemaRegistryUrl = "mock://streams-client-properties";
        StreamsSettings settings = tree.bind("streams", StreamsSettings.class);
        return new StreamsConfig(StreamsProperties.of(kafka, settings, null, null)).getProducerConfigs("certflow-streams-producer");
    }

    @Test
    void kafkaStreamsProducerCompressesWithTheConfiguredCodec() {
        assertThat(streamsProducer(ConfigLoader.load(null, Map.of(), List.of())))
                .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        assertThat(streamsProducer(ConfigLoader.load(null, Map.of(), List.of("kafka.compressionType=none"))))
                .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    }

    @Test
    void streamsPropertiesCertflowReliesOnAreRefusedNamingKeyOriginAndWhy(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("streams.properties.processing.guarantee=at_least_once"))
                .bind("streams", StreamsSettings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("configuration key 'streams.properties.processing.guarantee' "
                        + "(from flag --set streams.properties.processing.guarantee) may not be set (value 'at_least_once')")
                .hasMessageContaining("streams.processingGuarantee");
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "streams:\n  properties:\n    deserialization.exception.handler: org.example.LogAndContinue\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), List.of()).bind("streams", StreamsSettings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'streams.properties.deserialization.exception.handler' (from file " + file + ")")
                .hasMessageContaining("dead-letter topic");
        for (String key : List.of("producer.compression.type", "consumer.isolation.level", "main.consumer.enable.auto.commit",
                "producer.transactional.id", "production.exception.handler", "processing.exception.handler", "application.id")) {
            assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("streams.properties." + key + "=x")).bind("streams", StreamsSettings.class))
                    .as(key).isInstanceOf(ConfigException.class).hasMessageContaining("'streams.properties." + key + "'");
        }
        // everything else still passes through, also from --set (one key, dots and all)
        StreamsSettings ok = ConfigLoader.load(null, Map.of(), List.of("streams.properties.session.timeout.ms=6000"))
                .bind("streams", StreamsSettings.class);
        assertThat(ok.properties).containsEntry("session.timeout.ms", "6000");
    }
}
