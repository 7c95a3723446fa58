package dev.certflow.streams;

import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * On a real broker: when the topics streams reads together by key exist with different partition
 * counts, the application refuses to start, naming both topics and their counts, before Kafka
 * Streams joins its group; with equal counts it starts.
 */
class CoPartitioningIntegrationTest {

    @Test
    void differentPartitionCountsOfTopicsReadTogetherFailTheStartNamingBoth(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("copart");
        Topics topics = kafka.topics();
        String certificates = topics.certificates().name();
        String attempts = topics.renewalAttempts().name();
        try (Admin admin = Admin.create(kafka.admin("test-admin"))) {
            admin.createTopics(List.of(new NewTopic(certificates, 3, (short) 1).configs(Topics.CERTIFICATES.configs()),
                    new NewTopic(attempts, 2, (short) 1).configs(Topics.RENEWAL_ATTEMPTS.configs()))).all().get(30, TimeUnit.SECONDS);
        }
        new TopicManager(kafka).ensure(Topics.ALL); // the rest, as a command would; existing ones keep their counts

        StreamsSettings s = new StreamsSettings();
        s.applicationId = TestKafka.uniqueId("copart-app");
        s.stateDir = dir.toString();
        assertThatThrownBy(() -> StreamsApp.start(kafka, s, null, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(certificates + " (3 partitions)")
                .hasMessageContaining(attempts + " (2 partitions)")
                .hasMessageContaining("same number of partitions");
        try (Admin admin = Admin.create(kafka.admin("test-admin"))) {
            // Kafka Streams never started: its consumer group does not exist
            assertThat(admin.listGroups().all().get(30, TimeUnit.SECONDS)).noneMatch(g -> g.groupId().equals(s.applicationId));
        }
    }

    @Test
    void equalPartitionCountsStart(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("copart-ok");
        new TopicManager(kafka).ensure(Topics.ALL);
        StreamsSettings s = new StreamsSettings();
        s.applicationId = TestKafka.uniqueId("copart-ok-app");
        s.stateDir = dir.toString();
        try (StreamsApp app = StreamsApp.start(kafka, s, null, null)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> app.state() == KafkaStreams.State.RUNNING);
        }
    }
}
