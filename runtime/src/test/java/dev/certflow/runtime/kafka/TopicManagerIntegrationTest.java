package dev.certflow.runtime.kafka;

import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Topic creation and checks on the in-JVM broker, and the broker's own clean start and stop. */
class TopicManagerIntegrationTest {
    private static Path logDir;
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void start() throws Exception {
        logDir = Files.createTempDirectory("certflow-topics-it-").resolve("kafka");
        broker = EmbeddedKafkaBroker.start(logDir, 0, true, Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        broker.close();
        assertThat(logDir).doesNotExist();
        java.nio.file.Files.delete(logDir.getParent());
    }

    private KafkaSettings settings() {
        KafkaSettings kafka = new KafkaSettings();
        kafka.bootstrapServers = broker.bootstrapServers();
        kafka.schemaRegistryUrl = "mock://topics";
        kafka.topicPrefix = "t" + UUID.randomUUID().toString().substring(0, 6) + ".";
        return kafka;
    }

    @Test
    void createsMissingTopicsWithDeclaredPoliciesAndIsIdempotent() {
        KafkaSettings kafka = settings();
        var first = new TopicManager(kafka).ensure(Topics.ALL);
        assertThat(first).allMatch(TopicManager.TopicState::created);
        assertThat(first).filteredOn(s -> s.spec() == Topics.CERTIFICATES).singleElement()
                .satisfies(s -> {
                    assertThat(s.cleanupPolicy()).isEqualTo("compact");
                    assertThat(s.partitions()).isEqualTo(6);
                });
        var second = new TopicManager(kafka).ensure(Topics.ALL);
        assertThat(second).noneMatch(TopicManager.TopicState::created);
    }

    @Test
    void existingTopicWithWrongCleanupPolicyIsAnError() throws Exception {
        KafkaSettings kafka = settings();
        String name = Topics.CERTIFICATES.name(kafka.topicPrefix);
        try (Admin admin = Admin.create(kafka.admin("test"))) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1).configs(Map.of("cleanup.policy", "delete")))).all().get();
        }
        assertThatThrownBy(() -> new TopicManager(kafka).ensure(List.of(Topics.CERTIFICATES)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("topic " + name + " has cleanup.policy=delete but certflow needs compact");
    }

    @Test
    void missingTopicWithCreationOffIsAnError() {
        KafkaSettings kafka = settings();
        kafka.createTopics = false;
        assertThatThrownBy(() -> new TopicManager(kafka).ensure(List.of(Topics.SOURCE_STATUS)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not exist");
    }
}
