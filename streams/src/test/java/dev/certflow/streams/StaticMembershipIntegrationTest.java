package dev.certflow.streams;

import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A restart on the same state directory takes its tasks back at once: Kafka Streams does not leave its
 * group on close, so as a dynamic member the restarted instance would wait out the old member's session
 * timeout (a minute here) before RUNNING.
 */
class StaticMembershipIntegrationTest {
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(60);

    @AutoClose
    private final Closeables closeables = new Closeables();

    private static StreamsSettings settings(String appId, Path stateDir) {
        StreamsSettings s = new StreamsSettings();
        s.applicationId = appId;
        s.stateDir = stateDir.toString();
        s.properties.put("session.timeout.ms", String.valueOf(SESSION_TIMEOUT.toMillis()));
        s.properties.put("heartbeat.interval.ms", "3000");
        return s;
    }

    private static List<MemberDescription> members(KafkaSettings kafka, String group) throws Exception {
        try (Admin admin = Admin.create(kafka.admin("static-membership-test"))) {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            return List.copyOf(d.members());
        }
    }

    @Test
    void aRestartedInstanceIsRunningLongBeforeTheOldMembersSessionWouldExpire(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("static");
        new TopicManager(kafka).ensure(Topics.ALL);
        String appId = TestKafka.uniqueId("static-app");

        StreamsApp first = StreamsApp.start(kafka, settings(appId, dir), null, null);
        await().atMost(Duration.ofSeconds(90)).until(() -> first.state() == KafkaStreams.State.RUNNING);
        List<MemberDescription> before = members(kafka, appId);
        assertThat(before).hasSize(1);
        Optional<String> instance = before.get(0).groupInstanceId();
        assertThat(instance).hasValueSatisfying(id -> assertThat(id).startsWith(appId + "-").endsWith("-1"));
        first.close();

        StreamsApp second = closeables.add(StreamsApp.start(kafka, settings(appId, dir), null, null));
        await().atMost(SESSION_TIMEOUT.dividedBy(2)).until(() -> second.state() == KafkaStreams.State.RUNNING);
        // one member, the same instance: the restarted one took the old member's place
        List<MemberDescription> after = members(kafka, appId);
        assertThat(after).hasSize(1);
        assertThat(after.get(0).groupInstanceId()).isEqualTo(instance);
        assertThat(after.get(0).consumerId()).isNotEqualTo(before.get(0).consumerId());
    }
}
