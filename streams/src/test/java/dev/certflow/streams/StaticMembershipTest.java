package dev.certflow.streams;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.KafkaSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** streams.instanceId: the group.instance.id Kafka Streams' main consumer joins with, kept with the state it belongs to. */
class StaticMembershipTest {

    private static StreamsSettings settings(Path stateDir, String instanceId) {
        StreamsSettings s = ConfigLoader.load(null, Map.of(), instanceId == null ? List.of() : List.of("streams.instanceId=" + instanceId))
                .bind("streams", StreamsSettings.class);
        s.stateDir = stateDir.toString();
        return s;
    }

    private static Properties props(StreamsSettings s) {
        KafkaSettings kafka = new KafkaSettings();
        kafka.schemaRegistryUrl = "mock://static-membership";
        Properties p = StreamsProperties.of(kafka, s, null, null);
        String id = StaticMembership.groupInstanceId(s, p);
        if (id != null) {
            p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id);
        }
        return p;
    }

    @Test
    void autoIsTheDefaultAndKeepsOneIdPerStateDirectory(@TempDir Path dir) throws Exception {
        StreamsSettings a = settings(dir.resolve("a"), null);
        assertThat(a.instanceId).isEqualTo("auto");
        String first = StaticMembership.groupInstanceId(a, props(a));
        assertThat(first).startsWith("certflow-streams-").matches(StaticMembership.VALID);
        // a restart on the same state directory comes back as the same member
        assertThat(StaticMembership.groupInstanceId(a, props(settings(dir.resolve("a"), null)))).isEqualTo(first);
        assertThat(Files.readString(dir.resolve("a").resolve("certflow-streams").resolve(StaticMembership.FILE)).trim())
                .isEqualTo(first.substring("certflow-streams-".length()));
        // another state directory is another instance
        StreamsSettings b = settings(dir.resolve("b"), null);
        assertThat(StaticMembership.groupInstanceId(b, props(b))).isNotEqualTo(first).startsWith("certflow-streams-");
    }

    @Test
    void kafkaStreamsGivesEachThreadsMainConsumerItsOwnIdAndTheOtherClientsNone(@TempDir Path dir) {
        StreamsSettings s = settings(dir, null);
        s.numStreamThreads = 2;
        Properties p = props(s);
        String id = p.getProperty(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        StreamsConfig config = new StreamsConfig(p);
        assertThat(config.getMainConsumerConfigs("certflow-streams", "c1", 1)).containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id + "-1");
        assertThat(config.getMainConsumerConfigs("certflow-streams", "c2", 2)).containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id + "-2");
        assertThat(config.getRestoreConsumerConfigs("r")).doesNotContainKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        assertThat(config.getGlobalConsumerConfigs("g")).doesNotContainKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    }

    @Test
    void anIdOfYourOwnIsUsedAsGivenAndNoneIsADynamicMember(@TempDir Path dir) {
        StreamsSettings own = settings(dir, "certflow-streams-0");
        assertThat(StaticMembership.groupInstanceId(own, props(own))).isEqualTo("certflow-streams-0");
        StreamsSettings none = settings(dir, "none");
        assertThat(StaticMembership.groupInstanceId(none, props(none))).isNull();
        assertThat(props(none)).doesNotContainKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        assertThat(dir.resolve("certflow-streams").resolve(StaticMembership.FILE)).doesNotExist();
    }

    @Test
    void anUnreadableKeptIdIsReplacedNotUsed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("certflow-streams").resolve(StaticMembership.FILE);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "not a uuid/../x");
        StreamsSettings s = settings(dir, null);
        String id = StaticMembership.groupInstanceId(s, props(s));
        assertThat(id).matches(StaticMembership.VALID).doesNotContain("not a uuid");
        assertThat(StaticMembership.groupInstanceId(s, props(s))).isEqualTo(id);
    }

    @Test
    void aBadIdOrAPassThroughGroupInstanceIdIsRefusedNamingKeyAndValue() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("streams.instanceId=pod 1/x")).bind("streams", StreamsSettings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("bad value 'pod 1/x' for configuration key 'streams.instanceId' (from flag --set streams.instanceId)")
                .hasMessageContaining("auto, none or a group.instance.id");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("streams.properties.main.consumer.group.instance.id=x"))
                .bind("streams", StreamsSettings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'streams.properties.main.consumer.group.instance.id'").hasMessageContaining("streams.instanceId");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("kafka.properties.group.instance.id=x")).bind("kafka", KafkaSettings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.properties.group.instance.id'").hasMessageContaining("fence");
    }
}
