package dev.certflow.runtime.kafka;

import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.runtime.config.KafkaSettings;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The broker check against the in-JVM broker: UP while it runs, DOWN once it is stopped, UP again when it is back on its port. */
class BrokerReadinessIntegrationTest {

    @Test
    void followsTheBrokerGoingAwayAndComingBack() throws Exception {
        Path dir = Files.createTempDirectory("certflow-readiness-it-");
        Path logDir = dir.resolve("kafka");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(logDir, 0, false, Map.of());
        int port = Integer.parseInt(broker.bootstrapServers().substring(broker.bootstrapServers().lastIndexOf(':') + 1));
        KafkaSettings kafka = new KafkaSettings();
        kafka.bootstrapServers = broker.bootstrapServers();
        try (BrokerReadiness readiness = BrokerReadiness.start(kafka, "it", Duration.ofMillis(500), 2)) {
            await().atMost(Duration.ofSeconds(30)).until(readiness::ready);
            broker.close();
            await().atMost(Duration.ofSeconds(30)).until(() -> !readiness.ready());
            broker = EmbeddedKafkaBroker.start(logDir, port, true, Map.of());
            await().atMost(Duration.ofSeconds(60)).until(readiness::ready);
        } finally {
            broker.close();
            dev.certflow.embedded.TempDirs.deleteRecursively(dir);
        }
    }

    @Test
    void neverReadyWithoutABroker() throws Exception {
        KafkaSettings kafka = new KafkaSettings();
        kafka.bootstrapServers = "127.0.0.1:" + EmbeddedKafkaBroker.freePort();
        try (BrokerReadiness readiness = BrokerReadiness.start(kafka, "it", Duration.ofMillis(200), 1)) {
            // several check intervals pass with nothing listening: the rule never turns UP
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> !readiness.ready());
            assertThat(readiness.ready()).isFalse();
        }
    }
}
