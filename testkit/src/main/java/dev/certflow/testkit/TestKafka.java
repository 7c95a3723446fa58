package dev.certflow.testkit;

import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

import java.util.UUID;

/**
 * One real Kafka cluster shared by every test in a JVM (like Kafka's own EosIntegrationTest):
 * Testcontainers' Kafka module ({@code apache/kafka} image) when a Docker engine answers, otherwise
 * the in-JVM KRaft broker. The same tests run on both. Tests isolate themselves with fresh topic
 * prefixes, group and application ids ({@link #uniqueId}).
 */
public final class TestKafka {
    private static final Logger LOG = LoggerFactory.getLogger(TestKafka.class);
    private static final String IMAGE = System.getenv().getOrDefault("CERTFLOW_TEST_KAFKA_IMAGE", "apache/kafka:4.1.1");
    private static String bootstrapServers;

    private TestKafka() {
    }

    /** The shared cluster's bootstrap servers, starting it on first use. */
    public static synchronized String bootstrapServers() {
        if (bootstrapServers == null) {
            if (dockerAvailable()) {
                KafkaContainer container = new KafkaContainer(IMAGE);
                container.start();
                Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "kafka-container-stop"));
                bootstrapServers = container.getBootstrapServers();
                LOG.info("Test Kafka: container {} at {}", IMAGE, bootstrapServers);
            } else {
                EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
                Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "embedded-kafka-stop"));
                bootstrapServers = broker.bootstrapServers();
                LOG.info("Test Kafka: no Docker engine, in-JVM broker at {}", bootstrapServers);
            }
        }
        return bootstrapServers;
    }

    /**
     * Kafka settings for one test: the shared cluster, a fresh topic prefix and a fresh
     * {@code mock://} registry scope, so tests never see each other's records.
     */
    public static KafkaSettings freshSettings(String testName) {
        KafkaSettings settings = new KafkaSettings();
        String id = uniqueId(testName);
        settings.bootstrapServers = bootstrapServers();
        settings.schemaRegistryUrl = "mock://" + id;
        settings.topicPrefix = id + ".";
        settings.partitions = 2;
        return settings;
    }

    /** A name unique to this call, safe as a topic prefix, group id or application id. */
    public static String uniqueId(String prefix) {
        return prefix.replaceAll("[^A-Za-z0-9_-]", "-") + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static boolean dockerAvailable() {
        if ("false".equalsIgnoreCase(System.getenv("CERTFLOW_TEST_DOCKER"))) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }
}
